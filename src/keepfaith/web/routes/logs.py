"""The visit statistics dashboard in the admin area, and its JSON twin.

Both read ``keepfaith.collect.logs.report``; the charts are inline SVG drawn here, so
the page loads no script. Statistics are anonymous, yet they are the company's own
business figures: staff with an owner, privacy-officer or auditor role only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from keepfaith.collect.logs.report import NO_COUNTRIES, Report, report
from keepfaith.ledger import Ledger
from keepfaith.ledger.staff import Principal, Role
from keepfaith.statement import Statement
from keepfaith.web import deps, guard

router = guard.router(tags=["visit statistics"])

readers = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER, Role.AUDITOR)
Days = Query(30, ge=1, le=3660, description="The last N days with data.")


@router.get(
    "/admin/t/{tenant}/visits",
    response_class=HTMLResponse,
    summary="Dashboard of a tenant's anonymous visit statistics",
)
def dashboard(
    request: Request,
    days: int = Days,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    staff: Principal = Depends(readers),
) -> HTMLResponse:
    with ledger.reading() as tx:
        summary = report(tx, statement.id, days)
    context = {"staff": staff, "report": summary, "days": days, "charts": charts(summary)}
    context["no_countries"] = NO_COUNTRIES
    return deps.render(request, "admin/visits.html", context)


@router.get("/admin/api/t/{tenant}/visits", summary="A tenant's visit statistics as JSON")
def visits_json(
    days: int = Days,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    staff: Principal = Depends(readers),
) -> dict[str, Any]:
    with ledger.reading() as tx:
        return report(tx, statement.id, days).to_dict()


def charts(summary: Report) -> dict[str, Markup]:
    """The dashboard's charts: visitors and page views on every day of the period (none
    on a day without data), and page views in each of the 24 hours."""
    by_day = {day.day: day for day in summary.days}
    first = summary.since or min(by_day, default=None)
    last = summary.until or max(by_day, default=None)
    period = (
        [first + dt.timedelta(n) for n in range((last - first).days + 1)] if first and last else []
    )
    labels = [day.strftime("%d %b") for day in period]
    visitors = [by_day[day].visitors if day in by_day else 0 for day in period]
    pageviews = [by_day[day].pageviews if day in by_day else 0 for day in period]
    hours = dict(summary.top.get("hour", []))
    return {
        "visitors": bars(visitors, labels, "Unique visitors per day"),
        "pageviews": bars(pageviews, labels, "Page views per day"),
        "hours": bars(
            [hours.get(f"{h:02d}", 0) for h in range(24)],
            [f"{h:02d}" for h in range(24)],
            "Page views by hour of the day",
        ),
    }


def bars(values: list[int], labels: list[str], title: str) -> Markup:
    """A bar chart as an inline SVG, with a title and a text alternative."""
    width, height, gap = 640, 160, 2
    step = width / max(len(values), 1)
    top = max(values, default=0) or 1
    parts = [
        f'<svg role="img" viewBox="0 0 {width} {height + 20}" width="100%"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        tall = height * value / top
        x = index * step
        parts.append(
            f'<rect x="{x:.1f}" y="{height - tall:.1f}" width="{max(step - gap, 1):.1f}"'
            f' height="{tall:.1f}" fill="#3b6ea5"><title>{escape(label)}: {value}</title></rect>'
        )
        if len(values) <= 31:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height + 14}" font-size="9"'
                f' text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
