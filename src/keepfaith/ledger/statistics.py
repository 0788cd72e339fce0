"""Anonymous visit statistics, per tenant and day, from web-server logs: the tables and
the functions over ``tx`` that add to them, read them and delete them.

Nothing here identifies anyone: no address, no user agent, no visitor key. Counts are
per dimension value (a page, a referrer domain, a browser family...), unique visitors
are a HyperLogLog sketch (Apache DataSketches) of salted keys whose salt was never
stored, and ingested log chunks are remembered only by a SHA-256 digest of a whole
chunk, so that the same log is never counted twice.

Adding is what makes statistics from several files or machines add up exactly: counts
are added in place (``INSERT ... ON CONFLICT DO UPDATE``) and each day's sketch is
replaced by its union with the new one, in the same transaction that records the
digests of the chunks they came from.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import datasketches
import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
)
from sqlalchemy.dialects import postgresql, sqlite

from keepfaith.exceptions import NotFound
from keepfaith.ledger.base import metadata
from keepfaith.ledger.statements import statement_versions
from keepfaith.ledger.transaction import Transaction

visit_days = Table(
    "visit_days",
    metadata,
    Column("tenant", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("requests", BigInteger, nullable=False, default=0),
    Column("bot_requests", BigInteger, nullable=False, default=0),
    Column("pageviews", BigInteger, nullable=False, default=0),
    Column("sessions", BigInteger, nullable=False, default=0),
    Column("bytes", BigInteger, nullable=False, default=0),
    Column("visitors", LargeBinary, nullable=True),
    PrimaryKeyConstraint("tenant", "day"),
)

visit_counts = Table(
    "visit_counts",
    metadata,
    Column("tenant", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("dimension", String(32), nullable=False),
    Column("value", String(1024), nullable=False),
    Column("count", BigInteger, nullable=False, default=0),
    PrimaryKeyConstraint("tenant", "day", "dimension", "value"),
)

visit_chunks = Table(
    "visit_chunks",
    metadata,
    Column("tenant", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("lines", Integer, nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant", "digest"),
)

TOTALS = ("requests", "bot_requests", "pageviews", "sessions", "bytes")
"""The per-day totals, in the order of ``visit_days``."""
LG_K = 14
"""Sketch size: 2**14 registers, about 0.8% standard error, 16 KiB at most per day."""


def new_sketch() -> datasketches.hll_sketch:
    return datasketches.hll_sketch(LG_K, datasketches.HLL_8)


def union(*sketches: bytes | datasketches.hll_sketch | None) -> datasketches.hll_sketch:
    """The union of serialized or live sketches (``None`` is skipped)."""
    result = datasketches.hll_union(LG_K)
    for sketch in sketches:
        if sketch is not None:
            live = (
                datasketches.hll_sketch.deserialize(sketch) if isinstance(sketch, bytes) else sketch
            )
            result.update(live)
    return result.get_result(datasketches.HLL_8)


def serialize(sketch: datasketches.hll_sketch) -> bytes:
    return bytes(sketch.serialize_compact())


def estimate(sketch: bytes | datasketches.hll_sketch | None) -> int:
    """Estimated distinct visitors in a sketch (0 for none)."""
    if not sketch:
        return 0
    live = datasketches.hll_sketch.deserialize(sketch) if isinstance(sketch, bytes) else sketch
    return round(float(live.get_estimate()))


@dataclass
class DayStats:
    """One day's statistics in memory, ready to be added to the stored ones."""

    totals: Counter[str] = field(default_factory=Counter)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    """``(dimension, value) -> count``."""
    sketch: datasketches.hll_sketch = field(default_factory=new_sketch)

    def add(self, other: DayStats) -> None:
        self.totals.update(other.totals)
        self.counts.update(other.counts)
        self.sketch = union(self.sketch, other.sketch)


def counted(tx: Transaction, tenant: str, digests: Iterable[str]) -> set[str]:
    """Which of ``digests`` name chunks already counted for ``tenant``."""
    wanted = list(digests)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        query = sa.select(visit_chunks.c.digest).where(
            visit_chunks.c.tenant == tenant, visit_chunks.c.digest.in_(wanted[start : start + 500])
        )
        found.update(tx.connection.execute(query).scalars())
    return found


def add(
    tx: Transaction,
    tenant: str,
    days: Mapping[dt.date, DayStats],
    chunks: Iterable[tuple[str, int]] = (),
    *,
    source: str = "ingest",
) -> None:
    """Add ``days`` to the stored statistics and remember ``chunks`` (digest, lines) as
    counted, audited as one change (``source`` says how: ``ingest`` or ``merge``)."""
    connection = tx.connection
    now = tx.now()
    chunks = list(chunks)
    rows = [{"tenant": tenant, "digest": d, "lines": n, "ingested_at": now} for d, n in chunks]
    if rows:
        connection.execute(_insert(connection, visit_chunks).on_conflict_do_nothing(), rows)
    for day, stats in sorted(days.items()):
        _add_day(connection, tenant, day, stats)
    _add_counts(connection, tenant, days)
    if days or rows:
        details = {
            "source": source,
            "days": [day.isoformat() for day in sorted(days)],
            "chunks": len(rows),
            "lines": sum(lines for _, lines in chunks),
        }
        tx.audit("add", "visit_statistics", tenant=tenant, details=details)


