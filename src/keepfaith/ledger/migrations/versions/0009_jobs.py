"""Background jobs: SQLite's own queue table, procrastinate's schema on PostgreSQL, and
why each failed attempt failed (both).

procrastinate's schema is the one its installed version ships (``schema.sql``), created
in the ledger's schema. A procrastinate upgrade that changes its schema comes with a new
revision here applying procrastinate's own migration files.

Revision ID: 0009_jobs
Revises: 0008_sealed_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_jobs"
down_revision = "0008_sealed_audit"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)
PROCRASTINATE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)
PROCRASTINATE_TYPES = (
    "procrastinate_job_to_defer_v1",
    "procrastinate_job_event_type",
    "procrastinate_job_status",
)


def upgrade() -> None:
    op.create_table(
        "job_errors",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_errors")),
    )
    op.create_index("ix_job_errors_job", "job_errors", ["job_id"])
    if op.get_bind().dialect.name == "postgresql":
        _install_procrastinate()
        return
    op.create_table(
        "jobs",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("task", sa.String(length=128), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", When, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("started_at", When, nullable=True),
        sa.Column("finished_at", When, nullable=True),
        sa.Column("heartbeat_at", When, nullable=True),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("periodic_key", sa.String(length=160), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("periodic_key", name="uq_jobs_periodic_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_jobs_status", "jobs", ["status", "run_after"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _remove_procrastinate()
    else:
        op.drop_index("ix_jobs_status", table_name="jobs")
        op.drop_table("jobs")
    op.drop_index("ix_job_errors_job", table_name="job_errors")
    op.drop_table("job_errors")


def _install_procrastinate() -> None:
    from procrastinate.schema import SchemaManager

    # Through the driver's own cursor: the schema is many statements, and SQLAlchemy's
    # text() would read its casts as bind parameters.
    with op.get_bind().connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())


def _remove_procrastinate() -> None:
    for table in PROCRASTINATE_TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    functions = op.get_bind().execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "WHERE p.pronamespace = current_schema()::regnamespace "
            "AND p.proname LIKE 'procrastinate\\_%'"
        )
    )
    for (signature,) in functions.all():
        op.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    for name in PROCRASTINATE_TYPES:
        op.execute(f"DROP TYPE IF EXISTS {name} CASCADE")
