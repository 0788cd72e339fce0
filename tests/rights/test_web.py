"""The rights routes: the API for the company's app, the privacy center's pages, and the
admin queue, each authenticated first and answering bad input with the field."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI

from keepfaith import jobs
from keepfaith.ledger.staff import Role
from tests.messaging.sink import Sink
from tests.rights.conftest import CODE
from tests.web.conftest import EZTALKS, form_token

ADDRESS = "ann@example.com"


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink() as running:
        yield running


@pytest.fixture
def app(make_app: Callable[..., FastAPI], sink: Sink) -> FastAPI:
    return make_app(
        (EZTALKS,),
        mail_from="Privacy <privacy@keepfaith.test>",
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_security="none",
        jobs_poll_seconds=0.1,
    )


def sent_code(app: FastAPI, sink: Sink) -> str:
    jobs.work(app.state.ledger, app.state.settings, burst=True)
    found = CODE.search(sink.to(ADDRESS)[-1].text)
    assert found is not None
    return found.group(1)


def test_the_api_authenticates_then_opens_and_verifies(
    app: FastAPI,
    make_client: Callable[..., httpx.Client],
    api_token: Callable[..., str],
    sink: Sink,
) -> None:
    client = make_client(app)
    body = {"kind": "access", "email": ADDRESS}
    assert client.post("/api/t/eztalks/requests", json=body).status_code == 401
    headers = {"Authorization": f"Bearer {api_token(Role.SUPPORT_AGENT)}"}
    bad = client.post(
        "/api/t/eztalks/requests", json={"kind": "x\0", "email": ADDRESS}, headers=headers
    )
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"kind"}
    opened = client.post("/api/t/eztalks/requests", json=body, headers=headers)
    assert opened.status_code == 202 and opened.json()["state"] == "unverified"
    assert ADDRESS not in opened.text
    case = opened.json()["id"]
    wrong = client.post(
        f"/api/t/eztalks/requests/{case}/verify", json={"code": "nope"}, headers=headers
    )
    assert wrong.json() == {"id": case, "verified": False, "attempts_left": 4}
    right = client.post(
        f"/api/t/eztalks/requests/{case}/verify",
        json={"code": sent_code(app, sink)},
        headers=headers,
    )
    assert right.json()["verified"] is True


def test_the_privacy_center_takes_a_request_and_its_code(
    app: FastAPI, make_client: Callable[..., httpx.Client], sink: Sink
) -> None:
    client = make_client(app)
    page = client.get("/t/eztalks/privacy-center/requests")
    assert page.status_code == 200 and 'value="know"' in page.text
    assert 'value="portability"' not in page.text  # eztalks does not offer it
    token = form_token(client, "/t/eztalks/privacy-center/requests")
    refused = client.post(
        "/t/eztalks/privacy-center/requests",
        data={"csrf_token": token, "kind": "know", "email": "nope"},
    )
    assert refused.status_code == 422 and "email" in refused.text
    asked = client.post(
        "/t/eztalks/privacy-center/requests",
        data={"csrf_token": token, "kind": "know", "email": ADDRESS},
    )
    assert asked.status_code == 200 and 'id="code"' in asked.text
    action = asked.text.split('action="', 2)[1].split('"')[0]
    token = form_token(client, "/t/eztalks/privacy-center/requests")
    done = client.post(action, data={"csrf_token": token, "code": sent_code(app, sink)})
    assert "your request is verified" in done.text


def test_the_admin_queue_lists_shows_and_denies_with_a_reason(
    app: FastAPI,
    make_client: Callable[..., httpx.Client],
    api_token: Callable[..., str],
    staff_client: Callable[..., httpx.Client],
    sink: Sink,
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.SUPPORT_AGENT)}"}
    case = (
        make_client(app)
        .post("/api/t/eztalks/requests", json={"kind": "delete", "email": ADDRESS}, headers=headers)
        .json()["id"]
    )
    assert make_client(app).get("/admin/t/eztalks/requests").status_code in (401, 303)
    officer = staff_client(Role.PRIVACY_OFFICER)
    listing = officer.get("/admin/t/eztalks/requests?state=unverified")
    assert f"#{case}" in listing.text and "on time" in listing.text
    assert officer.get("/admin/api/t/eztalks/requests?state=done").json() == []
    page = officer.get(f"/admin/t/eztalks/requests/{case}")
    assert "verification_sent" in page.text and ADDRESS not in page.text
    token = form_token(officer, f"/admin/t/eztalks/requests/{case}")
    denied = officer.post(
        f"/admin/t/eztalks/requests/{case}/deny",
        data={"csrf_token": token, "reason": "Not enough to identify you."},
        follow_redirects=False,
    )
    assert denied.status_code == 303
    [entry] = officer.get("/admin/api/t/eztalks/requests").json()
    assert entry["state"] == "denied" and entry["answer"] == {
        "denied": "Not enough to identify you."
    }
