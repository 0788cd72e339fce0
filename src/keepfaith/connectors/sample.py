"""Bounded samples of a table's values, read with the database's own sampling.

A sample lives only in the caller's local variables while the validators count it; it is
never stored, logged, returned to a user or put in an error. At most ``size`` rows are
read per table, so at most ``size`` values per column. PostgreSQL samples pages with
``TABLESAMPLE SYSTEM`` once a table is large enough for its statistics to say so; MariaDB,
MySQL and SQLite have no sampling clause and read the first ``size`` rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from keepfaith.connectors.reflect import DATE, DATETIME, TEXT, ColumnInfo, TableInfo

SAMPLED_KINDS = frozenset({TEXT, DATE, DATETIME})
"""Kinds of column whose values a validator can read; numbers, flags and binary data are
judged by name, type and keys alone."""


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
    rows; ``estimate`` is the table's row count by the statistics (``row_estimates``)."""
    if not columns or size <= 0:
        return {}
    source: sa.FromClause = sa.table(
        table.name, *(sa.column(c.name) for c in columns), schema=schema
    )
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


def row_estimates(connection: sa.Connection, schema: str | None) -> dict[str, float]:
    """PostgreSQL's row-count estimate of every table, from its statistics (one query)."""
    if connection.dialect.name != "postgresql":
        return {}
    rows = connection.execute(
        sa.text(
            "SELECT c.relname, c.reltuples FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = coalesce(:schema, current_schema())"
        ),
        {"schema": schema},
    )
    return {str(name): float(count) for name, count in rows}


def sample_percent(estimate: float | None, size: int) -> float | None:
    """The TABLESAMPLE percentage that yields about four times ``size`` rows, for tables
    the statistics say hold more than forty times that (smaller ones are read whole
    up to the limit, which costs less than sampling them)."""
    if estimate is None or estimate < 40 * size:
        return None
    return min(100.0, 400.0 * size / estimate)
