"""Insert-or-update in one statement, so two writers racing on one key never collide.

A select-then-insert lets two concurrent transactions both see "absent" and the second
fail on the primary key; ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL
alike) settles the race inside the database.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def upsert(
    connection: sa.Connection,
    table: sa.Table,
    values: Mapping[str, Any],
    keys: Sequence[str],
    *,
    only_if_newer: str | None = None,
) -> None:
    """Insert ``values``, or update the row with the same ``keys``.

    With ``only_if_newer`` (a column name), an existing row is changed only when its value
    in that column is not later than the new one, so a late-arriving older write loses.
    """
    statement = _statement(
        connection.dialect.name, table, tuple(values), tuple(keys), only_if_newer
    )
    connection.execute(statement, dict(values))


@functools.cache
def _statement(
    dialect: str, table: sa.Table, names: tuple[str, ...], keys: tuple[str, ...], newer: str | None
) -> sa.Insert:
    """The upsert of these columns, built once: its values are parameters, so a hot path
    (every consent change writes two) pays for executing it, not for building it."""
    insert: postgresql.Insert | sqlite.Insert
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    changed = {name: insert.excluded[name] for name in names if name not in keys}
    where = table.c[newer] <= insert.excluded[newer] if newer is not None else None
    return insert.on_conflict_do_update(index_elements=list(keys), set_=changed, where=where)
