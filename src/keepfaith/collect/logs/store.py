"""Reading and merging visit statistics in the ledger database.

Merging is what makes statistics from several files or machines add up exactly: counts
are added in place (``INSERT ... ON CONFLICT DO UPDATE``) and each day's visitor sketch
is replaced by its union with the new one, in the same transaction that records the
digests of the chunks they came from.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from keepfaith.collect.logs import visitors
from keepfaith.ledger.statistics import visit_chunks, visit_days

TOTALS = ("requests", "bot_requests", "pageviews", "sessions", "bytes")


@dataclass
class DayStats:
    """One day's statistics, in memory, ready to be merged into the database."""

    totals: Counter[str] = field(default_factory=Counter)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    sketch: Any = field(default_factory=visitors.new_sketch)


@contextmanager
def engine_of(target: Any) -> Iterator[sa.Engine]:
    """A SQLAlchemy engine from an engine, a ``Ledger`` (``.engine``) or a database URL;
    an engine made here from a URL is disposed of on leaving."""
    if isinstance(target, sa.Engine):
        yield target
        return
    if isinstance(target, str):
        engine = sa.create_engine(target)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    ledger_engine = getattr(target, "engine", None)
    if not isinstance(ledger_engine, sa.Engine):
        raise TypeError("expected a database URL, a SQLAlchemy engine or a Ledger")
    yield ledger_engine


def _insert(connection: sa.Connection, table: sa.Table) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def seen(connection: sa.Connection, tenant: str, digest: str) -> bool:
    """Whether a chunk with this digest was already counted for ``tenant``."""
    query = sa.select(visit_chunks.c.lines).where(
        visit_chunks.c.tenant == tenant, visit_chunks.c.digest == digest
    )
    return connection.execute(query).first() is not None


def save(
    connection: sa.Connection,
    tenant: str,
    days: dict[dt.date, DayStats],
    chunks: Iterable[tuple[str, int]],
) -> None:
    """Merge ``days`` into the stored statistics and remember ``chunks`` (digest, lines)."""
    now = dt.datetime.now(dt.UTC)
    rows = [{"tenant": tenant, "digest": d, "lines": n, "ingested_at": now} for d, n in chunks]
    if rows:
        connection.execute(_insert(connection, visit_chunks).on_conflict_do_nothing(), rows)
    for day, stats in sorted(days.items()):
        _save_day(connection, tenant, day, stats)
    _add_counts(connection, tenant, days)


def _add_counts(connection: sa.Connection, tenant: str, days: dict[dt.date, DayStats]) -> None:
    """Upsert every count, adding to what is stored; through the driver, as these are
    the bulk of what ingestion writes (SQLite and PostgreSQL share the syntax)."""
    sqlite_dates = connection.dialect.name == "sqlite"  # stored as ISO text there
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    rows = [
        (tenant, day.isoformat() if sqlite_dates else day, dimension, value, n)
        for day, stats in days.items()
        for (dimension, value), n in stats.counts.items()
    ]
    if rows:
        connection.exec_driver_sql(
            "INSERT INTO visit_counts (tenant, day, dimension, value, count)"
            f" VALUES ({', '.join([mark] * 5)})"
            " ON CONFLICT (tenant, day, dimension, value)"
            " DO UPDATE SET count = visit_counts.count + excluded.count",
            rows,
        )


def _save_day(connection: sa.Connection, tenant: str, day: dt.date, stats: DayStats) -> None:
    blank = {"tenant": tenant, "day": day, **dict.fromkeys(TOTALS, 0), "visitors": None}
    connection.execute(_insert(connection, visit_days).on_conflict_do_nothing(), [blank])
    key = (visit_days.c.tenant == tenant) & (visit_days.c.day == day)
    query = sa.select(visit_days.c.visitors).where(key)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    stored = connection.execute(query).scalar_one()
    merged = visitors.serialize(visitors.merge(stored, stats.sketch))
    changes: dict[str, Any] = {
        name: getattr(visit_days.c, name) + stats.totals[name] for name in TOTALS
    }
    connection.execute(visit_days.update().where(key).values(visitors=merged, **changes))
