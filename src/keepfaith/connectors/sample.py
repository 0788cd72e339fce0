"""Bounded samples of a table's values, read with the database's own sampling.

A sample lives only in the caller's local variables while the validators count it; it is
never stored, logged, returned to a user or put in an error. At most ``size`` rows are
read per table, so at most ``size`` values per column. PostgreSQL samples pages with
``TABLESAMPLE SYSTEM`` once a table is large enough for its statistics to say so, and
answers for every table in one round trip (``sample_all``: one ``UNION ALL`` of a branch
per table, each value as text, long ones cut in the database); MariaDB, MySQL and SQLite
have no sampling clause and read the first ``size`` rows, a query per table.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from keepfaith.connectors.reflect import DATE, DATETIME, TEXT, ColumnInfo, TableInfo

SAMPLED_KINDS = frozenset({TEXT, DATE, DATETIME})
"""Kinds of column whose values a validator can read; numbers, flags and binary data are
judged by name, type and keys alone."""

Samples = dict[str, dict[str, list[object]]]
"""Sampled values by table, then column: for the validators' eyes only."""


def sampled_columns(table: TableInfo) -> list[ColumnInfo]:
    return [c for c in table.columns if c.kind in SAMPLED_KINDS and not c.primary_key]


def sample(
    connection: sa.Connection,
    table: TableInfo,
    columns: Sequence[ColumnInfo],
    size: int,
    schema: str | None = None,
    estimate: float | None = None,
) -> dict[str, list[object]]:
    """Up to ``size`` non-null values per column, read in one query of at most ``size``
    rows; ``estimate`` is the table's row count by the statistics (``TableInfo.rows``)."""
    if not columns or size <= 0:
        return {}
    source: sa.FromClause = sa.table(
        table.name, *(sa.column(c.name) for c in columns), schema=schema
    )
    if estimate is None:
        estimate = table.rows
    percent = sample_percent(estimate, size) if connection.dialect.name == "postgresql" else None
    if percent is not None:
        source = sa.tablesample(source, sa.func.system(percent), name="sampled")
    query = sa.select(*(source.c[c.name] for c in columns)).select_from(source).limit(size)
    values: dict[str, list[object]] = {c.name: [] for c in columns}
    for row in connection.execute(query):
        for column, value in zip(columns, row, strict=True):
            if value is not None:
                values[column.name].append(value)
    return values


def sample_all(
    connection: sa.Connection,
    wanted: Sequence[tuple[TableInfo, Sequence[ColumnInfo]]],
    size: int,
    schema: str | None = None,
    max_chars: int | None = None,
) -> Samples:
    """``sample`` of every table in ``wanted`` (with the columns wanted of it), in one
    query: text cut to ``max_chars`` in the database; on PostgreSQL every value as text
    (dates as ISO dates), elsewhere as the driver reads them."""
    wanted = [(table, columns) for table, columns in wanted if columns]
    if size <= 0 or not wanted:
        return {}
    found: Samples = {table.name: {c.name: [] for c in columns} for table, columns in wanted}
    into = [[found[table.name][c.name] for c in columns] for table, columns in wanted]
    key = tuple((table, tuple(columns)) for table, columns in wanted)
    postgres = connection.dialect.name == "postgresql"
    query = _query(postgres, key, size, schema, max_chars)
    dialect = connection.dialect
    if dialect.name in _AS_WRITTEN:
        rows = connection.exec_driver_sql(_written(query, dialect)).all()
    else:
        rows = connection.execute(query).all()
    for row in rows:
        values = row[1] if postgres else row[1:]
        for column, value in zip(into[row[0]], values, strict=postgres):
            if value is not None:
                column.append(value)
    return found


@lru_cache(maxsize=64)
def _query(
    postgres: bool,
    wanted: tuple[tuple[TableInfo, tuple[ColumnInfo, ...]], ...],
    size: int,
    schema: str | None,
    max_chars: int | None,
) -> sa.CompoundSelect[Any]:
    """The query of ``sample_all``, built once per process for a schema as reflected
    (building a UNION of many tables costs SQLAlchemy more than running it)."""
    if postgres:
        return _postgresql_query(wanted, size, schema, max_chars)
    return _padded_query(wanted, size, schema, max_chars)


