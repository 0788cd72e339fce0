"""Dataset maps: the reviewed map of each company database, per tenant.

Revision ID: 0006_dataset_maps
Revises: 0005_staff_tenant
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_dataset_maps"
down_revision = "0005_staff_tenant"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_maps",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "key", name=op.f("pk_dataset_maps")),
    )


def downgrade() -> None:
    op.drop_table("dataset_maps")
