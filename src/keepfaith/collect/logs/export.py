"""The aggregate export for partners and advertisers: views and clicks, no personal data.

Only totals and counts leave: page views and visits per day, visitors (each day's
unique visitors, a number, never a sketch), and pages, referrer domains, browsers,
systems, devices, countries and clicks from page to page, each only when at least
``min_count`` views share it; rarer values are summed into ``(other)`` so that a rare
page or referrer cannot single anyone out. Names are the report's (``report.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from keepfaith.collect.logs.report import counts, report

if TYPE_CHECKING:
    from keepfaith.ledger import Transaction

EXPORTED = ("page", "referrer", "browser", "os", "device", "country", "transition")
OTHER = "(other)"


def export(
    tx: Transaction,
    tenant: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    min_count: int = 10,
) -> dict[str, Any]:
    """A JSON-ready aggregate of ``tenant``'s statistics over ``since``..``until``."""
    summary = report(tx, tenant, since=since, until=until, top=0)
    totals = summary.totals()
    values = {dim: counts(tx, tenant, dim, since=since, until=until) for dim in EXPORTED}
    result: dict[str, Any] = {
        "tenant": tenant,
        "since": summary.since.isoformat() if summary.since else None,
        "until": summary.until.isoformat() if summary.until else None,
        "min_count": min_count,
        "visitors": summary.visitors,
        "pageviews": totals["pageviews"],
        "visits": totals["visits"],
        "clicks": sum(values["transition"].values()),
        "days": [
            {
                "day": day.day.isoformat(),
                "visitors": day.visitors,
                "pageviews": day.pageviews,
                "visits": day.visits,
            }
            for day in summary.days
        ],
        "top": {dim: _folded(values[dim], min_count) for dim in EXPORTED},
    }
    return result


def _folded(values: dict[str, int], min_count: int) -> list[dict[str, Any]]:
    kept = {value: n for value, n in values.items() if n >= min_count}
    rest = sum(values.values()) - sum(kept.values())
    rows = sorted(kept.items(), key=lambda item: (-item[1], item[0]))
    if rest:
        rows.append((OTHER, rest))
    return [{"value": value, "count": n} for value, n in rows]
