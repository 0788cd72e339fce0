"""Set-based erasure: one statement per table for any number of people, children first.

``erase`` takes a ``Plan`` and the identities of many people and, in one transaction of
the company database, changes each reachable table once, in an order derived from the
foreign keys (a table before the tables it points at). Each column's ``erasure`` in the
map says what happens: a table with a ``delete_row`` column loses the person's rows; the
others get their ``null``, ``mask`` and ``hash`` columns overwritten; ``keep`` columns
stay. Rows shared with other people (an address the person's rows point at) are changed
only where no one else's row still points at them.

Holds keep the categories they cover: a table holding a kept category is left as it is,
and the tables its rows point at are pseudonymised (null, mask, hash) rather than
deleted, so no foreign key breaks. Where a cycle (or a self-reference) joins the tables,
the nullable column that closes it is set to NULL first.

Run twice, it changes nothing more: the second run selects the rows already erased, or
none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from keepfaith.connectors.access import Plan
from keepfaith.connectors.datamap import Erasure
from keepfaith.connectors.reflect import BOOLEAN, DATE, DATETIME, DECIMAL, INTEGER, TEXT

MASKS: dict[str, Any] = {
    TEXT: "erased",
    INTEGER: 0,
    DECIMAL: 0,
    BOOLEAN: False,
    DATE: sa.text("'1970-01-01'"),
    DATETIME: sa.text("'1970-01-01 00:00:00'"),
}


@dataclass(frozen=True)
class Keep:
    """A hold on the data: its reason, what the statement says of it, what it covers."""

    reason: str
    description: str
    categories: tuple[str, ...] = ()
    """Category keys (a key covers its sub-categories); empty: every category."""

    def covers(self, category: str) -> bool:
        return not self.categories or any(
            category == key or category.startswith(key + ".") for key in self.categories
        )


@dataclass
class Outcome:
    """What an erasure did, table by table, and what it kept and why."""

    deleted: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    kept: dict[str, list[str]] = field(default_factory=dict)
    """Table -> the reasons its rows were kept (a hold's reason and description)."""
    order: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "deleted": self.deleted,
            "changed": self.changed,
            "kept": self.kept,
            "order": self.order,
        }


def order(plan: Plan) -> tuple[list[str], list[tuple[str, str]]]:
    """The reachable tables, each before every table it points at; and the columns
    ``(table, column)`` to set NULL first because they close a cycle."""
    reached = {step.table for step in plan.steps}
    points_at = {t: set[str]() for t in reached}
    closing: list[tuple[str, str]] = []
    for edge in plan.edges:
        if edge.child in reached and edge.parent in reached:
            if edge.child == edge.parent:
                closing.append((edge.child, edge.child_column))
            else:
                points_at[edge.child].add(edge.parent)
    done: list[str] = []
    pending = dict(points_at)
    while pending:
        # A table none of the pending tables points at goes next (nothing refers to it).
        free = sorted(t for t in pending if not any(t in pending[o] for o in pending))
        if not free:
            column, parent = _break(pending, plan)
            closing.append(column)
            pending[column[0]].discard(parent)
            continue
        for table in free:
            done.append(table)
            del pending[table]
    return done, closing


def _break(pending: dict[str, set[str]], plan: Plan) -> tuple[tuple[str, str], str]:
    for edge in plan.edges:
        if edge.child in pending and edge.parent in pending.get(edge.child, set()):
            info = plan.schema.tables[edge.child].column(edge.child_column)
            if info is not None and info.nullable:
                return (edge.child, edge.child_column), edge.parent
    raise ValueError("a cycle of NOT NULL foreign keys: the map must say how to break it")


def erase(
    connection: sa.Connection,
    plan: Plan,
    identities: Mapping[str, Iterable[Any]],
    *,
    holds: Iterable[Keep] = (),
    hash_key: str = "",
) -> Outcome:
    """Erase these people from the database, in the connection's transaction."""
    keeps = list(holds)
    _room_to_hash(connection)
    selections = plan.selections(identities)
    tables, closing = order(plan)
    tables = [t for t in tables if t in selections]
    closing = [(t, c) for t, c in closing if t in selections]
    kept = _kept(plan, keeps, tables)
    outcome = Outcome(kept={t: reasons for t, reasons in kept.items()}, order=tables)
    pinned = _pinned(plan, set(kept))
    keys = {t: _key(plan, t) for t in tables}
    owned = {step.table: step.owned for step in plan.steps}
    # The person's own tables are selected through their parents, which are changed only
    # after them; the rows they point at (selected through rows deleted first) are read
    # by key before any change.
    rows = {
        t: _where(plan, t, keys[t], selections[t], connection, frozen=not owned[t]) for t in tables
    }
    for table, column in closing:
        picked = rows[table]
        if table not in kept and picked is not None:
            connection.execute(plan.tables[table].update().where(picked).values({column: None}))
    for table in tables:
        where = rows[table]
        if table in kept or where is None:
            continue
        if not owned[table]:
            where = sa.and_(where, *_unshared(plan, table, keys[table] or ""))
        _erase_table(
            connection,
            plan,
            table,
            where,
            delete=table not in pinned,
            hash_key=hash_key,
            outcome=outcome,
        )
    return outcome


