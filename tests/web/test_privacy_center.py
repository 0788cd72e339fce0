"""Consent API, privacy center, person sign-in, receipts and staff corrections over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI

from keepfaith.collect.links import link_token
from keepfaith.ledger import ConsentMethod, Ledger, Subject, consents, records, subjects
from keepfaith.ledger.staff import Role
from tests.conftest import EXAMPLES, PARATURE_CONTACT
from tests.ledger.support import read
from tests.web.conftest import SECRET, form_token

ESTARA = EXAMPLES / "estara" / "statement.yaml"
CONTACT = PARATURE_CONTACT
CENTER = "/t/parature/privacy-center"


def ledger_of(app: FastAPI) -> Ledger:
    return app.state.ledger  # type: ignore[no-any-return]


def new_person(client: httpx.Client, app: FastAPI) -> Subject:
    response = client.post("/api/t/parature/collect/contact_form", json={"fields": CONTACT})
    assert response.status_code == 201, response.text
    return read(ledger_of(app), subjects.get, "parature", response.json()["subject"])


def bearer(subject: Subject) -> dict[str, str]:
    return {"Authorization": f"Bearer {link_token(SECRET, subject.tenant, str(subject.id))}"}


def test_consent_api_needs_a_valid_link_token(client: httpx.Client, app: FastAPI) -> None:
    person = new_person(client, app)
    assert client.get("/api/t/parature/consents").status_code == 401
    forged = {"Authorization": "Bearer " + link_token("another key entirely!", "parature", "1")}
    assert client.get("/api/t/parature/consents", headers=forged).status_code == 401
    other_tenant = {"Authorization": "Bearer " + link_token(SECRET, "eztalks", str(person.id))}
    assert client.get("/api/t/parature/consents", headers=other_tenant).status_code == 401


def test_consent_api_lists_every_choice_and_changes_them(
    client: httpx.Client, app: FastAPI
) -> None:
    person = new_person(client, app)
    listed = client.get("/api/t/parature/consents", headers=bearer(person)).json()
    states = {c["id"]: (c["opt_in"], c["on"], c["state"]) for c in listed["choices"]}
    assert states["marketing_email"] == (True, False, "not_set")
    assert states["partner_sharing"] == (False, True, "not_set")
    assert states["cookie:analytics"] == (True, False, "not_set")
    sent = {"choices": {"marketing_email": True, "partner_sharing": False}}
    changed = client.post("/api/t/parature/consents", json=sent, headers=bearer(person))
    assert changed.status_code == 200, changed.text
    states = {c["id"]: (c["on"], c["state"]) for c in changed.json()["choices"]}
    assert states["marketing_email"] == (True, "given")
    assert states["partner_sharing"] == (False, "withdrawn")
    receipts = changed.json()["receipts"]
    assert [r["version"] for r in receipts] == ["KI-CR-v1.1.0"] * 2
    events = read(ledger_of(app), consents.history, person)
    assert [(e.choice, e.kind.value, e.method) for e in events] == [
        ("marketing_email", "given", ConsentMethod.EXPLICIT),
        ("partner_sharing", "withdrawn", ConsentMethod.EXPLICIT),
    ]


def test_consent_api_refuses_unknown_choices_by_name(client: httpx.Client, app: FastAPI) -> None:
    person = new_person(client, app)
    sent = {"choices": {"administer_account": False, "marketing_email": "yes"}}
    refused = client.post("/api/t/parature/consents", json=sent, headers=bearer(person))
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"administer_account", "marketing_email"}
    assert read(ledger_of(app), consents.history, person) == []


def test_the_link_becomes_a_cookie_and_leaves_the_address(
    client: httpx.Client, app: FastAPI
) -> None:
    person = new_person(client, app)
    token = link_token(SECRET, "parature", str(person.id))
    arrived = client.get(f"{CENTER}?token={token}")
    assert arrived.status_code == 303 and arrived.headers["location"] == CENTER
    cookie = arrived.headers["set-cookie"]
    assert "kf_person_parature=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert token not in cookie
    page = client.get(CENTER)
    assert page.status_code == 200
    assert 'name="choice:marketing_email" value="on">' in page.text  # opt-in: unticked
    assert 'name="choice:partner_sharing" value="on" checked>' in page.text


def test_a_change_by_session_cookie_needs_the_csrf_token(
    client: httpx.Client, app: FastAPI
) -> None:
    person = new_person(client, app)
    client.get(f"{CENTER}?token={link_token(SECRET, 'parature', str(person.id))}")
    sent = {"choices": {"marketing_email": True}}
    assert client.post("/api/t/parature/consents", json=sent).status_code == 403
    assert read(ledger_of(app), consents.history, person) == []
    csrf = {"X-CSRF-Token": form_token(client, CENTER)}
    changed = client.post("/api/t/parature/consents", json=sent, headers=csrf)
    assert changed.status_code == 200, changed.text
    assert [e.choice for e in read(ledger_of(app), consents.history, person)] == ["marketing_email"]


def test_a_bad_link_is_refused_with_a_page(client: httpx.Client) -> None:
    page = client.get(f"{CENTER}?token=not-a-token")
    assert page.status_code == 401 and "not valid" in page.text


def test_the_privacy_center_round_trips_a_change(client: httpx.Client, app: FastAPI) -> None:
    person = new_person(client, app)
    client.get(f"{CENTER}?token={link_token(SECRET, 'parature', str(person.id))}")
    token = form_token(client, CENTER)
    # The form sends the boxes that are ticked: the opt-out ones already were
    # (behavioural advertising works through a cookie, so it is off until given).
    ticked = ["marketing_email", "offer_information", "partner_sharing"]
    sent = {"csrf_token": token, **{f"choice:{c}": "on" for c in ticked}}
    saved = client.post(f"{CENTER}/choices", data=sent)
    assert saved.status_code == 303
    page = client.get(CENTER)
    assert 'name="choice:marketing_email" value="on" checked>' in page.text
    # Only the changed choice was recorded.
    assert [e.choice for e in read(ledger_of(app), consents.history, person)] == ["marketing_email"]
    download = client.get("/api/t/parature/consents/receipts")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    (receipt,) = download.json()
    assert receipt["piiPrincipalId"] == str(person.id)
    assert "ann@example.com" not in download.text


def test_staff_download_receipts_with_a_role(
    client: httpx.Client, app: FastAPI, staff_client: Callable[..., httpx.Client]
) -> None:
    person = new_person(client, app)
    client.post(
        "/api/t/parature/consents",
        json={"choices": {"marketing_email": True}},
        headers=bearer(person),
    )
    path = f"/admin/api/t/parature/subjects/{person.id}/receipts"
    assert client.get(path).status_code == 401
    (receipt,) = staff_client(Role.AUDITOR).get(path).json()
    assert receipt["services"][0]["purposes"][0]["consentType"] == "EXPLICIT"


def test_person_sets_a_password_signs_in_and_edits_their_profile(
    client: httpx.Client, app: FastAPI, make_client: Callable[..., httpx.Client]
) -> None:
    person = new_person(client, app)
    client.get(f"{CENTER}?token={link_token(SECRET, 'parature', str(person.id))}")
    token = form_token(client, CENTER)
    weak = {"csrf_token": token, "email": "ann@example.com", "password": "short"}
    assert client.post(f"{CENTER}/password", data=weak).status_code == 422
    strong = {**weak, "password": "a long enough password"}
    assert client.post(f"{CENTER}/password", data=strong).status_code == 200
    browser = make_client(app)
    login = form_token(browser, CENTER)
    wrong = {"csrf_token": login, "email": "ann@example.com", "password": "wrong password!"}
    assert browser.post(f"{CENTER}/login", data=wrong).status_code == 401
    right = {**wrong, "password": "a long enough password"}
    assert browser.post(f"{CENTER}/login", data=right).status_code == 303
    (name,) = read(ledger_of(app), records.of, person, ["user.name"])
    edit = {"csrf_token": form_token(browser, CENTER), f"record:{name.id}": "Ann Corrected"}
    assert browser.post(f"{CENTER}/profile", data=edit).status_code == 200
    (name,) = read(ledger_of(app), records.of, person, ["user.name"])
    assert name.value == "Ann Corrected"


def test_staff_correct_where_the_statement_says_so_with_a_trail(
    make_app: Callable[..., FastAPI],
    make_client: Callable[..., httpx.Client],
    staff_client: Callable[..., httpx.Client],
) -> None:
    app = make_app((ESTARA,))
    client = make_client(app)
    sent = {"fields": {"name": "Bob", "email": "bob@example.com", "message": "Hello"}}
    subject_id = client.post("/api/t/estara/collect/contact_us", json=sent).json()["subject"]
    profile = f"/admin/api/t/estara/subjects/{subject_id}/profile"
    corrections = f"/admin/api/t/estara/subjects/{subject_id}/corrections"
    assert client.get(profile).status_code == 401
    assert staff_client(Role.AUDITOR, app).get(profile).status_code == 403
    agent = staff_client(Role.SUPPORT_AGENT, app)
    held = {entry["category"]: entry["record"] for entry in agent.get(profile).json()}
    change = {"records": {str(held["user.name"]): "Robert"}}
    assert client.post(corrections, json=change).status_code == 401
    csrf = {"X-CSRF-Token": form_token(agent, "/admin")}
    done = agent.post(corrections, json=change, headers=csrf)
    assert done.status_code == 200, done.text
    trail = [
        e for e in ledger_of(app).audit_entries() if e.action in ("correct", "correct_request")
    ]
    assert [e.action for e in trail] == ["correct", "correct_request"]
    assert all(e.actor.startswith("staff:user:") for e in trail)
    assert "Robert" not in str([e.details for e in trail])
    for odd in ("²", str(2**70)):  # digits int() refuses, an id no column holds
        refused = agent.post(corrections, json={"records": {odd: "Rob"}}, headers=csrf)
        assert refused.status_code == 422 and "Rob" not in refused.text
    too_big = f"/admin/api/t/estara/subjects/{2**70}/corrections"
    assert agent.post(too_big, json=change, headers=csrf).status_code == 422
    link = agent.post(f"/admin/api/t/estara/subjects/{subject_id}/privacy-link", headers=csrf)
    assert link.status_code == 200 and "token=" in link.json()["url"]
    [minted] = [e for e in ledger_of(app).audit_entries() if e.action == "mint_link"]
    assert minted.actor.startswith("staff:user:") and minted.object_id == str(subject_id)
