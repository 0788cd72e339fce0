"""Staff access: every /admin operation refuses callers without the needed role.

``ADMIN_ROLES`` is the role table of every operation under /admin; a test fails when
/openapi.json lists an /admin operation the table does not, so a new admin route must say
who may use it here.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from keepfaith.exceptions import Refused
from keepfaith.ledger import staff
from keepfaith.ledger.crypto import tokens
from keepfaith.ledger.staff import Role
from tests.ledger.support import read, write
from tests.web.conftest import PASSWORD, form_token

EVERYONE = frozenset(Role)
OWNER = frozenset({Role.OWNER})
CORRECTORS = EVERYONE - {Role.AUDITOR}
STATISTICS_READERS = EVERYONE - {Role.SUPPORT_AGENT}
MAP_REVIEWERS = frozenset({Role.OWNER, Role.PRIVACY_OFFICER})
MAIL_SENDERS = frozenset({Role.OWNER, Role.PRIVACY_OFFICER})
PUBLISHERS = frozenset({Role.OWNER, Role.PRIVACY_OFFICER})
CASE_WORKERS = frozenset({Role.OWNER, Role.PRIVACY_OFFICER, Role.SUPPORT_AGENT})
MAIL_READERS = MAIL_SENDERS | {Role.AUDITOR}
SHARING_READERS = frozenset({Role.OWNER, Role.PRIVACY_OFFICER, Role.AUDITOR})
LEGAL_OFFICERS = frozenset({Role.OWNER, Role.PRIVACY_OFFICER})
LOG_READERS = frozenset({Role.OWNER, Role.PRIVACY_OFFICER, Role.AUDITOR})

ADMIN_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/admin"): EVERYONE,
    ("GET", "/admin/api/tenants"): EVERYONE,
    ("GET", "/admin/api/me"): EVERYONE,
    ("GET", "/admin/staff"): OWNER,
    ("POST", "/admin/staff"): OWNER,
    ("POST", "/admin/tokens"): OWNER,
    # The console of a tenant (issue 11): one person's file for those who work requests,
    # the whole consent log and its rates for those who answer for it.
    ("GET", "/admin/t/{tenant}"): EVERYONE,
    ("GET", "/admin/t/{tenant}/subjects"): CASE_WORKERS,
    ("POST", "/admin/t/{tenant}/subjects"): CASE_WORKERS,
    ("GET", "/admin/t/{tenant}/subjects/{subject_id}"): CASE_WORKERS,
    ("GET", "/admin/t/{tenant}/consents"): LOG_READERS,
    ("GET", "/admin/t/{tenant}/consents.csv"): LOG_READERS,
    ("GET", "/admin/t/{tenant}/consents/rates"): LOG_READERS,
    ("POST", "/admin/staff/{user_id}/disable"): OWNER,
    ("POST", "/admin/tokens/{token_id}/revoke"): OWNER,
    ("GET", "/admin/api/t/{tenant}/subjects/{subject_id}/receipts"): EVERYONE,
    ("GET", "/admin/api/t/{tenant}/subjects/{subject_id}/profile"): CORRECTORS,
    ("POST", "/admin/api/t/{tenant}/subjects/{subject_id}/corrections"): CORRECTORS,
    ("POST", "/admin/api/t/{tenant}/subjects/{subject_id}/privacy-link"): CORRECTORS,
    ("GET", "/admin/t/{tenant}/visits"): STATISTICS_READERS,
    ("GET", "/admin/api/t/{tenant}/visits"): STATISTICS_READERS,
    ("GET", "/admin/jobs"): STATISTICS_READERS,
    ("GET", "/admin/api/jobs"): STATISTICS_READERS,
    ("GET", "/admin/t/{tenant}/connectors"): MAP_REVIEWERS,
    ("GET", "/admin/t/{tenant}/connectors/{key}"): MAP_REVIEWERS,
    ("POST", "/admin/t/{tenant}/connectors/{key}/scan"): MAP_REVIEWERS,
    ("POST", "/admin/t/{tenant}/connectors/{key}/review"): MAP_REVIEWERS,
    ("GET", "/admin/api/t/{tenant}/connectors/{key}"): MAP_REVIEWERS,
    ("GET", "/admin/t/{tenant}/mail"): MAIL_READERS,
    ("POST", "/admin/t/{tenant}/campaigns"): MAIL_SENDERS,
    ("POST", "/admin/t/{tenant}/campaigns/{campaign}/{action}"): MAIL_SENDERS,
    ("GET", "/admin/api/t/{tenant}/campaigns"): MAIL_READERS,
    ("GET", "/admin/t/{tenant}/templates/{template}"): MAIL_READERS,
    ("GET", "/admin/t/{tenant}/publish"): PUBLISHERS,
    ("GET", "/admin/t/{tenant}/requests"): CASE_WORKERS,
    ("GET", "/admin/api/t/{tenant}/requests"): CASE_WORKERS,
    ("GET", "/admin/t/{tenant}/requests/{case_id}"): CASE_WORKERS,
    ("POST", "/admin/t/{tenant}/requests/{case_id}/{action}"): CASE_WORKERS,
    ("POST", "/admin/t/{tenant}/publish"): PUBLISHERS,
    ("GET", "/admin/t/{tenant}/complaints"): CASE_WORKERS,
    ("GET", "/admin/api/t/{tenant}/complaints"): CASE_WORKERS,
    ("GET", "/admin/t/{tenant}/complaints/{case_id}"): CASE_WORKERS,
    ("POST", "/admin/t/{tenant}/complaints/{case_id}/{action}"): CASE_WORKERS,
    ("GET", "/admin/t/{tenant}/disclosures"): SHARING_READERS,
    ("GET", "/admin/api/t/{tenant}/disclosures"): SHARING_READERS,
    ("GET", "/admin/t/{tenant}/legal-requests"): LEGAL_OFFICERS,
    ("POST", "/admin/t/{tenant}/legal-requests"): LEGAL_OFFICERS,
    ("GET", "/admin/t/{tenant}/ropa"): SHARING_READERS,
    ("GET", "/admin/t/{tenant}/ropa.csv"): SHARING_READERS,
    ("GET", "/admin/t/{tenant}/subjects/{subject_id}/story"): SHARING_READERS,
}
"""Which roles may call each /admin operation (method, path template)."""


def admin_operations(client: httpx.Client) -> list[tuple[str, str]]:
    paths = client.get("/openapi.json").json()["paths"]
    return sorted(
        (method.upper(), path)
        for path, operations in paths.items()
        if path == "/admin" or path.startswith("/admin/")
        for method in operations
    )


def call(client: httpx.Client, method: str, template: str, **options: object) -> httpx.Response:
    path = template.replace("{tenant}", "parature").replace("{subject_id}", "1")
    path = path.replace("{key}", "pagila").replace("{user_id}", "1").replace("{token_id}", "1")
    path = path.replace("{campaign}", "1").replace("{case_id}", "1")
    if "/requests/" in template:
        path = path.replace("{action}", "approve")
    path = path.replace("{action}", "pause").replace("{template}", "notice")
    assert "{" not in path, f"fill the parameters of {template}"
    return client.request(method, path, **options)  # type: ignore[arg-type]


def test_every_admin_operation_refuses_an_anonymous_caller(
    module_clients: dict[str, httpx.Client],
) -> None:
    anonymous = module_clients["anonymous"]
    operations = admin_operations(anonymous)
    assert ("GET", "/admin") in operations
    for method, template in operations:
        refused = call(anonymous, method, template)
        assert refused.status_code == 401, (method, template, refused.status_code)
        forged = call(anonymous, method, template, headers={"Authorization": "Bearer kf_forged"})
        assert forged.status_code == 401, (method, template, forged.status_code)


def test_every_admin_operation_has_a_role_table(module_clients: dict[str, httpx.Client]) -> None:
    assert set(admin_operations(module_clients["anonymous"])) == set(ADMIN_ROLES)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("method", "template"), sorted(ADMIN_ROLES))
def test_role_table(
    module_clients: dict[str, httpx.Client], method: str, template: str, role: Role
) -> None:
    client = module_clients[role]
    options = {}
    if method == "POST":  # a valid CSRF token, so that only the role can refuse
        options["data"] = {"csrf_token": form_token(client, "/login")}
    answer = call(client, method, template, **options)
    if role in ADMIN_ROLES[(method, template)]:
        assert answer.status_code not in (401, 403), answer.text
    else:
        assert answer.status_code == 403


def test_sign_in_opens_a_session_with_a_safe_cookie(app: FastAPI, client: httpx.Client) -> None:
    write(app.state.ledger, staff.create_user, "Officer@Example.com", PASSWORD, "privacy_officer")
    token = form_token(client, "/login")
    signed_in = client.post(
        "/login", data={"email": "officer@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/admin"
    cookie = signed_in.headers["set-cookie"].lower()
    assert cookie.startswith("kf_session=")
    for attribute in ("secure", "httponly", "samesite=lax", "max-age=28800"):
        assert attribute in cookie
    home = client.get("/admin")
    assert home.status_code == 200
    assert 'href="/t/parature/"' in home.text
    assert "privacy officer" in home.text
    assert client.get("/admin/api/me").json() == {
        "kind": "user",
        "name": "officer@example.com",
        "role": "privacy_officer",
        "tenant": None,
    }


def test_sign_out_ends_the_session(app: FastAPI, client: httpx.Client) -> None:
    from tests.web.conftest import sign_in

    sign_in(client, app, Role.AUDITOR)
    assert client.get("/admin").status_code == 200
    token = form_token(client, "/admin")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/admin").status_code == 401


def test_wrong_password_is_refused_without_saying_which_part(
    app: FastAPI, client: httpx.Client
) -> None:
    write(app.state.ledger, staff.create_user, "owner@example.com", PASSWORD, "owner")
    token = form_token(client, "/login")
    wrong = client.post(
        "/login",
        data={"email": "owner@example.com", "password": "not it at all", "csrf_token": token},
    )
    unknown = client.post(
        "/login", data={"email": "nobody@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "wrong email or password" in wrong.text
    assert "set-cookie" not in wrong.headers or "kf_session" not in wrong.headers["set-cookie"]


def test_sign_in_without_csrf_token_is_refused(app: FastAPI, client: httpx.Client) -> None:
    write(app.state.ledger, staff.create_user, "owner@example.com", PASSWORD, "owner")
    form_token(client, "/login")  # the cookie alone is not enough
    refused = client.post("/login", data={"email": "owner@example.com", "password": PASSWORD})
    assert refused.status_code == 403
    forged = client.post(
        "/login", data={"email": "owner@example.com", "password": PASSWORD, "csrf_token": "00"}
    )
    assert forged.status_code == 403


def test_plain_http_deployment_drops_secure(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    app = make_app(cookie_secure=False)
    write(app.state.ledger, staff.create_user, "owner@example.com", PASSWORD, "owner")
    client = make_client(app)
    token = form_token(client, "/login")
    signed_in = client.post(
        "/login", data={"email": "owner@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert "secure" not in signed_in.headers["set-cookie"].lower()


def test_session_lifetime_is_a_setting(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    app = make_app(session_lifetime_minutes=15)
    write(app.state.ledger, staff.create_user, "owner@example.com", PASSWORD, "owner")
    client = make_client(app)
    token = form_token(client, "/login")
    signed_in = client.post(
        "/login", data={"email": "owner@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert "max-age=900" in signed_in.headers["set-cookie"].lower()


def test_expired_session_is_refused(app: FastAPI, client: httpx.Client) -> None:
    import datetime as dt

    ledger = app.state.ledger
    user = write(ledger, staff.create_user, "owner@example.com", PASSWORD, "owner")
    token = write(ledger, staff.start_session, user, dt.timedelta(seconds=-1))
    client.cookies.set("kf_session", token)
    assert client.get("/admin").status_code == 401


def test_owner_adds_staff_through_the_form(
    staff_client: Callable[..., httpx.Client], app: FastAPI
) -> None:
    owner = staff_client(Role.OWNER)
    token = form_token(owner, "/admin/staff")
    added = owner.post(
        "/admin/staff",
        data={
            "email": "agent@example.com",
            "password": PASSWORD,
            "role": "support_agent",
            "csrf_token": token,
        },
    )
    assert added.status_code == 303
    assert "agent@example.com" in owner.get("/admin/staff").text
    too_short = owner.post(
        "/admin/staff",
        data={
            "email": "b@example.com",
            "password": "short",
            "role": "auditor",
            "csrf_token": token,
        },
    )
    assert too_short.status_code == 422
    assert "at least 12 characters" in too_short.text
    without_token = owner.post(
        "/admin/staff",
        data={"email": "c@example.com", "password": PASSWORD, "role": "auditor"},
    )
    assert without_token.status_code == 403


def test_a_csrf_token_minted_without_the_session_does_not_work_with_it(
    staff_client: Callable[..., httpx.Client],
    make_client: Callable[..., httpx.Client],
    app: FastAPI,
) -> None:
    """A nonce and token anyone can get from the sign-in page, planted in a signed-in
    browser's cookies (as a sibling subdomain could), do not pass for the staff member."""
    outsider = make_client(app)
    planted_token = form_token(outsider, "/login")
    owner = staff_client(Role.OWNER)
    owner.cookies.set("kf_csrf", outsider.cookies["kf_csrf"])
    form = {"email": "d@example.com", "password": PASSWORD, "role": "auditor"}
    forged = owner.post("/admin/staff", data={**form, "csrf_token": planted_token})
    assert forged.status_code == 403
    own = owner.post("/admin/staff", data={**form, "csrf_token": form_token(owner, "/admin/staff")})
    assert own.status_code == 303


