"""Staff tenant scope: staff users and API tokens may be kept to one tenant (PA-03).

``NULL`` means every tenant, so existing users and tokens keep the access they had.

Revision ID: 0005_staff_tenant
Revises: 0004_person_logins
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0005_staff_tenant"
down_revision = "0004_person_logins"
branch_labels = None
depends_on = None

TABLES = ("staff_users", "api_tokens")


def upgrade() -> None:
    # Batch mode, because SQLite alters a table by copying it.
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("tenant", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # Copying staff_users on SQLite would drop the old table, and with foreign keys on
    # that deletes every staff session; SQLite 3.35+ drops a plain column in place.
    native = sqlite3.sqlite_version_info >= (3, 35)
    for table in reversed(TABLES):
        with op.batch_alter_table(table, recreate="never" if native else "auto") as batch:
            batch.drop_column("tenant")