WORK_MEM = "64MB"
"""PostgreSQL's ``work_mem`` for the erasure's transaction (``SET LOCAL``)."""


def _room_to_hash(connection: sa.Connection) -> None:
    """Let PostgreSQL hash the people's keys. A row reached by either of two keys (a
    payment by its customer or by its rental) is picked by ``a IN (...) OR b IN (...)``;
    PostgreSQL hashes each subquery only if it fits ``work_mem`` (4 MB by default), and
    otherwise scans it again for every row: 358 s instead of seconds for 10,000 pagila
    customers. The setting ends with the transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"SET LOCAL work_mem = '{WORK_MEM}'"))


def _where(
    plan: Plan,
    table: str,
    key: str | None,
    selection: sa.Select[Any],
    connection: sa.Connection,
    *,
    frozen: bool,
) -> sa.ColumnElement[bool] | None:
    """The condition that picks this table's rows of the people (None: none to pick).

    The person's own tables are picked by their key among their selection's rows (a
    subquery through their parents, which are changed later); rows they point at by
    their key's values, read now, before the rows that lead to them are gone.
    """
    if key is None:
        return None if frozen else selection.whereclause
    column = plan.tables[table].c[key]
    if not frozen:
        # By key, from the selection run once as a derived table: PostgreSQL updates a
        # partitioned table whose condition is an OR of subqueries (a payment reached
        # through its customer or its rental) partition by partition, 358 s for 10,000
        # customers of pagila; by key it is a hashed semi-join (and MariaDB accepts the
        # table it changes inside a derived table).
        return column.in_(sa.select(selection.subquery().c[key]))
    values = list(connection.execute(sa.select(selection.subquery().c[key])).scalars())
    return column.in_(values) if values else None


def erase_rows(
    connection: sa.Connection,
    plan: Plan,
    table: str,
    where: sa.ColumnElement[bool],
    *,
    hash_key: str = "",
    outcome: Outcome,
) -> None:
    """Erase the rows ``where`` picks with the table's strategies (retention's rows, not a
    person's); rows that others still need by a NOT NULL key stay, pseudonymised."""
    _erase_table(connection, plan, table, where, delete=True, hash_key=hash_key, outcome=outcome)


def primary_key(plan: Plan, table: str) -> str | None:
    """The table's single-column primary key (None: none, or several columns)."""
    return _key(plan, table)


def _erase_table(
    connection: sa.Connection,
    plan: Plan,
    table: str,
    where: sa.ColumnElement[bool],
    *,
    delete: bool,
    hash_key: str,
    outcome: Outcome,
) -> None:
    target = plan.tables[table]
    strategies = _strategies(plan, table)
    if delete and Erasure.DELETE_ROW in strategies.values():
        _detach(connection, plan, table, where)
        # A row that someone else's row still needs (a NOT NULL key) stays, pseudonymised.
        needed = _needed(plan, table)
        free = sa.and_(where, *(~condition for condition in needed))
        outcome.deleted[table] = connection.execute(target.delete().where(free)).rowcount
        if not needed:
            return
        where = sa.and_(where, sa.or_(*needed))
    values = {
        column: _value(plan, table, column, strategy, hash_key, connection)
        for column, strategy in strategies.items()
        if strategy != Erasure.KEEP
    }
    if values:
        outcome.changed[table] = connection.execute(
            target.update().where(where).values(values)
        ).rowcount


def _needed(plan: Plan, table: str) -> list[sa.ColumnElement[bool]]:
    """Conditions true of a row that a NOT NULL key of another row points at."""
    target = plan.tables[table]
    needed: list[sa.ColumnElement[bool]] = []
    for edge in plan.edges:
        info = plan.schema.tables[edge.child].column(edge.child_column)
        if edge.parent == table and info is not None and not info.nullable:
            child = plan.tables[edge.child].alias()
            needed.append(
                sa.exists().where(child.c[edge.child_column] == target.c[edge.parent_column])
            )
    return needed