def test_passwords_and_tokens_are_stored_hashed(app: FastAPI, client: httpx.Client) -> None:
    ledger = app.state.ledger
    write(ledger, staff.create_user, "owner@example.com", PASSWORD, "owner")
    token = write(ledger, staff.create_token, "crm", "support_agent")
    with ledger.engine.connect() as connection:
        hashes = connection.execute(sa.select(staff.staff_users.c.password_hash)).scalars().all()
        stored = connection.execute(sa.select(staff.api_tokens.c.token_hash)).scalars().all()
    assert all(value.startswith("$argon2id$") and PASSWORD not in value for value in hashes)
    assert stored == [tokens.digest(token)]


def test_api_token_works_until_revoked(
    app: FastAPI, client: httpx.Client, api_token: Callable[..., str]
) -> None:
    token = api_token(Role.AUDITOR)
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/admin/api/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["role"] == "auditor"
    assert client.get("/admin/staff", headers=headers).status_code == 403
    principal = read(app.state.ledger, staff.token_principal, token)
    assert principal is not None
    write(app.state.ledger, staff.revoke_token, principal.id)
    assert client.get("/admin/api/me", headers=headers).status_code == 401


def test_staff_users_and_tokens_refuse_bad_input(app: FastAPI) -> None:
    ledger = app.state.ledger
    write(ledger, staff.create_user, "owner@example.com", PASSWORD, "owner")
    with pytest.raises(Refused, match="already exists"):
        write(ledger, staff.create_user, "OWNER@example.com", PASSWORD, "auditor")
    with pytest.raises(Refused, match="'@'"):
        write(ledger, staff.create_user, "owner", PASSWORD, "owner")
    with pytest.raises(Refused, match="at most 255"):
        write(ledger, staff.create_user, "o" * 250 + "@example.com", PASSWORD, "owner")
    with pytest.raises(ValueError, match="janitor"):
        write(ledger, staff.create_user, "x@example.com", PASSWORD, "janitor")
    with pytest.raises(Refused, match="needs a name"):
        write(ledger, staff.create_token, " ", "owner")
