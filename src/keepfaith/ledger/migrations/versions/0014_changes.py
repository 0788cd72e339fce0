"""Changes: who published each version, each person's pending change of version, and
announced business transfers.

Revision ID: 0014_changes
Revises: 0013_rights_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_changes"
down_revision = "0013_rights_cases"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "publications",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("from_version", sa.String(64), nullable=True),
        sa.Column("published_by", sa.String(255), nullable=False),
        sa.Column("published_at", When, nullable=False),
        sa.Column("material", sa.Integer(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
        sa.UniqueConstraint("tenant", "version", name=op.f("uq_publications_tenant")),
    )
    op.create_table(
        "version_changes",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("subject_id", Id, nullable=False),
        sa.Column("publication_id", Id, nullable=False),
        sa.Column("from_version", sa.String(64), nullable=False),
        sa.Column("to_version", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("notified_at", When, nullable=True),
        sa.Column("due_at", When, nullable=True),
        sa.Column("message_id", Id, nullable=True),
        sa.Column("answer", sa.String(16), nullable=True),
        sa.Column("answered_at", When, nullable=True),
        sa.Column("applied_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_version_changes_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_version_changes_publication_id_publications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_version_changes")),
        sa.UniqueConstraint("subject_id", "to_version", name=op.f("uq_version_changes_subject_id")),
    )
    op.create_table(
        "business_transfers",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("acquirer", sa.String(255), nullable=False),
        sa.Column("transfer_at", When, nullable=False),
        sa.Column("announced_by", sa.String(255), nullable=False),
        sa.Column("announced_at", When, nullable=False),
        sa.Column("notified_upto", Id, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_transfers")),
    )
    op.create_index(
        "ix_version_changes_publication_channel",
        "version_changes",
        ["publication_id", "channel", "notified_at"],
    )
    op.create_index("ix_version_changes_due_at", "version_changes", ["tenant", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_version_changes_due_at", table_name="version_changes")
    op.drop_index("ix_version_changes_publication_channel", table_name="version_changes")
    op.drop_table("business_transfers")
    op.drop_table("version_changes")
    op.drop_table("publications")
