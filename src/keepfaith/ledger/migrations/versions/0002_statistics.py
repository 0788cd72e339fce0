"""Visit statistics: anonymous per-day aggregates of web-server logs.

Revision ID: 0002_statistics
Revises: 0001_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_statistics"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_days",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("bot_requests", sa.BigInteger(), nullable=False),
        sa.Column("pageviews", sa.BigInteger(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("visitors", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "day", name=op.f("pk_visit_days")),
    )
    op.create_table(
        "visit_counts",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(32), nullable=False),
        sa.Column("value", sa.String(1024), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant", "day", "dimension", "value", name=op.f("pk_visit_counts")
        ),
    )
    op.create_table(
        "visit_chunks",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "digest", name=op.f("pk_visit_chunks")),
    )


def downgrade() -> None:
    op.drop_table("visit_chunks")
    op.drop_table("visit_counts")
    op.drop_table("visit_days")
