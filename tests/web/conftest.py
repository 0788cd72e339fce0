"""Web fixtures shared by every test of the HTTP service.

The app runs in-process, driven by a synchronous ``httpx.Client`` through an ASGI
transport on a background event loop (a blocking portal), with its lifespan entered, on
the run's database (``--database``). Clients talk to ``https://testserver`` so that
``Secure`` cookies behave as in production.

- ``make_app(statements=(PARATURE,), **settings)``: a prepared app for this test.
- ``app`` / ``client``: the Parature statement alone, and an anonymous client for it.
- ``make_client(app, address=...)``: another client (another client address).
- ``staff_client(role, app=None)``: a client signed in as a new staff user of ``role``.
- ``api_token(role, app=None)``: a new API token of ``role``, for ``Authorization: Bearer``.
- ``form_token(client, path)``: the CSRF token of the form on the page at ``path``.
- ``module_app`` / ``module_client``: one app per test module, for read-only tables.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
from fastapi import FastAPI

from keepfaith.ledger import Subject, records, staff, subjects
from keepfaith.ledger.staff import Role
from keepfaith.settings import Settings
from keepfaith.statement import Statement, load
from keepfaith.web import create_app, prepare
from tests.conftest import EXAMPLES, empty_database
from tests.ledger.support import write

PARATURE = EXAMPLES / "parature" / "statement.yaml"
EZTALKS = EXAMPLES / "eztalks" / "statement.yaml"
SECRET = "test-secret-key-0123456789abcdef"
PASSWORD = "correct horse battery staple"
BASE_URL = "https://testserver"

_loaded: dict[Path, Statement] = {}


def loaded(path: Path) -> Statement:
    """A statement file loaded once per test session (loading costs a few hundred ms)."""
    if path not in _loaded:
        _loaded[path] = load(path)
    return _loaded[path]


def web_settings(database_url: str, statements: tuple[Path, ...], **changes: Any) -> Settings:
    """Test settings: production defaults except the database, statements and secret."""
    return Settings(
        database_url=database_url,
        statements=statements,
        secret_key=SECRET,
        **changes,
    )


class SyncASGITransport(httpx.BaseTransport):
    """Sends each request to an ASGI app on the portal's event loop and waits for it."""

    def __init__(self, app: FastAPI, portal: Any, address: str) -> None:
        self.inner = httpx.ASGITransport(app=app, client=(address, 40000))
        self.portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)

        async def send() -> tuple[int, httpx.Headers, bytes]:
            response = await self.inner.handle_async_request(copy)
            return response.status_code, response.headers, await response.aread()

        status, headers, content = self.portal.call(send)
        return httpx.Response(status, headers=headers, content=content, request=request)


@pytest.fixture(scope="session")
def portal() -> Iterator[Any]:
    """One event loop, in a thread, that every in-process app of the session runs on."""
    with anyio.from_thread.start_blocking_portal() as running:
        yield running


def _start(app: FastAPI, portal: Any, stack: ExitStack) -> FastAPI:
    stack.enter_context(portal.wrap_async_context_manager(app.router.lifespan_context(app)))
    stack.callback(app.state.ledger.close)
    return app


def _build(database_url: str, statements: tuple[Path, ...], **changes: Any) -> FastAPI:
    settings = web_settings(database_url, statements, **changes)
    by_tenant = {loaded(path).id: loaded(path) for path in statements}
    prepare(settings, by_tenant)
    return create_app(settings, by_tenant)