_AS_WRITTEN = frozenset({"postgresql", "sqlite"})
"""Dialects whose sample query runs as SQL text compiled once (``_written``)."""


@lru_cache(maxsize=64)
def _written(query: sa.CompoundSelect[Any], dialect: sa.Dialect) -> str:
    """The query as the driver's SQL, its few numbers (limits, percentages) written in:
    executing the UNION through SQLAlchemy cost a walk of all its branches for the
    cache key at every scan, about as long as PostgreSQL took to answer it on pagila. Percent
    signs in names come out doubled, as the driver reads them."""
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _postgresql_query(
    wanted: Sequence[tuple[TableInfo, Sequence[ColumnInfo]]],
    size: int,
    schema: str | None,
    max_chars: int | None,
) -> sa.CompoundSelect[Any]:
    branches: list[Any] = []
    for index, (table, columns) in enumerate(wanted):
        source: sa.FromClause = sa.table(
            table.name, *(sa.column(c.name) for c in columns), schema=schema
        )
        percent = sample_percent(table.rows, size)
        if percent is not None:
            source = sa.tablesample(source, sa.func.system(percent), name="sampled")
        # The driver reads a text[] as a list of str: no SQLAlchemy processor walks its
        # items again (that walk cost more than the query's rows).
        values = sa.type_coerce(
            postgresql.array([_as_text(source.c[c.name], c, max_chars) for c in columns]),
            sa.types.NullType(),
        )
        branches.append(
            sa.select(sa.literal_column(str(index)), values).select_from(source).limit(size)
        )
    return sa.union_all(*branches)


def _padded_query(
    wanted: Sequence[tuple[TableInfo, Sequence[ColumnInfo]]],
    size: int,
    schema: str | None,
    max_chars: int | None,
) -> sa.CompoundSelect[Any]:
    """Every table's sample as one UNION ALL (SQLite, MariaDB, MySQL): a branch per
    table, its columns padded with NULLs to the widest table's, each branch a subquery
    for its LIMIT (SQLite allows no parentheses around a compound's members)."""
    width = max(len(columns) for _, columns in wanted)
    branches: list[Any] = []
    for index, (table, columns) in enumerate(wanted):
        source = sa.table(table.name, *(sa.column(c.name) for c in columns), schema=schema)
        values: list[Any] = [
            sa.func.substr(source.c[c.name], 1, sa.literal_column(str(int(max_chars))))
            if max_chars and c.kind == TEXT
            else source.c[c.name]
            for c in columns
        ]
        values += [sa.null()] * (width - len(columns))
        inner = (
            sa.select(
                sa.literal_column(str(index)).label("t"),
                *(value.label(f"v{i}") for i, value in enumerate(values)),
            )
            .select_from(source)
            .limit(size)
            .subquery(f"s{index}")
        )
        branches.append(sa.select(*inner.c))
    return sa.union_all(*branches)


def _as_text(
    column: sa.ColumnElement[object], info: ColumnInfo, max_chars: int | None
) -> sa.ColumnElement[str]:
    """A value as text: a date or time as its ISO date whatever the session's DateStyle,
    text cut to ``max_chars``."""
    if info.kind in (DATE, DATETIME):
        return sa.func.to_char(column, "YYYY-MM-DD")
    text = sa.cast(column, sa.Text)
    return sa.func.left(text, sa.literal_column(str(int(max_chars)))) if max_chars else text


def sample_percent(estimate: float | None, size: int) -> float | None:
    """The TABLESAMPLE percentage that yields about four times ``size`` rows, for tables
    the statistics say hold more than forty times that (smaller ones are read whole
    up to the limit, which costs less than sampling them)."""
    if estimate is None or estimate < 40 * size:
        return None
    return min(100.0, 400.0 * size / estimate)
