"""Insert-or-update in one statement, so two writers racing on one key never collide.

A select-then-insert lets two concurrent transactions both see "absent" and the second
fail on the primary key; ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL
alike) settles the race inside the database.
"""

from __future__ import annotations

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
    insert: postgresql.Insert | sqlite.Insert
    if connection.dialect.name == "postgresql":
        insert = postgresql.insert(table).values(**values)
    else:
        insert = sqlite.insert(table).values(**values)
    changed = {name: insert.excluded[name] for name in values if name not in keys}
    where = None
    if only_if_newer is not None:
        where = table.c[only_if_newer] <= insert.excluded[only_if_newer]
    connection.execute(insert.on_conflict_do_update(index_elements=keys, set_=changed, where=where))
