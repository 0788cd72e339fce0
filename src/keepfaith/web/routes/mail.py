"""Mail over HTTP: the one-click unsubscribe link every promotional message carries.

The link's signed token is the only credential (no login, no CSRF token: a mail client
posts ``List-Unsubscribe=One-Click`` to it on its own, RFC 8058). A ``GET`` only shows a
button, so a link scanner that fetches it changes nothing; a ``POST`` unsubscribes at
once and again changes nothing the second time. Each calls one function of
``keepfaith.messaging.unsubscribe``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from keepfaith.ledger import Ledger
from keepfaith.messaging import links, unsubscribe
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.web import deps

router = APIRouter(tags=["mail"])

UNSUBSCRIBE = "/t/{tenant}/unsubscribe/{token}"


def _purpose_name(statement: Statement, purpose: str) -> str:
    return next((p.name for p in statement.purposes if p.id == purpose), purpose)


@router.get(UNSUBSCRIBE, response_class=HTMLResponse, summary="The unsubscribe page")
async def unsubscribe_page(
    request: Request,
    token: str,
    statement: Statement = Depends(deps.tenant),
    settings: Settings = Depends(deps.settings),
) -> HTMLResponse:
    links.read_unsubscribe(settings.secret_key, token)  # a forged link gets 401 here
    context = {"statement": statement, "done": None, "action": request.url.path}
    return deps.render(request, "mail/unsubscribe.html", context)


@router.post(
    UNSUBSCRIBE,
    response_class=HTMLResponse,
    summary="Unsubscribe in one click (RFC 8058); idempotent",
)
def unsubscribe_now(
    request: Request,
    token: str,
    statement: Statement = Depends(deps.tenant),
    settings: Settings = Depends(deps.settings),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    links.read_unsubscribe(settings.secret_key, token)  # before any database work
    with ledger.transaction(actor="unsubscribe") as tx:
        done = unsubscribe.by_link(tx, settings.secret_key, statement.id, token)
    context = {
        "statement": statement,
        "done": done,
        "purpose_name": _purpose_name(statement, done.purpose),
        "action": request.url.path,
    }
    return deps.render(request, "mail/unsubscribe.html", context)
