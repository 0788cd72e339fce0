"""Read visit statistics back: per-day totals and the top values of each dimension.

``report()`` is what ``keepfaith logs report`` prints and what the admin dashboard
draws. Unique visitors over a period are the union of the days' sketches, so a person
who came on two days counts once when the two days were hashed under the same salt.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from keepfaith.collect.logs import store, visitors
from keepfaith.collect.logs.tally import BUCKETS
from keepfaith.ledger.statistics import visit_counts, visit_days

DIMENSIONS = (
    "page",
    "referrer",
    "browser",
    "os",
    "device",
    "country",
    "hour",
    "status",
    "bot",
    "entry",
    "transition",
    "time_on_page",
)
"""What is counted per day: page views by page, referrer domain, browser, OS, device
class, country (with a GeoIP database) and hour; requests by status class and by bot;
visits by entry page; moves from page to page; and time spent on a page, in buckets."""

PLURALS = {"country": "countries"}
"""Headings in the table, where adding an s is wrong."""


@dataclass(frozen=True)
class Day:
    """One day's totals."""

    day: dt.date
    visitors: int
    pageviews: int
    sessions: int
    requests: int
    bot_requests: int
    bytes: int


@dataclass(frozen=True)
class Report:
    """A tenant's statistics over a period (both ends included)."""

    tenant: str
    since: dt.date | None
    until: dt.date | None
    days: list[Day]
    visitors: int
    """Distinct visitors over the whole period (sketch union)."""
    top: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """Per dimension, the most frequent values with their counts, most first."""

    def totals(self) -> dict[str, int]:
        names = ("pageviews", "sessions", "requests", "bot_requests", "bytes")
        return {name: sum(getattr(day, name) for day in self.days) for name in names}

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "visitors": self.visitors,
            "totals": self.totals(),
            "days": [{**asdict(day), "day": day.day.isoformat()} for day in self.days],
            "top": {dim: [list(pair) for pair in values] for dim, values in self.top.items()},
        }


def report(
    target: Any,
    tenant: str,
    days: int | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    top: int = 10,
) -> Report:
    """Statistics of ``tenant``: the last ``days`` days with data, or ``since``..``until``."""
    with store.engine_of(target) as engine, engine.connect() as connection:
        if days is not None:
            latest = connection.execute(
                sa.select(sa.func.max(visit_days.c.day)).where(visit_days.c.tenant == tenant)
            ).scalar()
            if latest is not None:
                until = until or latest
                since = until - dt.timedelta(days=days - 1)
        where = [visit_days.c.tenant == tenant]
        if since is not None:
            where.append(visit_days.c.day >= since)
        if until is not None:
            where.append(visit_days.c.day <= until)
        rows = connection.execute(
            sa.select(visit_days).where(*where).order_by(visit_days.c.day)
        ).all()
        ranked = _top(connection, tenant, since, until, top)
    sketch = visitors.merge(*(row.visitors for row in rows))
    return Report(
        tenant=tenant,
        since=since,
        until=until,
        days=[
            Day(
                day=row.day,
                visitors=visitors.estimate(row.visitors),
                pageviews=row.pageviews,
                sessions=row.sessions,
                requests=row.requests,
                bot_requests=row.bot_requests,
                bytes=row.bytes,
            )
            for row in rows
        ],
        visitors=round(sketch.get_estimate()),
        top=ranked,
    )


def counts(
    target: Any,
    tenant: str,
    dimension: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict[str, int]:
    """Every value of one dimension with its count over the period."""
    with store.engine_of(target) as engine, engine.connect() as connection:
        query = _summed(tenant, since, until).where(visit_counts.c.dimension == dimension)
        return {row.value: int(row.total) for row in connection.execute(query)}


def _summed(tenant: str, since: dt.date | None, until: dt.date | None) -> sa.Select[Any]:
    total = sa.func.sum(visit_counts.c.count).label("total")
    query = sa.select(visit_counts.c.dimension, visit_counts.c.value, total).where(
        visit_counts.c.tenant == tenant
    )
    if since is not None:
        query = query.where(visit_counts.c.day >= since)
    if until is not None:
        query = query.where(visit_counts.c.day <= until)
    return query.group_by(visit_counts.c.dimension, visit_counts.c.value)


def _top(
    connection: sa.Connection,
    tenant: str,
    since: dt.date | None,
    until: dt.date | None,
    top: int,
) -> dict[str, list[tuple[str, int]]]:
    ranked: dict[str, list[tuple[str, int]]] = {dim: [] for dim in DIMENSIONS}
    summed = _summed(tenant, since, until).subquery()
    rank = (
        sa.func.row_number()
        .over(
            partition_by=summed.c.dimension,
            order_by=(summed.c.total.desc(), summed.c.value),
        )
        .label("rank")
    )
    ordered = sa.select(summed, rank).subquery()
    query = (
        sa.select(ordered.c.dimension, ordered.c.value, ordered.c.total)
        .where(ordered.c.rank <= top)
        .order_by(ordered.c.dimension, ordered.c.rank)
    )
    for row in connection.execute(query):
        ranked.setdefault(row.dimension, []).append((row.value, int(row.total)))
    # Hours and time-on-page buckets read best in their own order, not by count.
    ranked["hour"].sort()
    ranked["time_on_page"].sort(key=lambda pair: BUCKETS.index(pair[0]))
    return ranked


def as_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


def as_csv(report: Report) -> str:
    """Long form: ``section,key,value``; one row per day metric and per top value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "key", "value"])
    writer.writerow(["visitors", "period", report.visitors])
    for day in report.days:
        for name, value in asdict(day).items():
            if name != "day":
                writer.writerow([name, day.day.isoformat(), value])
    for dimension, values in report.top.items():
        for value, count in values:
            writer.writerow([dimension, value, count])
    return out.getvalue()


def as_table(report: Report) -> str:
    """Plain-text tables for a terminal."""
    lines = [f"Visit statistics for {report.tenant}: {report.visitors} unique visitors"]
    header = f"{'day':<12}{'visitors':>10}{'views':>10}{'visits':>10}{'requests':>10}{'bots':>10}"
    lines += ["", header]
    for d in report.days:
        lines.append(
            f"{d.day.isoformat():<12}{d.visitors:>10}{d.pageviews:>10}{d.sessions:>10}"
            f"{d.requests:>10}{d.bot_requests:>10}"
        )
    for dimension in ("page", "referrer", "browser", "os", "device", "country"):
        values = report.top.get(dimension, [])
        if dimension == "country" and not values:
            continue  # counted only with a GeoIP database
        lines += ["", f"Top {PLURALS.get(dimension, dimension + 's')}"]
        lines += [f"{count:>10}  {value}" for value, count in values] or ["         -"]
    return "\n".join(lines) + "\n"
