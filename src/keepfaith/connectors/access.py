"""Reading a person's rows from a company database: one query per table, through an index.

A ``Plan`` is built once per database (its map and its reflected schema): for every table
the walk from the identity columns reaches (``graph.reach``), a selection of that table's
rows for a set of people, as a subquery of the selection of the table it was reached
from. ``read`` runs each table's selection once, so a person costs one indexed query per
table however many rows they have, and a thousand people cost the same number of queries
as one. Erasure (``keepfaith.connectors.erasure``) uses the same selections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from keepfaith.connectors.datamap import DatasetMap
from keepfaith.connectors.graph import Edge, Step, edges, reach
from keepfaith.connectors.reflect import Schema
from keepfaith.exceptions import InvalidSubmission

MAX_IDENTITIES = 50_000
"""People one selection takes at once (bound parameters a statement can carry)."""


@dataclass
class Plan:
    """How to select the rows of every reachable table for a set of identities."""

    dataset_map: DatasetMap
    schema: Schema
    steps: list[Step]
    edges: list[Edge]
    tables: dict[str, sa.TableClause] = field(default_factory=dict)

    @classmethod
    def build(cls, dataset_map: DatasetMap, schema: Schema) -> Plan:
        """The plan of a database (the map's ``references`` add to or override its FKs)."""
        found = [
            e
            for e in edges(dataset_map, schema)
            if e.child in schema.tables and e.parent in schema.tables
        ]
        steps = [s for s in reach(dataset_map, found) if s.table in schema.tables]
        tables = {
            name: sa.table(name, *(sa.column(c.name) for c in info.columns), schema=schema.schema)
            for name, info in schema.tables.items()
        }
        return cls(dataset_map, schema, steps, found, tables)

    def identity_kinds(self) -> set[str]:
        return {kind for _, _, kind in self.dataset_map.identities()}

    def selections(self, identities: Mapping[str, Iterable[Any]]) -> dict[str, sa.Select[Any]]:
        """For each reachable table, the ``SELECT`` of the rows of these people.

        ``identities`` gives values by identity kind (``{"email": [...]}``); a start table
        whose identity kinds are all absent is left out, and so are the tables reached
        only through it: they cannot hold these people's rows.
        """
        values = {kind: _values(kind, given) for kind, given in identities.items()}
        chosen: dict[str, sa.Select[Any]] = {}
        for step in self.steps:
            table = self.tables[step.table]
            if step.edge is None:
                start = self._start(step.table, values)
                if start is not None:
                    chosen[step.table] = sa.select(table).where(start)
                continue
            edge = step.edge
            if step.owned and edge.child == step.table:
                via, mine, theirs = edge.parent, edge.child_column, edge.parent_column
            else:
                via, mine, theirs = edge.child, edge.parent_column, edge.child_column
            if via not in chosen:
                continue
            source = chosen[via].subquery()
            chosen[step.table] = sa.select(table).where(
                table.c[mine].in_(sa.select(source.c[theirs]))
            )
        return self._other_paths(chosen)

    def _other_paths(self, chosen: dict[str, sa.Select[Any]]) -> dict[str, sa.Select[Any]]:
        """The person's own rows reached by more than one key (a payment points at the
        customer and at the customer's rental) are the rows reached by any of them."""
        owned = {s.table for s in self.steps if s.owned and s.table in chosen}
        widened = dict(chosen)
        for step in self.steps:
            if step.edge is None or step.table not in owned:
                continue
            table = self.tables[step.table]
            paths = [
                table.c[e.child_column].in_(
                    sa.select(chosen[e.parent].subquery().c[e.parent_column])
                )
                for e in self.edges
                if e.child == step.table and e.parent in owned and e.parent != step.table
            ]
            if len(paths) > 1:
                widened[step.table] = sa.select(table).where(sa.or_(*paths))
        return widened

    def _start(self, name: str, values: Mapping[str, list[Any]]) -> sa.ColumnElement[bool] | None:
        table = self.tables[name]
        clauses = [
            table.c[column].in_(values[kind])
            for t, column, kind in self.dataset_map.identities()
            if t == name and values.get(kind)
        ]
        return sa.or_(*clauses) if clauses else None


def read(
    connection: sa.Connection, plan: Plan, identities: Mapping[str, Iterable[Any]]
) -> dict[str, list[dict[str, Any]]]:
    """The rows of every reachable table for these people: one query per table, each
    looking up the key values the tables read before it found (so through an index), and
    none for a table no row leads to."""
    values = {kind: _values(kind, given) for kind, given in identities.items()}
    found: dict[str, list[dict[str, Any]]] = {}
    for step in _read_order(plan):
        table = plan.tables[step.table]
        if step.edge is None:
            condition = plan._start(step.table, values)
        else:
            condition = _joined(plan, step, found)
        found[step.table] = (
            []
            if condition is None
            else [dict(r._mapping) for r in connection.execute(sa.select(table).where(condition))]
        )
    return found


def _joined(plan: Plan, step: Step, found: Mapping[str, list[dict[str, Any]]]) -> Any:
    """The condition on a table from the key values of the rows already read; None when
    no row leads to it."""
    table = plan.tables[step.table]
    edges = [step.edge] if step.edge is not None else []
    if step.owned:
        edges += [
            e
            for e in plan.edges
            if e.child == step.table
            and e.parent in found
            and e.parent != step.table
            and e is not step.edge
            and _owned(plan, e.parent)
        ]
    clauses = []
    for edge in edges:
        if edge.child == step.table and edge.parent in found:
            column, source, key = edge.child_column, edge.parent, edge.parent_column
        elif edge.parent == step.table and edge.child in found:
            column, source, key = edge.parent_column, edge.child, edge.child_column
        else:
            continue
        keys = sorted({row[key] for row in found[source] if row.get(key) is not None}, key=str)
        if keys:
            clauses.append(table.c[column].in_(keys))
    return sa.or_(*clauses) if clauses else None


def _owned(plan: Plan, table: str) -> bool:
    return any(s.table == table and s.owned for s in plan.steps)


def _read_order(plan: Plan) -> list[Step]:
    """The steps, each after the tables it is reached from, and an owned table after every
    owned table that points at it too (a payment after the rental it belongs to)."""
    pending, done, ordered = list(plan.steps), set[str](), []
    while pending:
        for step in pending:
            via = (
                None
                if step.edge is None
                else (step.edge.parent if step.edge.child == step.table else step.edge.child)
            )
            others = {
                e.parent
                for e in plan.edges
                if step.owned
                and e.child == step.table
                and e.parent != step.table
                and _owned(plan, e.parent)
                and e.parent in {s.table for s in pending}
            }
            if (via is None or via in done) and not others - done - {step.table}:
                break
        else:
            step = pending[0]  # a cycle: take the nearest, its other paths left out
        pending.remove(step)
        done.add(step.table)
        ordered.append(step)
    return ordered


def _values(kind: str, given: Iterable[Any]) -> list[Any]:
    if isinstance(given, str | bytes):
        given = [given]
    values = list(given)
    if len(values) > MAX_IDENTITIES:
        raise InvalidSubmission({kind: f"at most {MAX_IDENTITIES} people at once"})
    for value in values:
        if isinstance(value, str) and ("\0" in value or len(value) > 1024):
            raise InvalidSubmission({kind: "is not an identity this database can hold"})
    return values
