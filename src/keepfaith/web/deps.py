"""What route handlers share: the app's parts, the tenant, the caller, CSRF and pages.

Handlers declare what they need (``ledger: Ledger = Depends(ledger)``,
``staff: Principal = Depends(require_role(Role.OWNER))``) and get it from ``app.state``;
nothing here is global. Handlers and dependencies that touch the database are plain ``def``
functions, so FastAPI runs them in its thread pool. ``settings``, ``ledger`` and
``statements`` are plain functions too, callable directly with a request; ``engine``,
``tenant`` and ``templates`` are ``async``, so depending on them costs no thread hop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from keepfaith.engine import Engine
from keepfaith.exceptions import Forbidden, NotFound, NotSignedIn
from keepfaith.ledger import Ledger, staff
from keepfaith.ledger.crypto import tokens
from keepfaith.ledger.staff import Principal, Role
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.statement.translations import localised
from keepfaith.web import i18n
from keepfaith.web.guard import clean, guarded_by
from keepfaith.web.security import UNSAFE_METHODS

SESSION_COOKIE = "kf_session"
CSRF_COOKIE = "kf_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


# The app's parts. The dependencies are ``async`` only so that FastAPI calls them on the
# event loop: a plain ``def`` dependency costs a thread-pool hand-off per request. Code
# that is not a dependency reads them with the ``*_of`` functions.


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def ledger_of(request: Request) -> Ledger:
    return request.app.state.ledger  # type: ignore[no-any-return]


def statements_of(request: Request) -> Mapping[str, Statement]:
    """Every tenant's current statement, by tenant id."""
    return request.app.state.statements  # type: ignore[no-any-return]


def url_of(request: Request, name: str, **params: str) -> str:
    """``request.url_for(name, **params)``, with the route's path remembered per app.

    Starlette finds a name by trying every route in turn, which showed in the profile
    of the consent POST; the path for a name and its parameters never changes.
    """
    paths: dict[tuple[str, ...], Any] = request.app.state.paths
    key = (name, *(f"{k}={v}" for k, v in sorted(params.items())))
    path = paths.get(key)
    if path is None:
        path = paths[key] = request.app.url_path_for(name, **params)
    return str(path.make_absolute_url(base_url=request.base_url))


async def settings(request: Request) -> Settings:
    return settings_of(request)


async def ledger(request: Request) -> Ledger:
    return ledger_of(request)


async def engine(request: Request) -> Engine:
    """The decision engine, built over the ledger with every tenant's statement."""
    return request.app.state.engine  # type: ignore[no-any-return]


async def statements(request: Request) -> Mapping[str, Statement]:
    """Every tenant's current statement, by tenant id."""
    return statements_of(request)


async def tenant(tenant: str, request: Request) -> Statement:
    """The current statement of the tenant named in the URL (``/t/{tenant}/...``); 404 if none."""
    statement: Statement | None = request.app.state.statements.get(tenant)
    if statement is None:
        raise NotFound("no such tenant")
    return statement


# ---------------------------------------------------------------------------- callers


def sends_gpc(request: Request) -> bool:
    """Whether the request carries a Global Privacy Control signal (``Sec-GPC: 1``)."""
    return request.headers.get("sec-gpc", "").strip() == "1"


CALLER = "keepfaith.caller"
"""Where the request keeps who is calling once looked up (the guard looks first)."""


def caller(request: Request) -> Principal | None:
    """Who is calling: an API token (``Authorization: Bearer``), a staff session, or nobody."""
    if CALLER in request.scope:
        return request.scope[CALLER]  # type: ignore[no-any-return]
    request.scope[CALLER] = _look_up_caller(request)
    return request.scope[CALLER]  # type: ignore[no-any-return]


def _look_up_caller(request: Request) -> Principal | None:
    authorization = request.headers.get("authorization", "")
    token = request.cookies.get(SESSION_COOKIE)
    if authorization[:7].lower() != "bearer " and not token:
        return None
    with ledger_of(request).reading() as tx:  # one-statement look-ups
        if authorization[:7].lower() == "bearer ":
            sent = authorization[7:].strip()
            return staff.token_principal(tx, sent) if clean(sent) else None
        return staff.session_user(tx, token) if token and clean(token) else None


