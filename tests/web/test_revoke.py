"""Revoking an API token and disabling a staff user take effect at once, and are audited.

Before, ``revoke_token`` existed but nothing called it, and no user could be disabled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from typer.testing import CliRunner

from keepfaith.cli import app as cli
from keepfaith.ledger import Ledger, staff
from keepfaith.ledger.audit import audit_entries
from keepfaith.ledger.staff import Role
from tests.ledger.support import write
from tests.web.conftest import PASSWORD, form_token, sign_in

runner = CliRunner()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _audited(ledger: Ledger, action: str, kind: str) -> list[str]:
    with ledger.engine.connect() as connection:
        rows = connection.execute(
            sa.select(audit_entries.c.actor).where(
                audit_entries.c.action == action, audit_entries.c.object == kind
            )
        )
        return [row.actor for row in rows]


def _token_id(app: FastAPI, name: str) -> int:
    with app.state.ledger.reading() as tx:
        return next(t.id for t in staff.live_tokens(tx) if t.name == name)


def test_an_owner_revokes_a_token_on_the_admin_page_and_it_is_refused_at_once(
    app: FastAPI, client: httpx.Client, staff_client: Callable[..., httpx.Client]
) -> None:
    token = write(app.state.ledger, staff.create_token, "crm", Role.SUPPORT_AGENT)
    assert client.get("/admin/api/me", headers=_bearer(token)).status_code == 200
    owner = staff_client(Role.OWNER)
    page = owner.get("/admin/staff")
    assert "crm" in page.text and token not in page.text
    csrf = form_token(owner, "/admin/staff")
    token_id = _token_id(app, "crm")
    browser = {"Accept": "text/html"}
    done = owner.post(
        f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf}, headers=browser
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/staff"
    assert client.get("/admin/api/me", headers=_bearer(token)).status_code == 401
    assert "crm" not in owner.get("/admin/staff").text
    assert len(_audited(app.state.ledger, "revoke", "api_token")) == 1
    again = owner.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert again.status_code == 404


def test_an_owner_disables_a_user_and_their_session_ends_at_once(
    app: FastAPI, make_client: Callable[..., httpx.Client], api_token: Callable[..., str]
) -> None:
    victim = make_client(app)
    user = sign_in(victim, app, Role.SUPPORT_AGENT)
    assert victim.get("/admin/api/me").status_code == 200
    answer = make_client(app).post(
        f"/admin/staff/{user.id}/disable", headers=_bearer(api_token(Role.OWNER))
    )
    assert answer.status_code == 200 and answer.json() == {"disabled": user.id}
    assert victim.get("/admin/api/me").status_code == 401
    with app.state.ledger.transaction() as tx:
        assert user.id not in {u.id for u in staff.users(tx)}
    signing_in = make_client(app)
    csrf = form_token(signing_in, "/login")
    again = signing_in.post(
        "/login", data={"email": user.name, "password": PASSWORD, "csrf_token": csrf}
    )
    assert again.status_code == 401
    assert _audited(app.state.ledger, "disable", "staff_user")[-1].startswith("staff:token:")


def test_only_owners_revoke_and_disable(
    app: FastAPI, client: httpx.Client, api_token: Callable[..., str]
) -> None:
    officer = _bearer(api_token(Role.PRIVACY_OFFICER))
    assert client.post("/admin/tokens/1/revoke", headers=officer).status_code == 403
    assert client.post("/admin/staff/1/disable", headers=officer).status_code == 403


def test_a_tenants_owner_reaches_only_its_own_tenant(app: FastAPI, client: httpx.Client) -> None:
    ledger = app.state.ledger
    other = write(ledger, staff.create_token, "other crm", Role.SUPPORT_AGENT, tenant="eztalks")
    elsewhere = write(ledger, staff.create_user, "e@example.com", PASSWORD, Role.AUDITOR, "eztalks")
    owner = _bearer(write(ledger, staff.create_token, "own", Role.OWNER, tenant="parature"))
    assert (
        client.post(
            f"/admin/tokens/{_token_id(app, 'other crm')}/revoke", headers=owner
        ).status_code
        == 404
    )
    assert client.post(f"/admin/staff/{elsewhere.id}/disable", headers=owner).status_code == 404
    assert client.get("/admin/api/me", headers=_bearer(other)).status_code == 200


def test_nobody_disables_themselves(
    app: FastAPI, staff_client: Callable[..., httpx.Client]
) -> None:
    owner = staff_client(Role.OWNER)
    me = owner.get("/admin/api/me").json()
    with app.state.ledger.reading() as tx:
        mine = staff.find_user(tx, me["name"])
    csrf = form_token(owner, "/admin/staff")
    answer = owner.post(f"/admin/staff/{mine.id}/disable", data={"csrf_token": csrf})
    assert answer.status_code == 409
    assert owner.get("/admin/api/me").status_code == 200


def test_the_cli_revokes_a_token_and_disables_a_user(database_url: str) -> None:
    with Ledger(database_url) as ledger:
        ledger.migrate()
        token = write(ledger, staff.create_token, "crm", Role.AUDITOR)
        user = write(ledger, staff.create_user, "ann@example.com", PASSWORD, Role.AUDITOR)
        session = write(ledger, staff.start_session, user, dt.timedelta(hours=1))
        with ledger.reading() as tx:
            token_id = staff.live_tokens(tx)[0].id
    revoked = runner.invoke(
        cli, ["admin", "revoke-token", str(token_id), "--database-url", database_url]
    )
    assert revoked.exit_code == 0, revoked.output
    assert f"revoked API token {token_id}" in revoked.output
    disabled = runner.invoke(
        cli, ["admin", "disable-user", "Ann@Example.com", "--database-url", database_url]
    )
    assert disabled.exit_code == 0, disabled.output
    with Ledger(database_url) as ledger, ledger.reading() as tx:
        assert staff.token_principal(tx, token) is None
        assert staff.session_user(tx, session) is None
    unknown = runner.invoke(
        cli, ["admin", "revoke-token", str(token_id), "--database-url", database_url]
    )
    assert unknown.exit_code != 0 and f"no live API token {token_id}" in unknown.output
    nobody = runner.invoke(
        cli, ["admin", "disable-user", "ann@example.com", "--database-url", database_url]
    )
    assert nobody.exit_code != 0 and "no active staff user" in nobody.output
