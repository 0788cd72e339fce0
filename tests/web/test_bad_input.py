"""Malformed requests get a field and a reason, never a 500, and never their own content back.

Whatever people typed (a password, an email in the wrong place) stays out of the answer:
answers end up in logs and browser histories.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from keepfaith.ledger.records import records
from keepfaith.ledger.staff import Role
from tests.conftest import PARATURE_CONTACT

SECRET_TEXT = "ann.secret@example.com"


def _decide(client: httpx.Client, token: str, subject: object) -> httpx.Response:
    question = {"subject": subject, "purpose": "account", "categories": ["user.contact.email"]}
    return client.post(
        "/api/t/parature/decisions", json=question, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.mark.parametrize("subject", [SECRET_TEXT, 2**70, 0])
def test_a_bad_subject_id_is_a_field_error_without_the_value(
    client: httpx.Client, api_token: Callable[..., str], subject: object
) -> None:
    answer = _decide(client, api_token(Role.SUPPORT_AGENT), subject)
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"subject"}
    assert str(subject) not in answer.text


def test_a_body_of_the_wrong_shape_is_not_echoed(client: httpx.Client) -> None:
    answer = client.post("/api/t/parature/collect/feedback", json=[f"I am {SECRET_TEXT}"])
    assert answer.status_code == 422
    assert "errors" in answer.json() and SECRET_TEXT not in answer.text


def test_a_too_long_value_is_refused_without_echoing_it(client: httpx.Client) -> None:
    visitor = "x" * 300 + SECRET_TEXT
    body = {"version": "any", "accepted": [], "visitor": visitor}
    answer = client.post("/api/t/parature/cookies/consent", json=body)
    assert answer.status_code == 422
    assert "visitor" in answer.json()["errors"] and SECRET_TEXT not in answer.text


def test_a_browser_gets_the_error_page_not_json(client: httpx.Client) -> None:
    answer = client.post(
        "/api/t/parature/collect/feedback", content=b"[1]", headers={"accept": "text/html"}
    )
    assert answer.status_code == 422
    # API paths answer machines in JSON even when the client also accepts HTML.
    assert answer.headers["content-type"].startswith("application/json")


def _stored(app: FastAPI) -> int:
    with app.state.ledger.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(records)).scalar())


@pytest.mark.parametrize("age", ["²", "٣٤", "2**70"])
def test_an_age_in_other_digits_is_a_field_error(
    client: httpx.Client, app: FastAPI, age: str
) -> None:
    fields = {k: PARATURE_CONTACT[k] for k in ("name", "address", "phone", "email")}
    fields |= {"resume": "Ten years of support work.", "age": age}
    answer = client.post("/api/t/parature/collect/job_application", json={"fields": fields})
    assert answer.status_code == 422, answer.text  # not a 500 from int("²")
    assert answer.json()["errors"] == {"age": "must be an age in years or a date"}
    assert _stored(app) == 0


def test_openapi_describes_the_refusal_as_sent(client: httpx.Client) -> None:
    description = client.get("/openapi.json").json()
    schemas = description["components"]["schemas"]
    assert set(schemas["HTTPValidationError"]["properties"]) == {"detail", "errors"}
    assert "ValidationError" not in schemas  # FastAPI's own, with the echoed input
    refused = client.post("/api/t/parature/collect/feedback", json=[1])
    assert set(refused.json()) == set(schemas["HTTPValidationError"]["required"])