@pytest.fixture
def make_app(database_url: str, portal: Any) -> Iterator[Callable[..., FastAPI]]:
    """A prepared, started app on this test's database: ``make_app(statements, **settings)``."""
    with ExitStack() as stack:

        def make(statements: tuple[Path, ...] = (PARATURE,), **changes: Any) -> FastAPI:
            return _start(_build(database_url, statements, **changes), portal, stack)

        yield make


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture
def make_client(portal: Any) -> Iterator[Callable[..., httpx.Client]]:
    """A client for an app: ``make_client(app, address="127.0.0.1")``."""
    with ExitStack() as stack:

        def make(app: FastAPI, address: str = "127.0.0.1") -> httpx.Client:
            transport = SyncASGITransport(app, portal, address)
            return stack.enter_context(httpx.Client(transport=transport, base_url=BASE_URL))

        yield make


@pytest.fixture
def client(app: FastAPI, make_client: Callable[..., httpx.Client]) -> httpx.Client:
    return make_client(app)


def sign_in(client: httpx.Client, app: FastAPI, role: Role | str) -> staff.Principal:
    """Make a new staff user of ``role`` and give ``client`` a live session cookie for it."""
    ledger = app.state.ledger
    user = write(
        ledger, staff.create_user, f"staff-{uuid.uuid4().hex[:12]}@example.com", PASSWORD, role
    )
    minutes = app.state.settings.session_lifetime_minutes
    token = write(ledger, staff.start_session, user, dt.timedelta(minutes=minutes))
    client.cookies.set("kf_session", token)
    return user


@pytest.fixture
def staff_client(
    app: FastAPI, make_client: Callable[..., httpx.Client]
) -> Callable[..., httpx.Client]:
    """A new client signed in as a new staff user: ``staff_client(role, app=None)``."""

    def make(role: Role | str, on: FastAPI | None = None) -> httpx.Client:
        target = on or app
        signed_in = make_client(target)
        sign_in(signed_in, target, role)
        return signed_in

    return make


@pytest.fixture
def api_token(app: FastAPI) -> Callable[..., str]:
    """A new API token of ``role``: ``api_token(role, app=None)``."""

    def make(role: Role | str, on: FastAPI | None = None) -> str:
        return write((on or app).state.ledger, staff.create_token, "test machine", role)

    return make


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client: httpx.Client, path: str) -> str:
    """GET the page at ``path`` and return its form's CSRF token (the cookie is kept)."""
    page = client.get(path)
    found = _CSRF.search(page.text)
    assert found, f"no CSRF field on {path} ({page.status_code})"
    return found.group(1)


# ----------------------------------------------------------------------- per module


@pytest.fixture(scope="module")
def module_database_url(
    database_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like ``database_url``, for a whole module: one database its tests share."""
    with empty_database(database_kind, tmp_path_factory.mktemp("web")) as url:
        yield url


@pytest.fixture(scope="module")
def module_app(module_database_url: str, portal: Any) -> Iterator[FastAPI]:
    """One app (Parature and EZTalks) for every test of a module that only reads."""
    with ExitStack() as stack:
        yield _start(_build(module_database_url, (PARATURE, EZTALKS)), portal, stack)


@pytest.fixture(scope="module")
def module_clients(module_app: FastAPI, portal: Any) -> Iterator[dict[str, httpx.Client]]:
    """Clients of ``module_app``: ``anonymous`` and one signed in per role."""
    with ExitStack() as stack:
        clients = {}
        for name in ["anonymous", *Role]:
            transport = SyncASGITransport(module_app, portal, "127.0.0.1")
            clients[str(name)] = stack.enter_context(
                httpx.Client(transport=transport, base_url=BASE_URL)
            )
            if name != "anonymous":
                sign_in(clients[str(name)], module_app, name)
        yield clients


def customer(app: FastAPI, tenant: str = "parature") -> Subject:
    """A new subject of ``tenant``; Parature's is a customer with an email on record."""
    with app.state.ledger.transaction() as tx:
        if tenant != "parature":
            return subjects.add(tx, tenant, app.state.statements[tenant].subject_kinds[0].id)
        subject = subjects.add(tx, tenant, "customer")
        records.add(
            tx, subject, "user.contact.email", "ann@example.com", collection_point="contact_form"
        )
    return subject
