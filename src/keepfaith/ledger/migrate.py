"""Alembic migrations of the ledger, run from the installed package.

No ``alembic.ini`` is needed: the configuration is built here, with the script location
pointing at ``keepfaith/ledger/migrations``. The revisions form one line, ``0001`` to the
head, each revising the one before (a test keeps it so): a new migration revises the
current head.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

import keepfaith.ledger
from keepfaith.ledger.base import metadata

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0017_subject_language"
"""The newest revision (a test keeps it the migrations' head): a ledger already at it
is left alone without Alembic reading every migration file, which costs most of a
second at every command's start."""


def config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration for the packaged migrations, bound to a connection."""
    from alembic.config import Config  # imported only when a migration runs: 0.4 s

    alembic_config = Config()
    alembic_config.set_main_option("script_location", str(MIGRATIONS))
    alembic_config.attributes["connection"] = connection
    return alembic_config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (the newest by default)."""
    with engine.begin() as connection:
        if revision == "head" and current(connection) == HEAD:
            return
        from alembic import command

        command.upgrade(config(connection), revision)


def current(connection: sa.Connection) -> str | None:
    """The revision the database is at (``None``: no ledger tables yet)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    found = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    versions = list(found)
    return versions[0] if len(versions) == 1 else None


def downgrade(engine: sa.Engine, revision: str = "base") -> None:
    """Downgrade the database to ``revision`` (nothing left by default)."""
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(config(connection), revision)


def compared(dialect: str) -> Callable[[object, str | None, str, bool, object], bool]:
    """Alembic's ``include_object`` for this dialect: what to compare with the code.

    Not procrastinate's tables (its schema is its own), nor keepfaith's tables that do not
    exist on this dialect (see ``keepfaith.ledger.queue.exists_on``).
    """
    from keepfaith.ledger.queue import exists_on

    def include(item: object, name: str | None, kind: str, reflected: bool, _: object) -> bool:
        table = item if isinstance(item, sa.Table) else getattr(item, "table", None)
        if not isinstance(table, sa.Table):
            return True
        if table.name.startswith("procrastinate_"):
            return False
        return reflected or exists_on(table, dialect)

    return include


def tables_for(dialect: str) -> set[str]:
    """The names of keepfaith's tables on a database of this dialect."""
    from keepfaith.ledger.queue import exists_on

    return {name for name, table in all_tables().tables.items() if exists_on(table, dialect)}


def all_tables() -> sa.MetaData:
    """The shared ``metadata`` with every ledger table module imported into it.

    Table modules live in ``keepfaith/ledger/``; importing them all here lets Alembic
    compare the whole schema with the migrations.
    """
    for module in pkgutil.iter_modules(keepfaith.ledger.__path__):
        if module.name not in {"migrations"}:
            importlib.import_module(f"keepfaith.ledger.{module.name}")
    return metadata
