"""The decision API: machines ask the engine over HTTP with an API token."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from keepfaith.ledger import consents
from keepfaith.ledger.staff import Role
from tests.web.conftest import EZTALKS, PARATURE, customer


def ask(
    client: httpx.Client, token: str, subject: int, purpose: str, **more: object
) -> httpx.Response:
    question = {
        "subject": subject,
        "purpose": purpose,
        "categories": ["user.contact.email"],
        **more,
    }
    return client.post(
        "/api/t/parature/decisions", json=question, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.mark.parametrize("role", list(Role))
def test_any_staff_token_may_ask(
    app: FastAPI, client: httpx.Client, api_token: Callable[..., str], role: Role
) -> None:
    answer = ask(client, api_token(role), customer(app).id, "marketing_email")
    assert answer.status_code == 200
    assert set(answer.json()) == {"allowed", "reason", "clauses"}


def test_answer_follows_consent_and_names_clauses(
    app: FastAPI, client: httpx.Client, api_token: Callable[..., str]
) -> None:
    token, subject = api_token(Role.SUPPORT_AGENT), customer(app)
    refused = ask(client, token, subject.id, "marketing_email").json()
    assert refused["allowed"] is False
    assert refused["clauses"]
    with app.state.ledger.transaction() as tx:
        consents.record(tx, subject, "marketing_email")
    allowed = ask(client, token, subject.id, "marketing_email").json()
    assert allowed["allowed"] is True
    assert allowed["clauses"]


def test_anonymous_and_forged_callers_are_refused(app: FastAPI, client: httpx.Client) -> None:
    question = {"subject": customer(app).id, "purpose": "x", "categories": ["user.name"]}
    assert client.post("/api/t/parature/decisions", json=question).status_code == 401
    assert ask(client, "kf_forged", 1, "marketing_email").status_code == 401


def test_a_subject_of_another_tenant_is_not_found(
    make_app: Callable[..., FastAPI],
    make_client: Callable[..., httpx.Client],
    api_token: Callable[..., str],
) -> None:
    app = make_app(statements=(PARATURE, EZTALKS))
    client = make_client(app)
    elsewhere = customer(app, "eztalks")
    answer = ask(client, api_token(Role.OWNER, app), elsewhere.id, "marketing_email")
    assert answer.status_code == 404
    assert "ann@example.com" not in answer.text


def test_malformed_question_is_422(
    app: FastAPI, client: httpx.Client, api_token: Callable[..., str]
) -> None:
    answer = client.post(
        "/api/t/parature/decisions",
        json={"subject": "ann@example.com", "categories": []},
        headers={"Authorization": f"Bearer {api_token(Role.OWNER)}"},
    )
    assert answer.status_code == 422