def _detach(
    connection: sa.Connection, plan: Plan, table: str, where: sa.ColumnElement[bool]
) -> None:
    """Set NULL the nullable columns of rows that stay and point at rows about to go (an
    employee's reports, a customer's support rep), so the deletion breaks no key."""
    target = plan.tables[table]
    for edge in plan.edges:
        if edge.parent != table:
            continue
        info = plan.schema.tables[edge.child].column(edge.child_column)
        if info is None or not info.nullable:
            continue
        child = plan.tables[edge.child]
        going = sa.select(target.c[edge.parent_column]).where(where)
        if edge.child == table:  # MariaDB cannot read the table it updates: materialise
            going = sa.select(going.subquery().c[edge.parent_column])
        connection.execute(
            child.update()
            .where(child.c[edge.child_column].in_(going))
            .values({edge.child_column: None})
        )


def _key(plan: Plan, table: str) -> str | None:
    info = plan.schema.tables[table]
    primary = [c.name for c in info.columns if c.primary_key]
    return primary[0] if len(primary) == 1 else None


def _strategies(plan: Plan, table: str) -> dict[str, Erasure]:
    """Each column's strategy; keys (primary, or joined by an edge) are never overwritten,
    since other rows, or the erasure's own later statements, find rows by them."""
    mapped = plan.dataset_map.table(table)
    info = plan.schema.tables[table]
    keys = {c.name for c in info.columns if c.primary_key}
    keys |= {e.child_column for e in plan.edges if e.child == table}
    keys |= {e.parent_column for e in plan.edges if e.parent == table}
    strategies = {c.name: c.erasure for c in mapped.columns} if mapped else {}
    return {
        name: Erasure.KEEP if name in keys and how != Erasure.DELETE_ROW else how
        for name, how in strategies.items()
    }


def _kept(plan: Plan, keeps: list[Keep], tables: list[str]) -> dict[str, list[str]]:
    """Tables holding a category a hold covers, with the holds' reasons."""
    found: dict[str, list[str]] = {}
    for table in tables:
        mapped = plan.dataset_map.table(table)
        categories = {k for c in (mapped.columns if mapped else ()) for k in c.categories}
        reasons = [
            f"{k.reason}: {k.description}"
            for k in keeps
            if any(k.covers(c) for c in categories if not c.startswith("system."))
        ]
        if reasons and mapped is not None and mapped.personal:
            found[table] = reasons
    return found


def _pinned(plan: Plan, kept: set[str]) -> set[str]:
    """Tables whose rows kept rows point at (directly or not): not deleted, pseudonymised."""
    pinned: set[str] = set()
    frontier = set(kept)
    while frontier:
        current = frontier.pop()
        for edge in plan.edges:
            if edge.child == current and edge.parent not in pinned and edge.parent != current:
                pinned.add(edge.parent)
                frontier.add(edge.parent)
    return pinned


def _unshared(plan: Plan, table: str, key: str) -> list[Any]:
    """Conditions that no row outside the erased set points at a shared row."""
    target = plan.tables[table]
    conditions = []
    for edge in plan.edges:
        if edge.parent == table and edge.parent_column == key and edge.child != table:
            child = plan.tables[edge.child]
            conditions.append(~sa.exists().where(child.c[edge.child_column] == target.c[key]))
    return conditions


def _value(
    plan: Plan, table: str, column: str, strategy: Erasure, hash_key: str, connection: sa.Connection
) -> Any:
    info = plan.schema.tables[table].column(column)
    if strategy == Erasure.HASH and (info.kind if info else TEXT) == TEXT:
        return _hash(plan.tables[table].c[column], hash_key, connection)
    return written(plan, table, column, strategy)


def written(plan: Plan, table: str, column: str, strategy: Erasure) -> Any:
    """What a ``null`` or ``mask`` strategy writes in the column: NULL where the column
    allows it and the strategy is ``null``, else the mask of the column's type."""
    info = plan.schema.tables[table].column(column)
    kind = info.kind if info else TEXT
    if strategy == Erasure.NULL and (info is None or info.nullable):
        return None
    mask = MASKS.get(kind)
    if isinstance(mask, str) and info is not None and info.length:
        mask = mask[: info.length]
    return mask


def _hash(column: Any, key: str, connection: sa.Connection) -> Any:
    """A keyed SHA-256 of the value, computed by the database itself."""
    dialect = connection.dialect.name
    salted = sa.func.concat(key, column) if dialect != "sqlite" else sa.literal(key) + column
    if dialect == "postgresql":
        return sa.func.encode(sa.func.sha256(sa.func.convert_to(salted, "UTF8")), "hex")
    if dialect in {"mysql", "mariadb"}:
        return sa.func.sha2(salted, 256)
    raw = connection.connection.dbapi_connection
    if raw is not None:
        raw.create_function(
            "kf_sha256",
            1,
            lambda v: None if v is None else hashlib.sha256(str(v).encode()).hexdigest(),
            deterministic=True,
        )
    return sa.func.kf_sha256(salted)
