"""The language a person is written to in: the one of the page they last used (issue 11).

``subjects.language`` is the statement's language the person last used (a privacy-center
page, a form, the API); ``rights_cases.language`` the one a request or complaint came in;
``messages.language`` the one a message to an address (no subject) is to be written in.
Existing rows keep ``NULL``: they are written in the tenant's first language, as before.

Revision ID: 0017_subject_language
Revises: 0016_console
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0017_subject_language"
down_revision = "0016_console"
branch_labels = None
depends_on = None

TABLES = ("subjects", "rights_cases", "messages")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("language", sa.String(35), nullable=True))


def downgrade() -> None:
    # Copying these tables on SQLite would drop tables others refer to; SQLite 3.35+
    # drops a plain column in place.
    native = sqlite3.sqlite_version_info >= (3, 35)
    for table in reversed(TABLES):
        with op.batch_alter_table(table, recreate="never" if native else "auto") as batch:
            batch.drop_column("language")
