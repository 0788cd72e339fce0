"""The statement people read: the current version and the archive of past versions."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response

from keepfaith import translatable
from keepfaith.ledger import Ledger, statements
from keepfaith.statement import Statement
from keepfaith.statement.render import render_html
from keepfaith.statement.translations import language_of
from keepfaith.web import deps, guard, i18n
from keepfaith.web.security import csp_for

router = guard.router(tags=["statement"])


def statement_page(request: Request, statement: Statement) -> HTMLResponse:
    """The rendered statement in the page's language (its text from ``translations``),
    cached per version and language, with a CSP naming its inline style."""
    pages: dict[tuple[str, str, str], tuple[str, str]] = request.app.state.pages
    offer = i18n.offered(statement)
    language = deps.page_language(request, statement)
    key = (statement.id, statement.version, language)
    if key not in pages:
        html = render_html(
            statement,
            privacy_center_url=f"/t/{statement.id}/privacy-center",
            language=language,
            switch=[(tag, i18n.NAMES.get(tag, tag)) for tag in offer],
            catalogue=translatable.lookup,
        )
        pages[key] = (html, csp_for(html))
    html, csp = pages[key]
    page = HTMLResponse(html, headers={"Content-Security-Policy": csp})
    written = language_of(statement, language) or statement.languages[0]
    deps.in_language(request, page, offer, written)
    return page


@router.get("/", response_class=HTMLResponse, summary="The statement, or the list of tenants")
def home(request: Request) -> HTMLResponse:
    """With one tenant, its current statement; with several, a list of them."""
    statements = deps.statements_of(request)
    if len(statements) == 1:
        return statement_page(request, next(iter(statements.values())))
    return deps.render(request, "tenants.html", {"statements": list(statements.values())})


@router.get(
    "/t/{tenant}/",
    response_class=HTMLResponse,
    summary="A tenant's current statement",
)
def current(request: Request, statement: Statement = Depends(deps.tenant)) -> HTMLResponse:
    return statement_page(request, statement)


@router.get("/t/{tenant}/versions", response_class=HTMLResponse, summary="Every published version")
def versions(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    with ledger.reading() as tx:
        published = statements.versions(tx, statement.id)
    context = {"statement": statement, "versions": list(reversed(published))}
    return deps.render(request, "versions.html", context)


@router.get(
    "/t/{tenant}/versions/{version}",
    response_class=HTMLResponse,
    summary="One published version, as it was",
)
def past_version(
    version: str,
    request: Request,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    with ledger.reading() as tx:
        past = statements.get(tx, statement.id, version)
    return statement_page(request, past)


# ``curl -I`` and link checkers ask with HEAD; answer as for GET (uvicorn drops the body).
router.add_api_route("/", home, methods=["HEAD"], include_in_schema=False)
router.add_api_route("/t/{tenant}/", current, methods=["HEAD"], include_in_schema=False)


@router.get(
    "/t/{tenant}/theme.css",
    summary="The tenant's colours, as CSS variables over keepfaith's stylesheet",
    response_class=Response,
    responses={200: {"content": {"text/css": {}}}},
)
def theme(statement: Statement = Depends(deps.tenant)) -> Response:
    """The organisation's colour (``organisation.colour``) as ``--brand``; keepfaith's
    stylesheet derives the accent from it, lighter in dark mode. Empty without one."""
    colour = statement.organisation.colour
    text = f":root {{ --brand: {colour}; }}\n" if colour else ""
    return Response(text, media_type="text/css", headers={"Cache-Control": "public, max-age=300"})
