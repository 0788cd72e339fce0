"""The sharing and complaint pages: the staff's workflow over HTTP, each route
authenticated first, bad input answered with the field and nothing stored."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import httpx
from fastapi import FastAPI
from typer.testing import CliRunner

from keepfaith import sharing
from keepfaith.cli import app as cli
from keepfaith.collect.links import link_token
from keepfaith.ledger import Subject, disclosures, records, subjects
from keepfaith.ledger.cases import listing
from keepfaith.ledger.staff import Role
from keepfaith.statement import load
from tests.web.conftest import PARATURE, SECRET, form_token

Clients = Callable[..., httpx.Client]
ADDRESS = "ann@example.com"


def customer(app: FastAPI) -> Subject:
    with app.state.ledger.transaction() as tx:
        subject = subjects.add(tx, "parature", "customer")
        for category, value in (("user.name", "Ann"), ("user.contact.email", ADDRESS)):
            records.add(tx, subject, category, value, collection_point="correspondence")
    return subject


def test_a_complaint_from_the_privacy_center_is_worked_in_the_admin_queue(
    app: FastAPI, make_client: Clients, staff_client: Clients
) -> None:
    person = make_client(app)
    page = person.get("/t/parature/privacy-center/complaints")
    assert page.status_code == 200 and "TRUSTe" in page.text and "within 10 days" in page.text
    token = form_token(person, "/t/parature/privacy-center/complaints")
    bad = person.post(
        "/t/parature/privacy-center/complaints",
        data={"email": ADDRESS, "text": "x\0y", "csrf_token": token},
    )
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["text"]
    sent = person.post(
        "/t/parature/privacy-center/complaints",
        data={"email": ADDRESS, "text": "You sold my address.", "csrf_token": token},
    )
    assert sent.status_code == 200 and "we have your complaint" in sent.text
    with app.state.ledger.reading() as tx:
        [case] = listing(tx, "parature", kind="complaint")
    agent = staff_client(Role.SUPPORT_AGENT)
    queue = agent.get("/admin/t/parature/complaints")
    assert f"#{case.id}" in queue.text
    assert f"#{case.id}" not in agent.get("/admin/t/parature/requests").text
    token = form_token(agent, f"/admin/t/parature/complaints/{case.id}")
    base = f"/admin/t/parature/complaints/{case.id}"
    done = agent.post(f"{base}/acknowledge", data={"csrf_token": token})
    assert done.status_code == 303
    refused = agent.post(f"{base}/resolve", data={"csrf_token": token, "answer": " "})
    assert refused.status_code == 422
    agent.post(f"{base}/resolve", data={"csrf_token": token, "answer": "We deleted it."})
    shown = agent.get(base)
    assert "resolved" in shown.text and "We deleted it." in shown.text
    assert [e["state"] for e in agent.get("/admin/api/t/parature/complaints").json()] == [
        "resolved"
    ]


def test_an_officer_records_a_legal_request_and_the_log_shows_it(
    app: FastAPI, staff_client: Clients
) -> None:
    subject = customer(app)
    assert (
        staff_client(Role.SUPPORT_AGENT).get("/admin/t/parature/legal-requests").status_code == 403
    )
    officer = staff_client(Role.PRIVACY_OFFICER)
    token = form_token(officer, "/admin/t/parature/legal-requests")
    form = {
        "csrf_token": token,
        "requester": "County court",
        "kind": "subpoena",
        "reference": "Subpoena 17",
        "subject": str(subject.id),
        "categories": "user.name",
    }
    refused = officer.post("/admin/t/parature/legal-requests", data={**form, "basis": "abuse"})
    assert refused.status_code == 409 and "abuse is not a declared legal basis" in refused.text
    bad = officer.post(
        "/admin/t/parature/legal-requests",
        data={**form, "basis": "dispute", "requester": "Court\r\nX"},
    )
    assert bad.status_code == 422 and "one line" in bad.text
    with app.state.ledger.reading() as tx:
        assert disclosures.of(tx, "parature") == []
    done = officer.post("/admin/t/parature/legal-requests", data={**form, "basis": "dispute"})
    assert done.status_code == 303
    log = officer.get(done.headers["location"])
    assert "County court" in log.text and "Subpoena 17" in log.text and "PA-24" in log.text
    [entry] = officer.get(f"/admin/api/t/parature/disclosures?subject={subject.id}").json()
    assert (entry["basis"], entry["reference"], entry["legal_request"]) == (
        "dispute",
        "Subpoena 17",
        1,
    )
    assert officer.get("/admin/api/t/parature/disclosures?subject=x").status_code == 422


def test_the_person_sees_their_disclosures_but_not_one_under_a_gag(
    app: FastAPI, make_client: Clients
) -> None:
    subject = customer(app)
    engine = app.state.engine
    with app.state.ledger.transaction() as tx:
        sharing.disclose(
            tx,
            engine,
            subject,
            "email_provider",
            "respond_to_requests",
            ["user.name"],
            country="US",
        )
        sharing.answer(
            tx,
            engine,
            "parature",
            requester="Secret police",
            kind="warrant",
            basis="law_enforcement",
            categories=["user.name"],
            subject=subject,
            gag_days=90,
        )
    person = make_client(app)
    assert person.get("/t/parature/privacy-center/disclosures").status_code == 401
    person.get(
        f"/t/parature/privacy-center?token={link_token(SECRET, 'parature', str(subject.id))}"
    )
    center = person.get("/t/parature/privacy-center")
    assert 'href="/t/parature/privacy-center/disclosures"' in center.text
    page = person.get("/t/parature/privacy-center/disclosures")
    assert page.status_code == 200 and "user.name" in page.text
    assert "in US under E.U. Safe Harbor Framework" in page.text
    assert "Secret police" not in page.text


def test_the_register_of_processing_agrees_on_the_page_the_csv_and_the_cli(
    app: FastAPI, staff_client: Clients
) -> None:
    auditor = staff_client(Role.AUDITOR)
    page = auditor.get("/admin/t/parature/ropa")
    statement = load(PARATURE)
    assert page.status_code == 200
    for purpose in statement.purposes:
        assert f"({purpose.id})" in page.text
    exported = auditor.get("/admin/t/parature/ropa.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == list(sharing.ropa.COLUMNS)
    assert len(rows) == 1 + len(statement.purposes)
    ran = CliRunner().invoke(
        cli, ["ropa", "parature", "--database-url", app.state.settings.database_url]
    )
    assert ran.exit_code == 0, ran.output
    assert ran.output == exported.text
    unknown = CliRunner().invoke(
        cli, ["ropa", "nobody", "--database-url", app.state.settings.database_url]
    )
    assert unknown.exit_code == 2


def test_the_audit_view_tells_one_persons_story_with_its_clauses(
    app: FastAPI, staff_client: Clients
) -> None:
    subject = customer(app)
    with app.state.ledger.transaction() as tx:
        sharing.disclose(
            tx, app.state.engine, subject, "email_provider", "respond_to_requests", ["user.name"]
        )
    other = customer(app)
    steps = sharing.story(app.state.ledger, "parature", subject.id)
    assert [s.stage for s in steps] == ["collection", "collection", "collection", "disclosure"]
    assert "PA-19" in steps[-1].clauses
    page = staff_client(Role.AUDITOR).get(f"/admin/t/parature/subjects/{subject.id}/story")
    assert page.status_code == 200 and "PA-19" in page.text
    assert f"Person #{other.id}" not in page.text


def test_the_api_discloses_only_what_the_recipient_may_receive(
    app: FastAPI, make_client: Clients, api_token: Callable[..., str]
) -> None:
    subject = customer(app)
    client = make_client(app)
    body = {
        "subject": subject.id,
        "recipient": "email_provider",
        "purpose": "respond_to_requests",
        "data": {"user.name": "Ann", "user.financial.credit_card": "4111111111111111"},
        "country": "US",
    }
    assert client.post("/api/t/parature/disclosures", json=body).status_code == 401
    headers = {"Authorization": f"Bearer {api_token(Role.SUPPORT_AGENT)}"}
    done = client.post("/api/t/parature/disclosures", json=body, headers=headers).json()
    assert done["allowed"] and done["payload"] == {"user.name": "Ann"}
    assert done["dropped"] == ["user.financial.credit_card"] and "PA-04" in done["clauses"]
    abroad = client.post(
        "/api/t/parature/disclosures", json={**body, "country": "CN"}, headers=headers
    ).json()
    assert not abroad["allowed"] and abroad["payload"] == {} and "PA-04" in abroad["clauses"]
    for bad in ({**body, "country": "C\0N"}, {**body, "extra": 1}, {**body, "subject": 0}):
        refused = client.post("/api/t/parature/disclosures", json=bad, headers=headers)
        assert refused.status_code == 422, refused.text
        assert "4111111111111111" not in refused.text
    other = client.post(
        "/api/t/parature/disclosures", json={**body, "subject": 10**6}, headers=headers
    )
    assert other.status_code == 404
    with app.state.ledger.reading() as tx:
        [logged] = disclosures.of(tx, "parature", subject)
    assert logged.categories == ("user.name",) and logged.dropped == ("user.financial.credit_card",)
