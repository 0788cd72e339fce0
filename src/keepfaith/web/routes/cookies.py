"""The cookie banner: its script, the endpoint that records a choice, and gpc.json.

A tenant's site embeds ``<script src="https://keepfaith.example/t/{tenant}/cookie-banner.js"
defer>``; the script loads its stylesheet from ``/t/{tenant}/cookie-banner.css``. It posts
the visitor's choice to ``/api/t/{tenant}/cookies/consent``, from the site's own origin, so
that endpoint answers CORS for the origin of the organisation's declared ``website`` (over
http or https) and for ``Settings.banner_origins``. The choice is recorded by
``keepfaith.collect.cookie_choice.record_cookie_choice``. The banner speaks the statement's
language the browser prefers (``Accept-Language``, or ``?lang=``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from keepfaith.collect.banner_text import choose_language
from keepfaith.collect.cookie_choice import record_cookie_choice
from keepfaith.collect.cookies import banner_asset, banner_script, still_valid_versions
from keepfaith.exceptions import KeepfaithError, NotFound
from keepfaith.ledger import Ledger
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.web import deps, guard
from keepfaith.web.errors import error_response, invalid_response

router = guard.router(tags=["cookies"])

SCRIPT_MAX_AGE = 300
"""Seconds a browser may use the banner script before revalidating it (by ETag), so a
changed cookie section reaches visitors within minutes."""


class CookieChoiceIn(BaseModel):
    """What the banner posts."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(max_length=64)
    """The cookie-section version the banner showed."""
    accepted: list[str] = Field(default_factory=list, max_length=16)
    """Optional cookie categories accepted (``analytics``, ``advertising``...)."""
    visitor: str | None = Field(default=None, max_length=200)
    """The identifier a previous choice returned, if any."""
    gpc: bool = False
    """``navigator.globalPrivacyControl`` as the browser reported it."""


@router.get(
    "/t/{tenant}/cookie-banner.js",
    response_class=Response,
    responses={200: {"content": {"text/javascript": {}}}},
    summary="The tenant's cookie banner script",
)
def cookie_banner(
    request: Request,
    lang: str | None = None,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    """The banner with this tenant's cookie declarations built in, in the statement's
    language the browser prefers; cached, revalidated by ETag."""
    language = choose_language(
        statement.languages, lang, request.headers.get("accept-language", "")
    )
    script = banner_script(
        statement,
        endpoint=deps.url_of(request, "record_cookie_consent", tenant=statement.id),
        policy_url=deps.url_of(request, "current", tenant=statement.id),
        style_url=deps.url_of(request, "cookie_banner_style", tenant=statement.id),
        language=language,
        still_valid=_still_valid(ledger, statement),
    )
    return _cached(request, script, "text/javascript; charset=utf-8")


@router.get(
    "/t/{tenant}/cookie-banner.css",
    name="cookie_banner_style",
    response_class=Response,
    responses={200: {"content": {"text/css": {}}}},
    summary="The cookie banner's stylesheet",
)
def cookie_banner_style(request: Request, statement: Statement = Depends(deps.tenant)) -> Response:
    """The banner's stylesheet; a host page themes it with CSS variables (``--kf-*``)."""
    return _cached(request, banner_asset("cookie-banner.css"), "text/css; charset=utf-8")


@router.get(
    "/t/{tenant}/cookie-banner/demo",
    response_class=HTMLResponse,
    summary="A demo host page embedding the banner (with Settings.banner_demo)",
)
def cookie_banner_demo(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    settings: Settings = Depends(deps.settings),
) -> HTMLResponse:
    """A pretend page of the tenant's site: the banner, a blocked tag per category that
    reports when it runs, and a link to change one's mind."""
    if not settings.banner_demo:
        raise NotFound("cookie banner demo", "off (Settings.banner_demo)")
    script = deps.url_of(request, "cookie_banner", tenant=statement.id)
    return deps.render(
        request,
        "collect/cookie-banner-demo.html",
        {
            "statement": statement,
            "script": script,
            "categories": sorted({c.category.value for c in statement.cookies}),
        },
    )


def _still_valid(ledger: Ledger, statement: Statement) -> list[str]:
    with ledger.reading() as tx:
        return still_valid_versions(tx, statement)


def _cached(request: Request, body: str, media_type: str) -> Response:
    """``body``, cacheable for ``SCRIPT_MAX_AGE`` and revalidated by its ETag."""
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:20] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={SCRIPT_MAX_AGE}",
        "Vary": "Accept-Language",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


