"""Collection points over HTTP: the JSON endpoint and the HTML form (Parature's statement)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx
from fastapi import FastAPI

from keepfaith.ledger import ConsentMethod, Ledger, consents, records, subjects
from tests.conftest import EXAMPLES, PARATURE_CONTACT
from tests.ledger.support import read
from tests.web.conftest import form_token

CONTACT = PARATURE_CONTACT


def ledger_of(app: FastAPI) -> Ledger:
    return app.state.ledger  # type: ignore[no-any-return]


def counts(app: FastAPI) -> tuple[int, int]:
    with ledger_of(app).transaction() as tx:
        people = subjects.of_tenant(tx, "parature")
        held = sum(len(records.of(tx, s)) for s in people) + len(records.detached(tx, "parature"))
        return len(people), held


def test_json_submission_is_stored_with_its_purposes(client: httpx.Client, app: FastAPI) -> None:
    sent = {"fields": CONTACT, "consents": {"marketing_email": True}}
    response = client.post("/api/t/parature/collect/contact_form", json=sent)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["records"] == len(CONTACT) and body["consented"] == ["marketing_email"]
    subject = read(ledger_of(app), subjects.get, "parature", body["subject"])
    email = read(ledger_of(app), records.of, subject, ["user.contact.email"])[0]
    assert email.purposes == ("offer_information", "partner_sharing", "respond_to_requests")
    assert email.statement_version == "2010" and email.collection_point == "contact_form"
    (event,) = read(ledger_of(app), consents.history, subject)
    assert event.method is ConsentMethod.EXPLICIT and event.choice == "marketing_email"


def test_json_refusal_is_422_field_by_field_and_stores_nothing(
    client: httpx.Client, app: FastAPI
) -> None:
    sent = {"fields": {**CONTACT, "email": "", "ssn": "123-45-6789"}}
    response = client.post("/api/t/parature/collect/contact_form", json=sent)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"email", "ssn"}
    assert "123-45-6789" not in response.text
    assert counts(app) == (0, 0)


def test_json_body_shape_is_checked_by_key(client: httpx.Client) -> None:
    response = client.post("/api/t/parature/collect/contact_form", json={"name": "Ann"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"name", "fields"}
    response = client.post(
        "/api/t/parature/collect/contact_form", json={"fields": CONTACT, "age": "old"}
    )
    assert response.json()["errors"] == {"age": "has the wrong type"}


def test_json_age_gate_refuses_without_echoing(client: httpx.Client, app: FastAPI) -> None:
    born = dt.date.today() - dt.timedelta(days=5 * 365)  # five years old, whenever this runs
    sent = {"fields": CONTACT, "birth_date": born.isoformat()}
    response = client.post("/api/t/parature/collect/contact_form", json=sent)
    assert response.status_code == 422
    assert "age" in response.json()["errors"] and born.isoformat() not in response.text
    assert counts(app) == (0, 0)


def test_unknown_tenant_or_point_is_404(client: httpx.Client) -> None:
    assert client.post("/api/t/nobody/collect/x", json={"fields": {}}).status_code == 404
    assert client.post("/api/t/parature/collect/nope", json={"fields": {}}).status_code == 404
    assert client.get("/t/parature/forms/server_logs").status_code == 404


def test_feedback_is_stored_detached_and_redacted(client: httpx.Client, app: FastAPI) -> None:
    sent = {"fields": {"feedback": "Great. My SSN is 123-45-6789"}}
    response = client.post("/api/t/parature/collect/feedback", json=sent)
    assert response.status_code == 201
    assert response.json()["subject"] is None and response.json()["redacted"] == ["feedback"]
    with ledger_of(app).transaction() as tx:
        (record,) = records.detached(tx, "parature")
    assert record.value == "Great. My SSN is [redacted]"


def test_single_use_point_is_refused_here(client: httpx.Client, app: FastAPI) -> None:
    sent = {"fields": {"your_name": "Ann", "friend_email": "friend@example.com"}}
    response = client.post("/api/t/parature/collect/email_this_page", json=sent)
    assert response.status_code == 409
    assert counts(app) == (0, 0)


def test_the_form_is_rendered_from_the_declaration(client: httpx.Client) -> None:
    page = client.get("/t/parature/forms/contact_form")
    assert page.status_code == 200
    html = page.text
    assert 'for="f-name">Name <span class="required"' in html
    assert 'for="f-title">Title</label>' in html  # optional: no marker
    assert 'name="consent:marketing_email" value="on">' in html  # unticked
    assert "checked" not in html
    assert 'name="_age"' in html  # the age gate asks, and says the age is not stored


def test_the_form_shows_each_error_beside_its_field(client: httpx.Client, app: FastAPI) -> None:
    token = form_token(client, "/t/parature/forms/contact_form")
    sent = {**CONTACT, "email": "", "shoe": "42", "csrf_token": token, "_age": "12"}
    page = client.post("/t/parature/forms/contact_form", data=sent)
    assert page.status_code == 422
    assert '<span class="error" id="e-email">Email address is required</span>' in page.text
    assert "<code>shoe</code>: not a field of contact_form" in page.text
    assert 'id="e-age-gate">you must be at least 13' in page.text
    assert counts(app) == (0, 0)


def test_the_form_stores_a_valid_submission(client: httpx.Client, app: FastAPI) -> None:
    token = form_token(client, "/t/parature/forms/contact_form")
    sent = {**CONTACT, "csrf_token": token, "_age": "30", "consent:marketing_email": "on"}
    page = client.post("/t/parature/forms/contact_form", data=sent)
    assert page.status_code == 201, page.text
    assert "Thank you" in page.text
    assert counts(app) == (1, len(CONTACT))


def test_the_form_needs_its_csrf_token(client: httpx.Client, app: FastAPI) -> None:
    client.get("/t/parature/forms/contact_form")
    assert client.post("/t/parature/forms/contact_form", data=CONTACT).status_code == 403
    assert counts(app) == (0, 0)


def test_public_writes_are_rate_limited(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    limited = make_client(make_app(rate_limit_per_minute=2))
    sent = {"fields": {"feedback": "hi"}}
    statuses = [
        limited.post("/api/t/parature/collect/feedback", json=sent).status_code for _ in range(3)
    ]
    assert statuses == [201, 201, 429]


def test_a_subject_kind_must_be_one_the_point_collects_from(
    client: httpx.Client, app: FastAPI
) -> None:
    sent = {"fields": CONTACT, "subject_kind": "customer"}
    answer = client.post("/api/t/parature/collect/contact_form", json=sent)
    assert answer.status_code == 201
    assert (
        read(ledger_of(app), subjects.get, "parature", answer.json()["subject"]).kind == "customer"
    )
    sent = {"fields": {"feedback": "x"}, "subject_kind": "robot"}
    refused = client.post("/api/t/parature/collect/contact_form", json={**sent, "fields": CONTACT})
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["subject_kind"]


def test_a_password_field_is_a_password_input_never_sent_back(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    service = make_app((EXAMPLES / "digium" / "statement.yaml",))
    browser = make_client(service)
    token = form_token(browser, "/t/digium/forms/registration")
    sent = {"csrf_token": token, "name": "Ann", "email": "", "password": "a secret password"}
    page = browser.post("/t/digium/forms/registration", data=sent)
    assert page.status_code == 422
    assert '<input type="password" id="f-password" name="password"' in page.text
    assert "a secret password" not in page.text
