"""Collected values are checked for the kind of their category, field by field.

Before ``keepfaith.collect.values`` an email without ``@``, one carrying a header
(``\\r\\nBcc:``), one of 5,000 characters and an age of 10^30 were all stored.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from keepfaith.ledger.records import records
from keepfaith.ledger.staff import Role
from tests.conftest import EXAMPLES, PARATURE_CONTACT
from tests.web.conftest import form_token

ESTARA = EXAMPLES / "estara" / "statement.yaml"
CONTACT = "/api/t/parature/collect/contact_form"
JOBS = "/api/t/parature/collect/job_application"


def _stored(app: FastAPI) -> int:
    with app.state.ledger.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(records)).scalar())


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("email", "ann.example.com", "must be an email address"),
        ("email", "ann@example.com\r\nBcc: all@example.com", "must be one line"),
        ("email", "a" * 5000 + "@example.com", "is longer than 1000 characters"),
        ("email", "a" * 250 + "@example.com", "is longer than 254 characters"),
        ("email", "ann @example.com", "must be an email address"),
        ("phone", "call me maybe", "must be a phone number"),
        ("phone", "+1 12", "must be a phone number"),
        ("phone", "1" * 30, "must be a phone number"),
        ("name", "Ann\nExample", "must be one line"),
        ("company", "x" * 1001, "is longer than 1000 characters"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused_and_nothing_stored(
    client: httpx.Client, app: FastAPI, field: str, value: str, reason: str
) -> None:
    answer = client.post(CONTACT, json={"fields": {**PARATURE_CONTACT, field: value}})
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert set(errors) == {field} and errors[field].startswith(reason)
    assert value not in answer.text
    assert _stored(app) == 0


@pytest.mark.parametrize(
    "phone", ["555 0100", "+44 20 7946 0958", "(555) 010-0100", "+49 30 901820"]
)
def test_phone_numbers_people_write_are_kept(client: httpx.Client, phone: str) -> None:
    answer = client.post(CONTACT, json={"fields": {**PARATURE_CONTACT, "phone": phone}})
    assert answer.status_code == 201, answer.text


def test_a_national_number_is_checked_against_the_persons_region(client: httpx.Client) -> None:
    fields = {**PARATURE_CONTACT, "phone": "030 901820"}
    assert client.post(CONTACT, json={"fields": fields, "region": "DE"}).status_code == 201
    wrong = client.post(
        CONTACT, json={"fields": {**fields, "phone": "030 90182012345678"}, "region": "DE"}
    )
    assert wrong.status_code == 422 and set(wrong.json()["errors"]) == {"phone"}


def test_free_text_may_span_lines(client: httpx.Client) -> None:
    fields = {**PARATURE_CONTACT, "message": "Hello,\r\nplease call me.\n\nAnn"}
    assert client.post(CONTACT, json={"fields": fields}).status_code == 201


def _application(**changes: object) -> dict[str, object]:
    fields = {k: PARATURE_CONTACT[k] for k in ("name", "address", "phone", "email")}
    return {"fields": {**fields, "resume": "Ten years of support work.", **changes}}


@pytest.mark.parametrize("age", [str(10**30), "151"])
def test_an_age_beyond_any_person_is_refused(client: httpx.Client, app: FastAPI, age: str) -> None:
    answer = client.post(JOBS, json=_application(age=age))
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"age": "must be an age from 0 to 150 years"}
    assert _stored(app) == 0


def test_an_age_given_beside_the_fields_is_bounded_too(client: httpx.Client, app: FastAPI) -> None:
    answer = client.post(JOBS, json={**_application(), "age": 10**30})
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"age"}
    assert _stored(app) == 0


def test_the_html_form_shows_the_reason_beside_the_field(client: httpx.Client) -> None:
    token = form_token(client, "/t/parature/forms/contact_form")
    posted = {**PARATURE_CONTACT, "email": "ann.example.com", "csrf_token": token}
    answer = client.post("/t/parature/forms/contact_form", data=posted)
    assert answer.status_code == 422
    assert "must be an email address" in answer.text


def test_a_correction_is_checked_by_kind_too(
    make_app: Callable[..., FastAPI],
    make_client: Callable[..., httpx.Client],
    api_token: Callable[..., str],
) -> None:
    app = make_app((ESTARA,))
    client = make_client(app)
    sent = {"fields": {"name": "Bob", "email": "bob@example.com", "message": "Hello"}}
    subject = client.post("/api/t/estara/collect/contact_us", json=sent).json()["subject"]
    staff = {"Authorization": f"Bearer {api_token(Role.SUPPORT_AGENT, app)}"}
    base = f"/admin/api/t/estara/subjects/{subject}"
    held = {e["category"]: e["record"] for e in client.get(f"{base}/profile", headers=staff).json()}
    email = str(held["user.contact.email"])
    wrong = {"records": {email: "bob@example.com\r\nBcc: all@example.com"}}
    refused = client.post(f"{base}/corrections", json=wrong, headers=staff)
    assert refused.status_code == 422
    assert refused.json()["errors"][email].startswith("must be one line")
    kept = {e["category"]: e["value"] for e in client.get(f"{base}/profile", headers=staff).json()}
    assert kept["user.contact.email"] == "bob@example.com"
