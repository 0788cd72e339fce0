"""The gate every route passes first: credentials, then text no ledger can store.

Each test here failed before ``keepfaith.web.guard``: a non-ASCII CSRF token, a NUL or a
lone surrogate answered 500; an unknown tenant answered 404 and a malformed body 422 to
callers without credentials.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from keepfaith.ledger.records import records
from keepfaith.ledger.staff import Role
from keepfaith.web.guard import GuardedRoute
from tests.conftest import PARATURE_CONTACT
from tests.web.conftest import form_token

PUBLIC = {
    ("get", "/"),
    ("get", "/login"),
    ("post", "/login"),
    ("post", "/logout"),
    ("get", "/t/{tenant}/"),
    ("get", "/t/{tenant}/versions"),
    ("get", "/t/{tenant}/versions/{version}"),
    ("get", "/t/{tenant}/cookie-banner.js"),
    ("get", "/t/{tenant}/cookie-banner.css"),
    # A pretend host page, served only with Settings.banner_demo (404 otherwise).
    ("get", "/t/{tenant}/cookie-banner/demo"),
    ("get", "/t/{tenant}/theme.css"),
    ("post", "/api/t/{tenant}/cookies/consent"),
    ("get", "/.well-known/gpc.json"),
    ("post", "/api/t/{tenant}/collect/{point}"),
    ("get", "/t/{tenant}/forms/{point}"),
    ("post", "/t/{tenant}/forms/{point}"),
    ("get", "/t/{tenant}/privacy-center"),
    ("post", "/t/{tenant}/privacy-center/login"),
    # The same answer for every address; a link is sent only to a known one (issue 11).
    ("post", "/t/{tenant}/privacy-center/sign-in"),
    ("post", "/t/{tenant}/privacy-center/logout"),
    # Pages a signed link opens: the token in the path is the credential, checked there.
    ("get", "/t/{tenant}/changes/{token}"),
    ("post", "/t/{tenant}/changes/{token}"),
    ("get", "/t/{tenant}/referrals/{token}"),
    ("post", "/t/{tenant}/referrals/{token}"),
    ("get", "/t/{tenant}/transfer/{token}"),
    ("post", "/t/{tenant}/transfer/{token}"),
    ("get", "/t/{tenant}/unsubscribe/{token}"),
    ("post", "/t/{tenant}/unsubscribe/{token}"),
    # Anonymous by design: a friend's address is used once and kept nowhere (PA-10).
    ("post", "/api/t/{tenant}/email-this-page/{point}"),
    # Anyone may ask (issue 12): nothing is run or revealed until the emailed code or
    # link verifies them; the download link is signed and expires.
    ("get", "/t/{tenant}/privacy-center/requests"),
    ("post", "/t/{tenant}/privacy-center/requests"),
    ("get", "/t/{tenant}/privacy-center/requests/verify"),
    ("post", "/t/{tenant}/privacy-center/requests/{case_id}/verify"),
    ("get", "/t/{tenant}/privacy-center/requests/download"),
    # Anyone may complain (issue 13): nothing is revealed; staff answer by email.
    ("get", "/t/{tenant}/privacy-center/complaints"),
    ("post", "/t/{tenant}/privacy-center/complaints"),
}
"""Every operation anyone may call; all others need credentials."""

WRONG = {
    "Authorization": "Bearer kf_not-a-token",
    "Cookie": "kf_session=not-a-session; kf_person_parature=not-a-session",
}


def _stored(app: FastAPI) -> int:
    with app.state.ledger.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(records)).scalar())


# ---------------------------------------------------------------------------- CSRF


@pytest.mark.parametrize("path", ["/login", "/t/parature/forms/contact_form"])
@pytest.mark.parametrize("where", ["field", "header"])
def test_a_non_ascii_csrf_token_is_refused_with_403(
    client: httpx.Client, path: str, where: str
) -> None:
    form_token(client, path)  # the CSRF cookie, so only the token is wrong
    fields = {"email": "a@example.com", "password": "x" * 12}
    if where == "field":
        answer = client.post(path, data={**fields, "csrf_token": "é"})
    else:
        answer = client.post(path, data=fields, headers={"x-csrf-token": "é".encode()})
    assert answer.status_code == 403


# ---------------------------------------------------------------------------- text


@pytest.mark.parametrize("bad", ["Ann\x00Example", "Ann \ud800"])
def test_a_nul_or_lone_surrogate_in_a_json_field_is_a_field_error(
    client: httpx.Client, app: FastAPI, bad: str
) -> None:
    body = {"fields": {**PARATURE_CONTACT, "name": bad}}
    answer = client.post(
        "/api/t/parature/collect/contact_form",
        content=_json(body),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert set(answer.json()["errors"]) == {"fields.name"}
    assert _stored(app) == 0


@pytest.mark.parametrize("bad", ["4111\x001111", "4111 \ud800"])
def test_a_card_number_the_encryption_cannot_encode_is_a_field_error(
    client: httpx.Client, app: FastAPI, bad: str
) -> None:
    """The card is a sensitive category, encrypted at rest: a lone surrogate used to fail
    in the encryption (500); now it never gets there, on either database."""
    fields = {"name": "Ann", "card": bad, "billing_address": "1 Main St", "email": "a@example.com"}
    answer = client.post(
        "/api/t/parature/collect/order",
        content=_json({"fields": fields}),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert set(answer.json()["errors"]) == {"fields.card"}
    assert _stored(app) == 0


@pytest.mark.parametrize("bad", ["\x00", "\ud800"])
def test_a_bad_key_names_its_object_never_itself(client: httpx.Client, bad: str) -> None:
    body = {"fields": {f"name{bad}": "Ann"}}
    answer = client.post(
        "/api/t/parature/collect/contact_form",
        content=_json(body),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert set(errors) == {"fields"} and errors["fields"].startswith("a key ")


def test_a_nul_in_a_form_field_is_shown_beside_the_field(
    client: httpx.Client, app: FastAPI
) -> None:
    token = form_token(client, "/t/parature/forms/contact_form")
    answer = client.post(
        "/t/parature/forms/contact_form",
        data={**PARATURE_CONTACT, "company": "Ex\x00ample", "csrf_token": token},
    )
    assert answer.status_code == 422
    assert _stored(app) == 0


def test_a_nul_in_the_path_is_a_field_error(
    client: httpx.Client, api_token: Callable[..., str]
) -> None:
    headers = {"Authorization": f"Bearer {api_token(Role.OWNER)}"}
    answer = client.get("/admin/api/t/parature/connectors/pagila%00x", headers=headers)
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"key": "contains a NUL character"}


def test_a_nul_in_a_decision_question_is_a_field_error(
    client: httpx.Client, api_token: Callable[..., str]
) -> None:
    question = {"subject": 1, "purpose": "account\x00", "categories": ["user.contact.email"]}
    answer = client.post(
        "/api/t/parature/decisions",
        json=question,
        headers={"Authorization": f"Bearer {api_token(Role.OWNER)}"},
    )
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"purpose"}


@pytest.mark.parametrize("body", [b"{", b'{"fields": {"name": "\xff"}}'])
def test_a_body_that_is_not_json_names_the_body(client: httpx.Client, body: bytes) -> None:
    answer = client.post(
        "/api/t/parature/collect/contact_form",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"body"}


def _json(value: object) -> bytes:
    """JSON as a client may send it: lone surrogates as ``\\ud800`` escapes."""
    import json

    return json.dumps(value).encode()


# ---------------------------------------------------------------------------- first


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _url(path: str, tenant: str) -> str:
    url = path.replace("{tenant}", tenant)
    return re.sub(r"\{[a-z_]+\}", "1", url)


def test_every_route_is_guarded(app: FastAPI) -> None:
    """A router made with ``APIRouter`` instead of ``guard.router`` would skip the gate."""
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    unguarded = [
        route.path
        for route in routes
        if isinstance(route, APIRoute) and not isinstance(route, GuardedRoute)
    ]
    assert unguarded == []


def test_the_public_operations_are_the_ones_we_mean(app: FastAPI) -> None:
    described = app.openapi()["paths"]
    public = {
        (method, path)
        for method, path in _operations(app)
        if "401" not in described[path][method]["responses"]
    }
    assert public == PUBLIC


@pytest.mark.parametrize("tenant", ["parature", "no-such-tenant"])
@pytest.mark.parametrize("credentials", ["none", "wrong"])
def test_every_protected_route_refuses_first(
    app: FastAPI, client: httpx.Client, tenant: str, credentials: str
) -> None:
    """Without credentials or with wrong ones, whatever the tenant, ids or body: 401/403."""
    headers = {"content-type": "application/json", **(WRONG if credentials == "wrong" else {})}
    for method, path in _operations(app):
        if (method, path) in PUBLIC:
            continue
        answer = client.request(method, _url(path, tenant), content=b"{", headers=headers)
        assert answer.status_code in {401, 403}, (method, path, answer.status_code)


def test_every_public_route_answers_an_unknown_tenant_without_a_500(
    app: FastAPI, client: httpx.Client
) -> None:
    for method, path in sorted(PUBLIC):
        answer = client.request(method, _url(path, "no-such-tenant"), content=b"{")
        assert answer.status_code < 500, (method, path, answer.status_code)
