"""The staff console: navigation, finding people by digest, a person's file, the consent
log with filters and CSV, consent rates with their chart, tokens issued; all audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import httpx
from fastapi import FastAPI

from keepfaith.collect.links import link_token
from keepfaith.ledger import Subject, staff, subjects
from keepfaith.ledger.staff import Role
from tests.conftest import PARATURE_CONTACT
from tests.ledger.support import read
from tests.web.conftest import SECRET, form_token

BASE = "/admin/t/parature"
CENTER = "/t/parature/privacy-center"
StaffClient = Callable[..., httpx.Client]


def person(client: httpx.Client, app: FastAPI, **fields: str) -> Subject:
    made = client.post(
        "/api/t/parature/collect/contact_form", json={"fields": {**PARATURE_CONTACT, **fields}}
    )
    assert made.status_code == 201, made.text
    return read(app.state.ledger, subjects.get, "parature", made.json()["subject"])


def choose(
    make_client: Callable[..., httpx.Client], app: FastAPI, who: Subject, **on: bool
) -> None:
    browser = make_client(app)
    browser.get(f"{CENTER}?token={link_token(SECRET, 'parature', str(who.id))}")
    sent = {"choices": on}
    headers = {"X-CSRF-Token": form_token(browser, CENTER)}
    assert browser.post("/api/t/parature/consents", json=sent, headers=headers).status_code == 200


def actions(app: FastAPI) -> list[tuple[str, str]]:
    return [(e.action, e.details) for e in app.state.ledger.audit_entries()]


def test_the_console_navigates_every_section(app: FastAPI, staff_client: StaffClient) -> None:
    officer = staff_client(Role.PRIVACY_OFFICER)
    home = officer.get(BASE)
    assert home.status_code == 200
    for path in ("/subjects", "/consents", "/consents/rates", "/requests", "/visits"):
        assert f'href="{BASE}{path}"' in home.text
        assert officer.get(BASE + path).status_code == 200, path
    assert f'href="{BASE}"' in officer.get("/admin").text


def test_people_are_found_by_email_phone_and_reference_and_the_search_is_audited(
    app: FastAPI, client: httpx.Client, staff_client: StaffClient
) -> None:
    ann = person(client, app)
    person(client, app, email="bob@example.com", phone="555 0199")
    agent = staff_client(Role.SUPPORT_AGENT)
    token = form_token(agent, f"{BASE}/subjects")

    def search(by: str, q: str) -> httpx.Response:
        return agent.post(f"{BASE}/subjects", data={"by": by, "q": q, "csrf_token": token})

    found = search("email", "ANN@example.com")
    assert found.status_code == 200
    assert f'href="{BASE}/subjects/{ann.id}"' in found.text and found.text.count("<tr>") == 2
    by_phone = search("phone", "555-0100")
    assert f'href="{BASE}/subjects/{ann.id}"' in by_phone.text
    nobody = search("email", "carol@example.com")
    assert "Nobody matches." in nobody.text
    bad = search("name", "Ann")
    assert bad.status_code == 422 and "must be one of" in bad.text
    assert agent.post(f"{BASE}/subjects", data={"by": "email", "q": "x@y.z"}).status_code == 403
    searches = [d for a, d in actions(app) if a == "search_subjects"]
    assert len(searches) == 3
    assert all("example.com" not in d and "555" not in d for d in searches)


def test_a_persons_file_shows_their_records_consents_and_story(
    app: FastAPI,
    client: httpx.Client,
    make_client: Callable[..., httpx.Client],
    staff_client: StaffClient,
) -> None:
    ann = person(client, app)
    choose(make_client, app, ann, marketing_email=True)
    asker = make_client(app)  # a request made with Ann's address, before signing in
    asked = asker.post(
        f"{CENTER}/requests",
        data={
            "kind": "correct",
            "email": "Ann@Example.com",
            "category": "user.name",
            "value": "Ann Other",
            "csrf_token": form_token(asker, f"{CENTER}/requests"),
        },
    )
    assert asked.status_code == 200, asked.text
    agent = staff_client(Role.SUPPORT_AGENT)
    page = agent.get(f"{BASE}/subjects/{ann.id}")
    requests = page.text.split('id="requests"')[1].split("</table>")[0]
    assert "correct" in requests and "unverified" in requests
    assert page.status_code == 200
    assert "ann@example.com" in page.text and "Email address" in page.text
    assert 'id="consents"' in page.text and "given" in page.text
    assert 'id="story"' in page.text
    assert [a for a, _ in actions(app)].count("view_subject") == 1
    assert agent.get(f"{BASE}/subjects/999999").status_code == 404
    assert staff_client(Role.AUDITOR).get(f"{BASE}/subjects/{ann.id}").status_code == 403


def test_the_consent_log_filters_and_exports_csv_that_agree(
    app: FastAPI,
    client: httpx.Client,
    make_client: Callable[..., httpx.Client],
    staff_client: StaffClient,
) -> None:
    ann = person(client, app)
    bob = person(client, app, email="bob@example.com")
    choose(make_client, app, ann, marketing_email=True)
    choose(make_client, app, bob, marketing_email=True, partner_sharing=False)
    auditor = staff_client(Role.AUDITOR)
    everything = auditor.get(f"{BASE}/consents")
    assert everything.status_code == 200 and everything.text.count("<tr>") == 4
    given = auditor.get(f"{BASE}/consents", params={"kind": "given"})
    assert given.text.count("<tr>") == 3
    exported = auditor.get(f"{BASE}/consents.csv", params={"kind": "given"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == given.text.count("<tr>") - 1  # the page and the file agree
    assert {r["kind"] for r in rows} == {"given"}
    assert {r["subject"] for r in rows} == {str(ann.id), str(bob.id)}
    refused = auditor.get(f"{BASE}/consents", params={"since": "yesterday", "kind": "maybe"})
    assert refused.status_code == 422 and "YYYY-MM-DD" in refused.text
    assert auditor.get(f"{BASE}/consents.csv", params={"since": "x"}).status_code == 422
    done = [a for a, _ in actions(app)]
    assert "read_consent_log" in done and "export_consent_log" in done


def test_consent_rates_show_as_a_table_and_an_svg_chart(
    app: FastAPI,
    client: httpx.Client,
    make_client: Callable[..., httpx.Client],
    staff_client: StaffClient,
) -> None:
    ann = person(client, app)
    bob = person(client, app, email="bob@example.com")
    choose(make_client, app, ann, marketing_email=True)
    choose(make_client, app, bob, marketing_email=True)
    choose(make_client, app, bob, marketing_email=False)
    officer = staff_client(Role.PRIVACY_OFFICER)
    page = officer.get(f"{BASE}/consents/rates")
    assert page.status_code == 200
    assert "67% <small>(2/3)</small>" in page.text
    chart = page.text.split('<figure id="chart">')[1].split("</figure>")[0]
    assert '<svg role="img"' in chart and chart.count("<circle") == 1  # one month, one choice
    assert "67% (2/3)" in chart  # the point's title and the table agree


def test_an_owner_issues_a_token_that_works_once_shown_and_revokes_it(
    app: FastAPI, client: httpx.Client, staff_client: StaffClient
) -> None:
    owner = staff_client(Role.OWNER)
    token = form_token(owner, "/admin/staff")
    issued = owner.post(
        "/admin/tokens",
        data={"name": "crm", "role": "auditor", "csrf_token": token},
        headers={"Accept": "text/html"},
    )
    assert issued.status_code == 200 and 'id="new-token"' in issued.text
    secret = issued.text.split('id="new-token"')[1].split("<code>")[1].split("</code>")[0]
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/admin/api/me", headers=bearer).json()["role"] == "auditor"
    assert secret not in owner.get("/admin/staff").text  # shown once
    [listed] = [t for t in read(app.state.ledger, staff.live_tokens) if t.name == "crm"]
    revoked = owner.post(
        f"/admin/tokens/{listed.id}/revoke",
        data={"csrf_token": form_token(owner, "/admin/staff")},
        headers={"Accept": "text/html"},
    )
    assert revoked.status_code == 303
    assert client.get("/admin/api/me", headers=bearer).status_code == 401
