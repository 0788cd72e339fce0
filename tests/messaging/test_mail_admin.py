"""The admin pages of mail: campaigns started, paused and resumed; templates previewed."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable

import httpx

from keepfaith.ledger import staff
from keepfaith.ledger.staff import Role
from tests.ledger.support import write
from tests.messaging.conftest import World, person

Mail = Callable[..., World]
Web = Callable[[World], httpx.Client]
PAGE = "/admin/t/parature/mail"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(world: World, client: httpx.Client, role: Role) -> httpx.Client:
    user = write(
        world.ledger, staff.create_user, f"s-{uuid.uuid4().hex[:8]}@example.com", "pw" * 8, role
    )
    # The world's ledger runs on a test clock in the past; the app's on the real one.
    lasts = dt.datetime.now(dt.UTC) - world.ledger.clock() + dt.timedelta(minutes=30)
    token = write(world.ledger, staff.start_session, user, lasts)
    client.cookies.set("kf_session", token)
    return client


def csrf(client: httpx.Client) -> str:
    found = CSRF.search(client.get(PAGE).text)
    assert found
    return found.group(1)


def test_staff_start_pause_and_resume_a_campaign_from_the_admin_page(mail: Mail, web: Web) -> None:
    world = mail("parature")
    for n in range(3):
        person(
            world.ledger,
            "parature",
            "customer",
            "registration",
            f"p{n}@example.org",
            consent=("marketing_email",),
        )
    officer = signed_in(world, web(world), Role.PRIVACY_OFFICER)
    token = csrf(officer)
    started = officer.post(
        "/admin/t/parature/campaigns",
        data={"purpose": "marketing_email", "template": "notice", "csrf_token": token},
    )
    assert started.status_code == 303
    [shown] = officer.get("/admin/api/t/parature/campaigns").json()
    assert (shown["queued"], shown["status"]) == (3, "running")
    page = officer.get(PAGE).text
    assert "0 of 3 (3 queued)" in page and ">Pause<" in page
    paused = officer.post(
        f"/admin/t/parature/campaigns/{shown['id']}/pause", data={"csrf_token": token}
    )
    assert paused.status_code == 303
    assert officer.get("/admin/api/t/parature/campaigns").json()[0]["status"] == "paused"
    officer.post(f"/admin/t/parature/campaigns/{shown['id']}/resume", data={"csrf_token": token})
    assert officer.get("/admin/api/t/parature/campaigns").json()[0]["status"] == "running"
    again = officer.post(
        f"/admin/t/parature/campaigns/{shown['id']}/resume", data={"csrf_token": token}
    )
    assert again.status_code == 409


def test_a_campaign_nobody_may_get_is_refused_on_the_page(mail: Mail, web: Web) -> None:
    world = mail("parature")
    officer = signed_in(world, web(world), Role.OWNER)
    refused = officer.post(
        "/admin/t/parature/campaigns",
        data={"purpose": "marketing_email", "template": "notice", "csrf_token": csrf(officer)},
    )
    assert refused.status_code == 409 and "allows marketing_email to nobody" in refused.text


def test_who_may_look_and_who_may_act(mail: Mail, web: Web) -> None:
    world = mail("parature")
    assert web(world).get(PAGE).status_code == 401
    auditor = signed_in(world, web(world), Role.AUDITOR)
    page = auditor.get(PAGE)
    assert page.status_code == 200 and "Start a campaign" not in page.text
    token = csrf(auditor)
    refused = auditor.post(
        "/admin/t/parature/campaigns",
        data={"purpose": "marketing_email", "template": "notice", "csrf_token": token},
    )
    assert refused.status_code == 403
    agent = signed_in(world, web(world), Role.SUPPORT_AGENT)
    assert agent.get(PAGE).status_code == 403
    officer = signed_in(world, web(world), Role.PRIVACY_OFFICER)
    no_csrf = officer.post(
        "/admin/t/parature/campaigns", data={"purpose": "marketing_email", "template": "notice"}
    )
    assert no_csrf.status_code == 403


def test_a_template_preview_shows_the_statements_opt_out_wording(mail: Mail, web: Web) -> None:
    world = mail("parature")
    officer = signed_in(world, web(world), Role.PRIVACY_OFFICER)
    page = officer.get("/admin/t/parature/templates/notice?purpose=marketing_email")
    assert page.status_code == 200
    text = page.text
    assert "[title]" in text and "Dear Ann Example," in text
    assert "To withdraw: the unsubscribe link in every message" in text
    service = officer.get("/admin/t/parature/templates/notice?purpose=administrative_email")
    assert service.status_code == 200 and "To withdraw" not in service.text
    missing = officer.get("/admin/t/parature/templates/nope?purpose=marketing_email")
    assert missing.status_code == 404
    assert officer.get("/admin/t/parature/templates/notice?purpose=nope").status_code == 404
