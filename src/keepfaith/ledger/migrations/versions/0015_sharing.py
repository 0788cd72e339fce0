"""Sharing (issue 13): the disclosure log names its decision, and legal requests.

Each disclosure now keeps the clauses that decided it, the statement version it was
decided under, the categories dropped because the recipient may not receive them, the
transfer mechanism, and the legal request it answered. ``legal_requests`` holds the
requests of authorities and parties: document reference, basis, and the gag period after
which the person is told.

Revision ID: 0015_sharing
Revises: 0014_changes
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0015_sharing"
down_revision = "0014_changes"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)
COLUMNS = ("clauses", "statement_version", "dropped", "mechanism", "legal_request_id")


def upgrade() -> None:
    op.create_table(
        "legal_requests",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("subject_id", Id, nullable=True),
        sa.Column("requester", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("basis", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(255), nullable=True),
        sa.Column("received_at", When, nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("gag_until", When, nullable=True),
        sa.Column("notified_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_legal_requests_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_requests")),
    )
    op.create_index("ix_legal_requests_tenant_gag", "legal_requests", ["tenant", "notified_at"])
    with op.batch_alter_table("disclosures") as batch:
        batch.add_column(sa.Column("clauses", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("statement_version", sa.String(64), nullable=True))
        batch.add_column(sa.Column("dropped", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("mechanism", sa.String(255), nullable=True))
        batch.add_column(sa.Column("legal_request_id", Id, nullable=True))
    op.create_index("ix_disclosures_recipient", "disclosures", ["tenant", "recipient"])


def downgrade() -> None:
    op.drop_index("ix_disclosures_recipient", table_name="disclosures")
    native = sqlite3.sqlite_version_info >= (3, 35)
    with op.batch_alter_table("disclosures", recreate="never" if native else "auto") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)
    op.drop_index("ix_legal_requests_tenant_gag", table_name="legal_requests")
    op.drop_table("legal_requests")