def _insert(connection: sa.Connection, table: sa.Table) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _add_counts(connection: sa.Connection, tenant: str, days: Mapping[dt.date, DayStats]) -> None:
    """Upsert every count, adding to what is stored; through the driver, as these are
    the bulk of what ingestion writes (SQLite and PostgreSQL share the syntax)."""
    sqlite_dates = connection.dialect.name == "sqlite"  # stored as ISO text there
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    rows = [
        (tenant, day.isoformat() if sqlite_dates else day, dimension, value, n)
        for day, stats in sorted(days.items())
        for (dimension, value), n in sorted(stats.counts.items())
    ]
    if rows:
        connection.exec_driver_sql(
            "INSERT INTO visit_counts (tenant, day, dimension, value, count)"
            f" VALUES ({', '.join([mark] * 5)})"
            " ON CONFLICT (tenant, day, dimension, value)"
            " DO UPDATE SET count = visit_counts.count + excluded.count",
            rows,
        )


def _add_day(connection: sa.Connection, tenant: str, day: dt.date, stats: DayStats) -> None:
    blank = {"tenant": tenant, "day": day, **dict.fromkeys(TOTALS, 0), "visitors": None}
    connection.execute(_insert(connection, visit_days).on_conflict_do_nothing(), [blank])
    key = (visit_days.c.tenant == tenant) & (visit_days.c.day == day)
    query = sa.select(visit_days.c.visitors).where(key)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    stored = connection.execute(query).scalar_one()
    merged = serialize(union(stored, stats.sketch))
    changes = {name: getattr(visit_days.c, name) + stats.totals[name] for name in TOTALS}
    connection.execute(visit_days.update().where(key).values(visitors=merged, **changes))


def latest_day(tx: Transaction, tenant: str) -> dt.date | None:
    """The newest day with statistics for ``tenant``."""
    query = sa.select(sa.func.max(visit_days.c.day)).where(visit_days.c.tenant == tenant)
    latest: dt.date | None = tx.connection.execute(query).scalar()
    return latest


def days(tx: Transaction, tenant: str, since: dt.date | None, until: dt.date | None) -> list[Any]:
    """The stored rows of ``visit_days`` in the period (both ends included), by day."""
    query = sa.select(visit_days).where(*_period(visit_days, tenant, since, until))
    return list(tx.connection.execute(query.order_by(visit_days.c.day)))


def summed(
    tx: Transaction,
    tenant: str,
    since: dt.date | None,
    until: dt.date | None,
    dimension: str | None = None,
) -> dict[tuple[str, str], int]:
    """``(dimension, value) -> count`` summed over the period (one dimension, or all)."""
    total = sa.func.sum(visit_counts.c.count).label("total")
    query = sa.select(visit_counts.c.dimension, visit_counts.c.value, total).where(
        *_period(visit_counts, tenant, since, until)
    )
    if dimension is not None:
        query = query.where(visit_counts.c.dimension == dimension)
    query = query.group_by(visit_counts.c.dimension, visit_counts.c.value)
    return {(row.dimension, row.value): int(row.total) for row in tx.connection.execute(query)}


def delete_before(tx: Transaction, tenant: str, cutoff: dt.date) -> int:
    """Delete ``tenant``'s statistics of days before ``cutoff``, audited; return the days."""
    connection = tx.connection
    connection.execute(
        visit_counts.delete().where(visit_counts.c.tenant == tenant, visit_counts.c.day < cutoff)
    )
    deleted = connection.execute(
        visit_days.delete().where(visit_days.c.tenant == tenant, visit_days.c.day < cutoff)
    )
    count = deleted.rowcount or 0
    if count:
        details = {"before": cutoff.isoformat(), "days": count}
        tx.audit("delete", "visit_statistics", tenant=tenant, details=details)
    return count


def _period(
    table: sa.Table, tenant: str, since: dt.date | None, until: dt.date | None
) -> list[Any]:
    where = [table.c.tenant == tenant]
    if since is not None:
        where.append(table.c.day >= since)
    if until is not None:
        where.append(table.c.day <= until)
    return where


def tenants(tx: Transaction) -> list[str]:
    """Tenants the ledger holds: those with a published statement or with statistics."""
    inspector = sa.inspect(tx.connection)
    found: set[str] = set()
    for table in (statement_versions, visit_days):
        if inspector.has_table(table.name):
            found.update(tx.connection.execute(sa.select(table.c.tenant).distinct()).scalars())
    return sorted(found)


def require_tables(tx: Transaction) -> None:
    """``NotFound`` unless the statistics tables exist (reading never creates them)."""
    if not sa.inspect(tx.connection).has_table(visit_days.name):
        raise NotFound("the ledger has no visit statistics yet: ingest logs first")
