"""The ASGI app: ``create_app(settings)`` builds keepfaith's web service for one deployment.

The app serves every tenant whose statement the settings list: the statement people read
(``/t/{tenant}/``, and ``/`` when there is one tenant), its archive of past versions,
collection points, the privacy center, the decision API for machines and the admin
console. Everything it holds lives on ``app.state``: the ``Settings``, the ``Ledger``,
the ``Engine`` and the loaded statements (``statements``, by tenant id).

``prepare(settings)`` migrates the ledger and publishes the statements; run it once before
serving (``keepfaith serve`` does), not once per worker.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from keepfaith import __version__
from keepfaith.exceptions import ConfigurationError
from keepfaith.ledger import Ledger
from keepfaith.ledger.statements import publish
from keepfaith.settings import Settings
from keepfaith.statement import Statement, load
from keepfaith.statement.load import declared_identity, read_text
from keepfaith.web import errors, i18n
from keepfaith.web.guard import STAFF_ONLY
from keepfaith.web.security import AccessLog, BodyLimit, RateLimit, SecurityHeaders

HERE = Path(__file__).parent

ROUTERS: list[str] = [
    "keepfaith.web.routes.statement",
    "keepfaith.web.routes.decisions",
    "keepfaith.web.routes.cookies",
    "keepfaith.web.routes.admin",
    "keepfaith.web.routes.collect",
    "keepfaith.web.routes.consent",
    "keepfaith.web.routes.privacy_center",
    "keepfaith.web.routes.logs",
    "keepfaith.web.routes.jobs",
    "keepfaith.web.routes.connectors",
    "keepfaith.web.routes.mail",
    "keepfaith.web.routes.changes",
    "keepfaith.web.routes.rights",
    "keepfaith.web.routes.admin_rights",
    "keepfaith.web.routes.complaints",
    "keepfaith.web.routes.sharing",
    "keepfaith.web.routes.console",
]
"""Modules whose ``router`` the app includes, in order. Add an area with one line."""


def load_statements(paths: Iterable[Path]) -> dict[str, Statement]:
    """Load each statement file, by tenant id; two files for one tenant are refused."""
    loaded: dict[str, Statement] = {}
    for path in paths:
        statement = load(path)
        if statement.id in loaded:
            raise ConfigurationError(f"two statements for tenant {statement.id!r}: {path}")
        loaded[statement.id] = statement
    return loaded


def prepare(
    settings: Settings, statements: Mapping[str, Statement] | None = None
) -> dict[str, Statement]:
    """Migrate the ledger and publish every statement the settings list (idempotent).

    Returns the loaded statements, by tenant, to hand on to ``create_app``.
    """
    loaded = dict(statements) if statements is not None else load_statements(settings.statements)
    with Ledger.from_settings(settings) as ledger:
        ledger.migrate()
        with ledger.transaction(actor="serve") as tx:
            for path in settings.statements:
                # Pair each file with its statement by tenant id, never by position.
                text = read_text(path)
                tenant, _ = declared_identity(text)
                if tenant not in loaded:
                    raise ConfigurationError(f"{path}: tenant {tenant!r} was not loaded")
                publish(tx, loaded[tenant], source_text=text)
    return loaded


def create_app(settings: Settings, statements: Mapping[str, Statement] | None = None) -> FastAPI:
    """keepfaith's web service for these settings (the ledger must already be prepared).

    ``statements`` are the settings' statement files already loaded, by tenant id (as
    ``prepare`` returns them); they are loaded from the files when not given.
    """
    from keepfaith.engine import Engine

    if len(settings.secret_key) < 16:
        raise ConfigurationError("secret_key must be set to a long random value to serve")
    statements = (
        dict(statements) if statements is not None else load_statements(settings.statements)
    )
    ledger = Ledger.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ledger.close()

    app = FastAPI(
        title="keepfaith",
        version=__version__,
        description="A privacy statement, rendered for people and enforced in code.",
        docs_url=None,  # the interactive docs load script from a CDN; the CSP forbids it
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.ledger = ledger
    app.state.statements = statements
    app.state.engine = Engine(ledger, list(statements.values()))
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    i18n.install(app.state.templates.env)
    app.state.pages = {}  # rendered statement pages, by (tenant, version)
    app.state.paths = {}  # route paths by name and parameters (deps.url_of)

    errors.install(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    for module in ROUTERS:
        app.include_router(importlib.import_module(module).router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # Last added runs first: log, then headers on everything, then size, then rate.
    app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute, exempt=_staff_only)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders, hsts=settings.behind_tls)
    if settings.access_log:
        app.add_middleware(AccessLog)
    return app


def _staff_only(path: str) -> bool:
    return STAFF_ONLY.match(path) is not None


INVALID_REQUEST_SCHEMA = {
    "title": "InvalidRequest",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "title": "Detail"},
        "errors": {
            "type": "object",
            "title": "Errors",
            "description": "The reason, by field.",
            "additionalProperties": {"type": "string"},
        },
    },
    "required": ["detail", "errors"],
}
"""What a refused request gets (422): field and reason, never the submitted value."""


PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "properties": {"detail": {"type": "string", "title": "Detail"}},
    "required": ["detail"],
}
"""What every other refusal gets (401, 403, 404, 409, 413): the reason in words."""


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's description, with the 422 body keepfaith really sends."""
    if app.openapi_schema is None:
        description = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = description.setdefault("components", {}).setdefault("schemas", {})
        schemas["HTTPValidationError"] = INVALID_REQUEST_SCHEMA
        schemas["Problem"] = PROBLEM_SCHEMA
        schemas.pop("ValidationError", None)
        app.openapi_schema = description
    return app.openapi_schema
