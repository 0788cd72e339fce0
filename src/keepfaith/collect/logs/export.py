"""The aggregate export for partners and advertisers: views and clicks, no personal data.

Only totals and counts leave: page views and visits per day, unique visitors (a number,
never a sketch), and pages, referrer domains, browsers, systems, devices and clicks from
page to page, each only when at least ``min_count`` views share it; rarer values are
summed into ``(other)`` so that a rare page or referrer cannot single anyone out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from keepfaith.collect.logs.report import counts, report

EXPORTED = ("page", "referrer", "browser", "os", "device", "country", "transition")
OTHER = "(other)"


def export(
    target: Any,
    tenant: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    min_count: int = 10,
) -> dict[str, Any]:
    """A JSON-ready aggregate of ``tenant``'s statistics over ``since``..``until``."""
    summary = report(target, tenant, since=since, until=until, top=0)
    totals = summary.totals()
    result: dict[str, Any] = {
        "tenant": tenant,
        "since": summary.since.isoformat() if summary.since else None,
        "until": summary.until.isoformat() if summary.until else None,
        "min_count": min_count,
        "unique_visitors": summary.visitors,
        "views": totals["pageviews"],
        "visits": totals["sessions"],
        "clicks": sum(counts(target, tenant, "transition", since=since, until=until).values()),
        "days": [
            {
                "day": day.day.isoformat(),
                "unique_visitors": day.visitors,
                "views": day.pageviews,
                "visits": day.sessions,
            }
            for day in summary.days
        ],
    }
    for dimension in EXPORTED:
        values = counts(target, tenant, dimension, since=since, until=until)
        kept = {value: n for value, n in values.items() if n >= min_count}
        rest = sum(values.values()) - sum(kept.values())
        rows = sorted(kept.items(), key=lambda item: (-item[1], item[0]))
        if rest:
            rows.append((OTHER, rest))
        key = "clicks_between_pages" if dimension == "transition" else f"{dimension}s"
        result[key] = [{"value": value, "count": n} for value, n in rows]
    return result
