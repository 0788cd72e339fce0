"""Tenant scope of staff users and API tokens: no read or decision crosses tenants (PA-03).

One app serves Parature and EZTalks. A caller scoped to Parature is refused (403) on
every staff route of EZTalks and on staff management; unscoped callers (the
deployment's operators) act for both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner, Result

from keepfaith.cli import app as cli
from keepfaith.exceptions import Refused
from keepfaith.ledger import Ledger, staff
from keepfaith.ledger.staff import Role
from tests.ledger.support import read, write
from tests.web.conftest import EZTALKS, PARATURE, PASSWORD, customer, form_token

NOT_FOR_THIS_TENANT = "your account is not for this tenant"


@pytest.fixture
def both(make_app: Callable[..., FastAPI]) -> FastAPI:
    """One app serving both example statements."""
    return make_app(statements=(PARATURE, EZTALKS))


def token(app: FastAPI, role: Role, tenant: str | None = None) -> dict[str, str]:
    """The ``Authorization`` header of a new API token of ``role`` and ``tenant``."""
    issued = write(app.state.ledger, staff.create_token, "test machine", role, tenant=tenant)
    return {"Authorization": f"Bearer {issued}"}


def signed_in(
    app: FastAPI, make_client: Callable[..., httpx.Client], role: Role, tenant: str | None
) -> httpx.Client:
    """A client with a live session of a new staff user of ``role`` and ``tenant``."""
    ledger = app.state.ledger
    email = f"staff-{uuid.uuid4().hex[:12]}@example.com"
    user = write(ledger, staff.create_user, email, PASSWORD, role, tenant=tenant)
    client = make_client(app)
    client.cookies.set(
        "kf_session", write(ledger, staff.start_session, user, dt.timedelta(minutes=5))
    )
    return client


def decide(
    client: httpx.Client, headers: dict[str, str], tenant: str, subject: int, purpose: str
) -> httpx.Response:
    question = {"subject": subject, "purpose": purpose, "categories": ["user.contact.email"]}
    return client.post(f"/api/t/{tenant}/decisions", json=question, headers=headers)


def test_a_scoped_token_decides_for_its_tenant_only(
    both: FastAPI, make_client: Callable[..., httpx.Client]
) -> None:
    client = make_client(both)
    scoped = token(both, Role.SUPPORT_AGENT, "parature")
    mine, theirs = customer(both, "parature"), customer(both, "eztalks")
    assert decide(client, scoped, "parature", mine.id, "marketing_email").status_code == 200
    refused = decide(client, scoped, "eztalks", theirs.id, "contact_you")
    assert refused.status_code == 403
    assert refused.json()["detail"] == NOT_FOR_THIS_TENANT


def test_an_unscoped_token_decides_for_every_tenant(
    both: FastAPI, make_client: Callable[..., httpx.Client]
) -> None:
    client = make_client(both)
    operator = token(both, Role.SUPPORT_AGENT)
    parature, eztalks = customer(both, "parature"), customer(both, "eztalks")
    assert decide(client, operator, "parature", parature.id, "marketing_email").status_code == 200
    assert decide(client, operator, "eztalks", eztalks.id, "contact_you").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/admin/api/t/eztalks/subjects/{id}/receipts",
        "/admin/api/t/eztalks/subjects/{id}/profile",
        "/admin/api/t/eztalks/visits",
        "/admin/t/eztalks/visits",
    ],
)
def test_a_scoped_token_reads_nothing_of_another_tenant(
    both: FastAPI, make_client: Callable[..., httpx.Client], path: str
) -> None:
    theirs = customer(both, "eztalks")
    answer = make_client(both).get(
        path.format(id=theirs.id), headers=token(both, Role.OWNER, "parature")
    )
    assert answer.status_code == 403
    assert answer.json()["detail"] == NOT_FOR_THIS_TENANT


def test_a_scoped_token_corrects_no_one_of_another_tenant(
    both: FastAPI, make_client: Callable[..., httpx.Client]
) -> None:
    theirs = customer(both, "eztalks")
    answer = make_client(both).post(
        f"/admin/api/t/eztalks/subjects/{theirs.id}/corrections",
        json={"records": {"1": "Mallory"}},
        headers=token(both, Role.SUPPORT_AGENT, "parature"),
    )
    assert answer.status_code == 403


def test_a_scoped_user_is_refused_on_another_tenants_admin_page(
    both: FastAPI, make_client: Callable[..., httpx.Client]
) -> None:
    client = signed_in(both, make_client, Role.AUDITOR, "parature")
    assert client.get("/admin").status_code == 200
    assert client.get("/admin/t/parature/visits").status_code == 200
    refused = client.get("/admin/t/eztalks/visits")
    assert refused.status_code == 403
    assert NOT_FOR_THIS_TENANT in refused.text


def test_an_unscoped_user_sees_every_tenants_admin_pages(
    both: FastAPI, make_client: Callable[..., httpx.Client]
) -> None:
    client = signed_in(both, make_client, Role.AUDITOR, None)
    assert client.get("/admin/t/parature/visits").status_code == 200
    assert client.get("/admin/t/eztalks/visits").status_code == 200


@pytest.mark.parametrize(
    ("scope", "listed"), [("parature", ["parature"]), (None, ["eztalks", "parature"])]
)
def test_the_tenant_list_shows_what_the_caller_may_act_for(
    both: FastAPI, make_client: Callable[..., httpx.Client], scope: str | None, listed: list[str]
) -> None:
    client = signed_in(both, make_client, Role.AUDITOR, scope)
    assert sorted(t["tenant"] for t in client.get("/admin/api/tenants").json()) == listed
    assert client.get("/admin/api/me").json()["tenant"] == scope
    home = client.get("/admin").text
    assert ("/t/eztalks/" in home) == (scope is None)


def test_a_tenants_owner_manages_that_tenants_staff_only(
    both: FastAPI, make_client: Callable[..., httpx.Client]
) -> None:
    ledger = both.state.ledger
    elsewhere = write(
        ledger, staff.create_user, "ez@example.com", PASSWORD, Role.AUDITOR, "eztalks"
    )
    scoped = signed_in(both, make_client, Role.OWNER, "parature")
    listed = scoped.get("/admin/staff")
    assert listed.status_code == 200
    assert elsewhere.name not in listed.text  # another company's staff stay unseen
    added = scoped.post(
        "/admin/staff",
        data={
            "email": "escalate@example.com",
            "password": PASSWORD,
            "role": "owner",
            "csrf_token": form_token(scoped, "/admin/staff"),
        },
    )
    assert added.status_code == 303
    # The new owner is kept to the same tenant: nobody widens their own reach.
    new = read(ledger, staff.authenticate, "escalate@example.com", PASSWORD)
    assert new.tenant == "parature"
    assert "escalate@example.com" in scoped.get("/admin/staff").text
    operator = signed_in(both, make_client, Role.OWNER, None).get("/admin/staff")
    assert operator.status_code == 200
    assert elsewhere.name in operator.text and "escalate@example.com" in operator.text


def test_a_malformed_tenant_scope_is_refused(both: FastAPI) -> None:
    with pytest.raises(Refused, match="tenant"):
        write(both.state.ledger, staff.create_token, "typo", Role.AUDITOR, tenant="Parature!")


def admin(database_url: str, *args: str, input: str | None = None) -> Result:
    """Run ``keepfaith admin ARGS`` on the test database."""
    return CliRunner().invoke(cli, ["admin", *args, "--database-url", database_url], input=input)


def test_the_cli_stores_the_tenant_scope(database_url: str) -> None:
    created = admin(
        database_url,
        *["create-user", "agent@example.com", "--role", "support_agent", "--password-stdin"],
        *("--tenant", "parature"),
        input=PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    assert "tenant parature" in created.output
    issued = admin(
        database_url, *["create-token", "--name", "crm", "--role", "auditor", "--tenant", "eztalks"]
    )
    assert issued.exit_code == 0, issued.output
    unscoped = admin(database_url, *["create-token", "--name", "ops", "--role", "owner"])
    assert unscoped.exit_code == 0, unscoped.output
    with Ledger(database_url) as ledger:
        user = read(ledger, staff.authenticate, "agent@example.com", PASSWORD)
        assert user.tenant == "parature"
        scoped = read(ledger, staff.token_principal, issued.output.strip())
        assert scoped is not None and scoped.tenant == "eztalks"
        everywhere = read(ledger, staff.token_principal, unscoped.output.strip())
        assert everywhere is not None and everywhere.tenant is None


def test_the_cli_refuses_a_malformed_tenant(database_url: str) -> None:
    malformed = ("--tenant", "Not A Tenant")
    result = admin(
        database_url, *["create-token", "--name", "crm", "--role", "auditor"], *malformed
    )
    assert result.exit_code == 2
