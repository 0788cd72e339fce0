"""No echo and no door ajar: what a refused form, the cache, the log and OPTIONS show.

Each test failed before its fix: a refused order form filled the card number back in, a
contact form the unredacted national id; pages showing personal data could be cached;
the access log wrote a 404 path with an email in it; OPTIONS said ``Allow: GET`` on a
GET+POST path; the decision API ignored undeclared keys; ``POST /admin/staff`` answered
a JSON client in HTML.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from keepfaith.ledger.staff import Role
from tests.conftest import PARATURE_CONTACT
from tests.web.conftest import customer, form_token

CARD = "4111 1111 1111 1111"
SSN = "123-45-6789"
EMAIL = "ann.private@example.com"


def test_a_refused_form_never_fills_back_a_card_number(client: httpx.Client) -> None:
    token = form_token(client, "/t/parature/forms/order")
    posted = {"name": "Ann Example", "card": CARD, "billing_address": "1 Main St"}
    answer = client.post("/t/parature/forms/order", data={**posted, "csrf_token": token})
    assert answer.status_code == 422  # the email is missing
    assert "Ann Example" in answer.text  # what is not sensitive is kept for the person
    assert CARD not in answer.text
    assert answer.headers["cache-control"] == "no-store"


def test_a_refused_form_fills_back_free_text_redacted(client: httpx.Client) -> None:
    token = form_token(client, "/t/parature/forms/contact_form")
    posted = {**PARATURE_CONTACT, "email": "", "message": f"My SSN is {SSN}, call me"}
    answer = client.post("/t/parature/forms/contact_form", data={**posted, "csrf_token": token})
    assert answer.status_code == 422
    assert SSN not in answer.text
    assert "My SSN is [redacted], call me" in answer.text


def test_every_page_and_answer_is_not_to_be_stored(
    app: FastAPI, staff_client: Callable[..., httpx.Client]
) -> None:
    signed_in = staff_client(Role.OWNER)
    subject = customer(app)
    pages = [
        "/",
        "/t/parature/",
        "/t/parature/forms/contact_form",
        "/t/parature/privacy-center",
        "/admin",
        "/admin/staff",
        "/admin/api/me",
        f"/admin/api/t/parature/subjects/{subject.id}/profile",
        "/admin/t/parature/visits",
    ]
    for path in pages:
        answer = signed_in.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path


def test_the_banner_script_and_the_style_sheet_may_be_cached(client: httpx.Client) -> None:
    assert "max-age" in client.get("/t/parature/cookie-banner.js").headers["cache-control"]
    assert "cache-control" not in client.get("/static/keepfaith.css").headers


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/t/parature/forms/{EMAIL}", "GET /t/{tenant}/forms/{point} 404"),
        (f"/no/such/{EMAIL}", "GET (unmatched) 404"),
        (f"/t/{EMAIL}/", "GET /t/{tenant}/ 404"),
    ],
)
def test_the_access_log_writes_the_route_never_the_path(
    client: httpx.Client, caplog: pytest.LogCaptureFixture, path: str, logged: str
) -> None:
    with caplog.at_level(logging.INFO, logger="keepfaith.web"):
        assert client.get(path).status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "keepfaith.web"]
    assert any(line.startswith(logged) for line in lines), lines
    assert not any(EMAIL in line for line in lines)


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/login", "GET, OPTIONS, POST"),
        ("/admin/staff", "GET, OPTIONS, POST"),
        ("/t/parature/forms/contact_form", "GET, OPTIONS, POST"),
        ("/api/t/parature/consents", "GET, OPTIONS, POST"),
    ],
)
def test_options_lists_every_method_of_the_path(
    client: httpx.Client, path: str, methods: str
) -> None:
    answer = client.options(path)
    assert answer.status_code == 204
    assert answer.headers["allow"] == methods
    refused = client.delete(path)
    assert refused.status_code == 405 and refused.headers["allow"] == methods


def test_options_on_no_route_is_404(client: httpx.Client) -> None:
    assert client.options("/no/such/page").status_code == 404


def test_the_decision_api_refuses_an_undeclared_key(
    client: httpx.Client, app: FastAPI, api_token: Callable[..., str]
) -> None:
    question = {
        "subject": customer(app).id,
        "purpose": "account",
        "categories": ["user.contact.email"],
        "recipeint": "affiliates",  # misspelt: must not be read as "no recipient"
    }
    answer = client.post(
        "/api/t/parature/decisions",
        json=question,
        headers={"Authorization": f"Bearer {api_token(Role.SUPPORT_AGENT)}"},
    )
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"recipeint"}


def test_adding_staff_answers_a_json_client_in_json(
    client: httpx.Client, api_token: Callable[..., str]
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OWNER)}", "Accept": "application/json"}
    posted = {"email": "no-at-sign", "password": "long enough password", "role": "auditor"}
    answer = client.post("/admin/staff", data=posted, headers=headers)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/json")
    assert set(answer.json()["errors"]) == {"email"}
    missing = client.post("/admin/staff", data={"email": "x@example.com"}, headers=headers)
    assert missing.status_code == 422 and set(missing.json()["errors"]) == {"password", "role"}


def test_adding_staff_shows_a_browser_the_form_again(
    staff_client: Callable[..., httpx.Client],
) -> None:
    signed_in = staff_client(Role.OWNER)
    token = form_token(signed_in, "/admin/staff")
    posted = {"email": "no-at-sign", "password": "long enough password", "role": "auditor"}
    answer = signed_in.post(
        "/admin/staff", data={**posted, "csrf_token": token}, headers={"Accept": "text/html"}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
