"""Rights cases: a person's requests, their verification, clock and trail.

Revision ID: 0013_rights_cases
Revises: 0012_messages
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_rights_cases"
down_revision = "0012_messages"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rights_cases",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("subject_id", Id, nullable=True),
        sa.Column("identity_kind", sa.String(64), nullable=False),
        sa.Column("identity", sa.Text(), nullable=True),
        sa.Column("identity_digest", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("code_digest", sa.String(64), nullable=True),
        sa.Column("attempts_left", sa.Integer(), nullable=False),
        sa.Column("verify_by", When, nullable=True),
        sa.Column("verified_at", When, nullable=True),
        sa.Column("verified_by", sa.String(64), nullable=True),
        sa.Column("received_at", When, nullable=False),
        sa.Column("due_at", When, nullable=True),
        sa.Column("extended_reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("closed_at", When, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_cases")),
    )
    op.create_index(
        "ix_rights_cases_person", "rights_cases", ["tenant", "identity_digest", "state"]
    )
    op.create_index("ix_rights_cases_due", "rights_cases", ["tenant", "state", "due_at"])
    op.create_table(
        "rights_case_events",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("case_id", Id, nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["rights_cases.id"],
            name=op.f("fk_rights_case_events_case_id_rights_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_case_events")),
    )
    op.create_index("ix_rights_case_events_case", "rights_case_events", ["case_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_rights_case_events_case", table_name="rights_case_events")
    op.drop_table("rights_case_events")
    op.drop_index("ix_rights_cases_due", table_name="rights_cases")
    op.drop_index("ix_rights_cases_person", table_name="rights_cases")
    op.drop_table("rights_cases")
