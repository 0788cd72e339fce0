"""Read visit statistics back: per-day totals and the top values of each dimension.

``report()`` is what ``keepfaith logs report`` prints and what the admin dashboard
draws. Each day has its own salt, so nobody can be followed from one day to the next:
unique visitors are a day's figure, and a period's ``visitors`` is the sum of its days'
(a person who came on two days counts twice). The table, the JSON, the CSV and the
export use the same names: ``visitors``, ``pageviews``, ``visits``, ``requests``,
``bot_requests``, ``bytes``, and the dimensions of ``DIMENSIONS``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from keepfaith.collect.logs.tally import BUCKETS
from keepfaith.ledger import statistics
from keepfaith.translatable import N_

if TYPE_CHECKING:
    from keepfaith.ledger import Transaction

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
COMPLETE = ("hour", "time_on_page")
"""Dimensions reported whole, in their own order (every hour, every bucket), not top N."""
HEADINGS = {"os": "Top operating systems", "country": "Top countries"}
"""Headings in the table where "Top" and an s would read wrong."""
TOTALS = ("pageviews", "visits", "requests", "bot_requests", "bytes")


@dataclass(frozen=True)
class Day:
    """One day's totals."""

    day: dt.date
    visitors: int
    """Unique visitors that day (estimated from the day's sketch)."""
    pageviews: int
    visits: int
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
    top: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """Per dimension, the most frequent values with their counts, most first (``hour``
    and ``time_on_page`` whole and in their own order)."""

    @property
    def visitors(self) -> int:
        """The sum of each day's unique visitors (days are never joined: see above)."""
        return sum(day.visitors for day in self.days)

    def totals(self) -> dict[str, int]:
        return {name: sum(getattr(day, name) for day in self.days) for name in TOTALS}

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
    tx: Transaction,
    tenant: str,
    days: int | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    top: int = 10,
) -> Report:
    """Statistics of ``tenant``: the last ``days`` days with data, or ``since``..``until``."""
    if days is not None:
        latest = statistics.latest_day(tx, tenant)
        if latest is not None:
            until = until or latest
            since = until - dt.timedelta(days=days - 1)
    rows = statistics.days(tx, tenant, since, until)
    summed = statistics.summed(tx, tenant, since, until)
    return Report(
        tenant=tenant,
        since=since,
        until=until,
        days=[
            Day(
                day=row.day,
                visitors=statistics.estimate(row.visitors),
                pageviews=row.pageviews,
                visits=row.sessions,
                requests=row.requests,
                bot_requests=row.bot_requests,
                bytes=row.bytes,
            )
            for row in rows
        ],
        top=_ranked(summed, top),
    )


def counts(
    tx: Transaction,
    tenant: str,
    dimension: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict[str, int]:
    """Every value of one dimension with its count over the period."""
    summed = statistics.summed(tx, tenant, since, until, dimension)
    return {value: n for (_, value), n in summed.items()}


def _ranked(summed: dict[tuple[str, str], int], top: int) -> dict[str, list[tuple[str, int]]]:
    ranked: dict[str, list[tuple[str, int]]] = {dim: [] for dim in DIMENSIONS}
    for (dimension, value), n in summed.items():
        ranked.setdefault(dimension, []).append((value, n))
    for dimension, values in ranked.items():
        if dimension == "hour":
            values.sort()
        elif dimension == "time_on_page":
            values.sort(key=lambda pair: BUCKETS.index(pair[0]) if pair[0] in BUCKETS else 99)
        else:
            values.sort(key=lambda pair: (-pair[1], pair[0]))
            del values[top:]
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


NO_COUNTRIES = N_("none: countries are counted when logs are ingested with --geoip FILE")
"""What the table and the dashboard say when no country was counted."""


def as_table(report: Report) -> str:
    """Plain-text tables for a terminal, with the JSON's names as column headings."""
    lines = [
        f"Visit statistics for {report.tenant}: {report.visitors} visitors"
        " (each day's unique visitors, summed)"
    ]
    names = ("visitors", "pageviews", "visits", "requests", "bot_requests")
    lines += ["", f"{'day':<12}" + "".join(f"{name:>14}" for name in names)]
    for day in report.days:
        row = "".join(f"{getattr(day, name):>14}" for name in names)
        lines.append(f"{day.day.isoformat():<12}{row}")
    for dimension in ("page", "referrer", "browser", "os", "device", "country"):
        values = report.top.get(dimension, [])
        lines += ["", HEADINGS.get(dimension, f"Top {dimension}s")]
        lines += [f"{count:>10}  {value}" for value, count in values]
        if not values:
            lines.append(f"         -  {NO_COUNTRIES}" if dimension == "country" else "         -")
    return "\n".join(lines) + "\n"