class SiteRoute(guard.GuardedRoute):
    """A route the tenant's own site calls from the browser: every answer, the guard's
    and FastAPI's refusals included, carries the site's CORS headers, so the banner can
    read why a choice was refused."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response = await handle(request)
            except KeepfaithError as error:
                response = error_response(request, error)
            except RequestValidationError as error:
                response = invalid_response(request, error)
            statement = deps.statements_of(request).get(request.path_params.get("tenant", ""))
            if statement is not None:
                response.headers.update(_cors(request, statement, deps.settings_of(request)))
            return response

        return with_cors


def record_consent(
    choice: CookieChoiceIn,
    request: Request,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> Response:
    """Every purpose behind each optional category gets a consent event; ``Sec-GPC: 1``
    counts as Global Privacy Control. A bad identifier, category or version gets 422
    (with the site's CORS headers, as every answer of a ``SiteRoute``)."""
    recorded = record_cookie_choice(
        ledger,
        statement,
        accepted=choice.accepted,
        version=choice.version,
        visitor=choice.visitor,
        gpc=choice.gpc or request.headers.get("sec-gpc") == "1",
        secret_key=settings.secret_key,
        policy_url=deps.url_of(request, "current", tenant=statement.id),
    )
    body: dict[str, Any] = {
        "visitor": recorded.visitor,
        "receipt_id": recorded.receipt_id,
        "accepted": list(recorded.accepted),
        "refused": list(recorded.refused),
        "events": len(recorded.events),
        "receipt": recorded.receipt,
    }
    return JSONResponse(body)


router.add_api_route(
    "/api/t/{tenant}/cookies/consent",
    record_consent,
    methods=["POST"],
    name="record_cookie_consent",
    summary="Record a visitor's cookie choice and return its receipt",
    route_class_override=SiteRoute,
)


@router.options("/api/t/{tenant}/cookies/consent", include_in_schema=False)
def consent_preflight(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    settings: Settings = Depends(deps.settings),
) -> Response:
    """CORS preflight: the tenant's own site may post JSON here."""
    headers = _cors(request, statement, settings)
    if "Access-Control-Allow-Origin" in headers:
        headers["Access-Control-Allow-Methods"] = "POST"
        headers["Access-Control-Allow-Headers"] = "Content-Type"
        headers["Access-Control-Max-Age"] = "600"
    return Response(status_code=204, headers=headers)


@router.get("/.well-known/gpc.json", summary="Global Privacy Control support resource")
def gpc_support(request: Request) -> JSONResponse:
    """This server honours GPC (the GPC specification's support resource).

    ``lastUpdate`` is the newest effective date among the served statements, since each
    statement says how a GPC signal is treated.
    """
    dates = [s.effective.isoformat() for s in deps.statements_of(request).values()]
    return JSONResponse({"gpc": True, "lastUpdate": max(dates, default=None)})


def site_origins(statement: Statement, settings: Settings | None = None) -> set[str]:
    """Origins that may post choices: the organisation's declared website over http and
    https, and ``Settings.banner_origins``."""
    allowed = {o.rstrip("/") for o in settings.banner_origins} if settings else set()
    host = urlsplit(statement.organisation.website or "").netloc
    if host:
        allowed |= {f"https://{host}", f"http://{host}"}
    return allowed


def _cors(request: Request, statement: Statement, settings: Settings) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin and origin in site_origins(statement, settings):
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {"Vary": "Origin"}
