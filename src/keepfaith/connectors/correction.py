"""Correcting a person's values in a company database: the columns that hold a category,
in the rows that identify the person, one ``UPDATE`` per table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from keepfaith.connectors.access import Plan


def correct(
    connection: sa.Connection,
    plan: Plan,
    identities: Mapping[str, Iterable[Any]],
    changes: Mapping[str, str],
) -> dict[str, int]:
    """Set each category's columns to its new value in the person's own rows (the tables
    their identity columns are in); ``{"table.column": rows changed}``."""
    selections = plan.selections(identities)
    starts = {table for table, _, _ in plan.dataset_map.identities()}
    done: dict[str, int] = {}
    for table_name in sorted(starts & selections.keys()):
        mapped = plan.dataset_map.table(table_name)
        if mapped is None:
            continue
        values = {
            column.name: changes[category]
            for column in mapped.columns
            for category in column.categories
            if category in changes and column.identity is None
        }
        if not values:
            continue
        target, where = plan.tables[table_name], selections[table_name].whereclause
        if where is None:
            continue
        count = connection.execute(target.update().where(where).values(values)).rowcount
        for column in values:
            done[f"{table_name}.{column}"] = count
    return done
