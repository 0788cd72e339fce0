"""When a person's Global Privacy Control signal first arrived (issue 8).

The engine refuses sale, sharing and targeted advertising from that moment on, so a
decision asked about an earlier time is still answered as it was then. Existing rows
with ``gpc`` set keep ``NULL``: they objected at a time nobody recorded, and are refused
at any time.

Revision ID: 0010_subject_gpc_at
Revises: 0009_jobs
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0010_subject_gpc_at"
down_revision = "0009_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subjects") as batch:
        batch.add_column(sa.Column("gpc_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Copying subjects on SQLite would drop the table every other one refers to; SQLite
    # 3.35+ drops a plain column in place.
    native = sqlite3.sqlite_version_info >= (3, 35)
    with op.batch_alter_table("subjects", recreate="never" if native else "auto") as batch:
        batch.drop_column("gpc_at")
