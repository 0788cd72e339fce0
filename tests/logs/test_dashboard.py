"""The admin dashboard of visit statistics: charts as inline SVG, staff only."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI

from keepfaith.collect.logs import ingest
from keepfaith.ledger.staff import Role
from tests.logs.support import REAL_LOG
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
    assert data["totals"]["pageviews"] == 2010 and len(data["days"]) == 4