def require_role(*roles: Role, within_tenant: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting staff with one of ``roles`` (any role when none are given).

    Anonymous callers get ``NotSignedIn`` (401), callers with another role ``Forbidden``
    (403). An unsafe request signed in
    by session cookie must also carry the CSRF token (form field or ``X-CSRF-Token``
    header), so no page elsewhere can act with a staff member's cookie; API tokens need
    none, since browsers never send them on their own.

    A caller scoped to one tenant gets 403 where the URL names another tenant (PA-03),
    and on routes with no tenant in the URL that admit only some roles, unless the route
    says it keeps to the caller's tenant itself (``within_tenant``, as staff management
    does): by default such routes span the deployment. 403 rather than 404: tenant ids
    are public (``/`` lists them), so refusing plainly hides nothing.
    """
    allowed = frozenset(roles) or frozenset(Role)

    async def first(request: Request) -> None:
        await check(request, await run_in_threadpool(caller, request))

    @guarded_by(first)
    async def check(request: Request, principal: Principal | None = Depends(caller)) -> Principal:
        if principal is None:
            raise NotSignedIn("sign in first")
        if principal.role not in allowed:
            raise Forbidden("your role does not allow this")
        if principal.tenant is not None:
            tenant = request.path_params.get("tenant")
            if tenant is None and roles and not within_tenant:
                raise Forbidden("your account is for one tenant only")
            if tenant is not None and not principal.may_act_for(tenant):
                raise Forbidden("your account is not for this tenant")
        if principal.kind == "user" and request.method in UNSAFE_METHODS:
            await verify_csrf(request)
        return principal

    return check


# ---------------------------------------------------------------------------- CSRF


def _csrf_for(request: Request, nonce: str) -> str:
    # Bound to the staff session too: a nonce and token obtained elsewhere (say, from
    # the sign-in page, then planted as a cookie by a sibling subdomain) do not work
    # with a signed-in staff member's session.
    session = request.cookies.get(SESSION_COOKIE, "")
    return tokens.keyed_digest(settings_of(request).secret_key, "csrf", f"{nonce}:{session}")


def csrf_token(request: Request) -> str:
    """The CSRF token for this browser's forms, minting the cookie it is tied to if needed.

    The cookie holds a random nonce; the token is its keyed digest under the secret key,
    so a page on another site can neither read nor forge it. ``render`` sets a new cookie.
    """
    nonce = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_nonce", None)
    if not nonce:
        nonce = tokens.random_token()
        request.state.csrf_nonce = nonce
    return _csrf_for(request, nonce)


async def verify_csrf(request: Request) -> None:
    """Refuse (``Forbidden``) an unsafe request whose form field or header lacks the right
    CSRF token."""
    nonce = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not nonce or not sent or not tokens.matches(sent, _csrf_for(request, nonce)):
        raise Forbidden("the form has expired or came from another site: reload it")


# ---------------------------------------------------------------------------- pages


async def templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates  # type: ignore[no-any-return]


def page_language(request: Request, statement: Statement | None) -> str:
    """The language of the person's page (the switch, the cookie, the browser's best):
    the one their emails from this page are sent in too."""
    return i18n.choose(
        offer_for(request, statement),
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )


STAFF_PATHS = ("/admin", "/login")
"""Staff pages: in any language keepfaith has a catalogue for, whatever the tenant's."""


def offer_for(request: Request, statement: Statement | None) -> list[str]:
    """The languages a page comes in: a person's page in its tenant's, a staff page in
    every one keepfaith has a catalogue for."""
    if request.url.path.startswith(STAFF_PATHS):
        return i18n.offered_to_staff()
    return i18n.offered(statement)


def chosen_language(request: Request, statement: Statement) -> str | None:
    """The language of the person's page when they chose it (the switch, the cookie,
    their browser's ``Accept-Language``): the one to keep on them. ``None`` when the
    page fell back to English without being asked (junk, nothing sent)."""
    return i18n.chosen(
        i18n.offered(statement),
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )


def render(
    request: Request, name: str, context: Mapping[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page from ``web/templates`` with the caller and a CSRF token in its context."""
    token = csrf_token(request)
    statement = (context or {}).get("statement")
    offer = offer_for(request, statement if isinstance(statement, Statement) else None)
    language = page_language(request, statement if isinstance(statement, Statement) else None)
    reset = i18n.current.set(language)
    shown = dict(context or {})
    if isinstance(statement, Statement):  # the declaration's own text, in the page's language
        shown["statement"] = localised(statement, language)
    try:
        page: HTMLResponse = request.app.state.templates.TemplateResponse(
            request,
            name,
            {
                "csrf_token": token,
                "csrf_field": CSRF_FIELD,
                "language": language,
                "languages": [(tag, i18n.NAMES.get(tag, tag)) for tag in offer],
                **shown,
            },
            status_code=status_code,
        )
    finally:
        i18n.current.reset(reset)
    nonce = getattr(request.state, "csrf_nonce", None)
    if nonce:
        set_cookie(request, page, CSRF_COOKIE, nonce, max_age=None)
    in_language(request, page, offer, language)
    return page


def in_language(request: Request, page: Any, offer: list[str], language: str) -> None:
    """Say ``page``'s language (``Content-Language``) and keep the switch's choice in
    the ``kf_lang`` cookie."""
    asked = request.query_params.get("lang")
    if asked in offer and asked != request.cookies.get(i18n.COOKIE):
        set_cookie(request, page, i18n.COOKIE, asked, max_age=365 * 24 * 3600)
    page.headers["Content-Language"] = language
    page.headers["Vary"] = "Accept-Language, Cookie"


def set_cookie(
    request: Request, response: Any, name: str, value: str, *, max_age: int | None
) -> None:
    """Set one of keepfaith's cookies: HttpOnly, SameSite=Lax, Secure unless plain HTTP."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=settings_of(request).cookie_secure,
        httponly=True,
        samesite="lax",
    )
