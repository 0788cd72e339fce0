"""The admin dashboard of visit statistics: charts as inline SVG, staff only."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi import FastAPI

from keepfaith.collect.logs import ingest
from keepfaith.ledger import Ledger
from keepfaith.ledger.staff import Role
from keepfaith.web.routes.logs import charts
from tests.logs.support import REAL_LOG, counts, report
from tests.web.conftest import sign_in


def test_dashboard_draws_the_statistics_for_staff_only(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    app = make_app()  # the parature example
    ingest(app.state.ledger, "parature", [REAL_LOG])
    client = make_client(app)
    assert client.get("/admin/t/parature/visits").status_code == 401
    sign_in(client, app, Role.SUPPORT_AGENT)
    assert client.get("/admin/t/parature/visits").status_code == 403
    sign_in(client, app, Role.PRIVACY_OFFICER)
    page = client.get("/admin/t/parature/visits?days=3650")
    assert page.status_code == 200
    assert page.text.count("<svg") == 3 and "<script" not in page.text
    assert "/projects/xdotool/" in page.text and "83.149.9.216" not in page.text
    data = client.get("/admin/api/t/parature/visits?days=3650").json()
    assert data["totals"]["pageviews"] == 1929 and len(data["days"]) == 4


def test_the_charts_draw_every_hour_and_every_day_of_the_period(
    ledger: Ledger, tmp_path: Path
) -> None:
    ingest(ledger, "acme", [REAL_LOG])
    summary = report(ledger, "acme", 7)  # 4 days with data, 14 to 20 May
    drawn = charts(summary)
    hourly = re.findall(r"<title>(\d\d): (\d+)</title>", drawn["hours"])
    assert [hour for hour, _ in hourly] == [f"{h:02d}" for h in range(24)]
    assert {h: int(n) for h, n in hourly} == counts(ledger, "acme", "hour")
    daily = re.findall(r"<title>(\d\d \w{3}): (\d+)</title>", drawn["pageviews"])
    assert [day for day, _ in daily] == [f"{d} May" for d in range(14, 21)]
    assert [int(n) for _, n in daily] == [0, 0, 0, *(d.pageviews for d in summary.days)]
