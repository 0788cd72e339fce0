"""Allowances: what each subject currently allows, as a profile shared by everyone with
the same facts, so that an audience is one scan (``keepfaith.ledger.allowances``).

A ledger that already holds subjects fills the new table with
``keepfaith ledger rebuild-allowances``.

Revision ID: 0007_allowances
Revises: 0006_dataset_maps
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_allowances"
down_revision = "0006_dataset_maps"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "allowance_profiles",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allowance_profiles")),
        sa.UniqueConstraint("tenant", "digest", name="uq_allowance_profiles_tenant_digest"),
    )
    op.create_table(
        "allowances",
        sa.Column("subject_id", Id, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("profile_id", Id, nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_allowances_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["allowance_profiles.id"],
            name=op.f("fk_allowances_profile_id_allowance_profiles"),
        ),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_allowances")),
    )
    op.create_index(
        "ix_allowances_tenant_profile", "allowances", ["tenant", "profile_id", "subject_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_allowances_tenant_profile", table_name="allowances")
    op.drop_table("allowances")
    op.drop_table("allowance_profiles")
