"""Retention in the company's databases: erase the rows kept longer than the statement says.

A table whose map names a ``retention_column`` (each row's start: when it was collected)
loses, in one statement per table, every row older than its cutoff, with the map's
erasure strategies (``connectors.erasure``): the rows that point at the expired rows go
first (an invoice's lines before the invoice), so no foreign key breaks. The rows of
people under a hold stay: ``held`` gives their identities, as an erasure request would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from keepfaith.connectors.access import Plan
from keepfaith.connectors.erasure import Outcome, erase_rows, order, primary_key


def expire(
    connection: sa.Connection,
    plan: Plan,
    cutoffs: Mapping[str, dt.datetime],
    *,
    held: Mapping[str, Iterable[Any]] | None = None,
    hash_key: str = "",
) -> Outcome:
    """Erase each table's rows whose retention column is before its cutoff (and the rows
    pointing at them), except the held people's; in the connection's transaction."""
    outcome = Outcome()
    tables, _ = order(plan)
    kept = plan.selections(held) if held else {}
    for start, cutoff in cutoffs.items():
        picks = _descendants(plan, start, _expired(connection, plan, start, cutoff, kept))
        # Children first: the walk's order, then any table it does not reach, the deepest
        # found (the last) first.
        ordered = [t for t in reversed(picks) if t not in tables] + [
            t for t in tables if t in picks
        ]
        for table in ordered:
            erase_rows(connection, plan, table, picks[table], hash_key=hash_key, outcome=outcome)
    outcome.order = [t for t in order(plan)[0] if t in outcome.deleted or t in outcome.changed]
    return outcome


def _expired(
    connection: sa.Connection,
    plan: Plan,
    table: str,
    cutoff: dt.datetime,
    kept: Mapping[str, sa.Select[Any]],
) -> sa.ColumnElement[bool]:
    mapped = plan.dataset_map.table(table)
    if mapped is None or mapped.retention_column is None:
        raise ValueError(f"the map names no retention_column for {table}")
    if connection.dialect.name != "postgresql":
        # Naive UTC: SQLite and MariaDB store their times without a zone.
        cutoff = cutoff.astimezone(dt.UTC).replace(tzinfo=None)
    target = plan.tables[table]
    start: Any = target.c[mapped.retention_column]
    if connection.dialect.name == "sqlite":
        # SQLite keeps times as text in any of several forms: compare them normalised.
        start, cutoff = sa.func.datetime(start), cutoff.strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[assignment]
    where: sa.ColumnElement[bool] = start < cutoff
    key = primary_key(plan, table)
    if table in kept and key is not None:
        held = sa.select(kept[table].subquery().c[key])
        where = sa.and_(where, target.c[key].not_in(held))
    return where


def _descendants(
    plan: Plan, start: str, where: sa.ColumnElement[bool]
) -> dict[str, sa.ColumnElement[bool]]:
    """The expired rows of ``start`` and, for every table pointing at them (directly or
    not), the condition that picks its rows pointing at them."""
    picks = {start: where}
    frontier = [start]
    while frontier:
        parent = frontier.pop()
        target = plan.tables[parent]
        for edge in plan.edges:
            if edge.parent != parent or edge.child in picks:
                continue
            child = plan.tables[edge.child]
            going = sa.select(target.c[edge.parent_column]).where(picks[parent])
            picks[edge.child] = child.c[edge.child_column].in_(going)
            frontier.append(edge.child)
    return picks
