"""What the law needs to know of a person (issue 15): where they are, whether they
asked to restrict processing, a Do Not Track signal, and an age they are known to be
under (16: selling their data needs an opt-in).

Revision ID: 0011_subject_law
Revises: 0010_subject_gpc_at
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0011_subject_law"
down_revision = "0010_subject_gpc_at"
branch_labels = None
depends_on = None

COLUMNS = ("jurisdiction", "restricted_at", "dnt_at", "age_under")


def upgrade() -> None:
    with op.batch_alter_table("subjects") as batch:
        batch.add_column(sa.Column("jurisdiction", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("restricted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("dnt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("age_under", sa.Integer(), nullable=True))


def downgrade() -> None:
    native = sqlite3.sqlite_version_info >= (3, 35)
    with op.batch_alter_table("subjects", recreate="never" if native else "auto") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)
