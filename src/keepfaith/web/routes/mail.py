"""Mail over HTTP: the one-click unsubscribe link, and the admin pages for campaigns and
message templates.

The link's signed token is the only credential (no login, no CSRF token: a mail client
posts ``List-Unsubscribe=One-Click`` to it on its own, RFC 8058). A ``GET`` only shows a
button, so a link scanner that fetches it changes nothing; a ``POST`` unsubscribes at
once and again changes nothing the second time. Each calls one function of
``keepfaith.messaging.unsubscribe``.

Staff (owners and privacy officers may act; auditors may look) start, pause and resume
campaigns at ``/admin/t/{tenant}/mail``, and preview each template as a purpose's message
would read; the JSON twins live under ``/admin/api/t/{tenant}/``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keepfaith.exceptions import KeepfaithError, NotFound
from keepfaith.ledger import Ledger
from keepfaith.ledger import messages as outbox
from keepfaith.ledger.staff import Principal, Role
from keepfaith.messaging import campaigns, links, referrals, templates, unsubscribe
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.web import deps, guard
from keepfaith.web.errors import status_of
from keepfaith.web.ids import IdPath

router = guard.router(tags=["mail"])

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


REMOVAL = "/t/{tenant}/referrals/{token}"


@router.get(REMOVAL, response_class=HTMLResponse, summary="A referred friend's removal page")
async def removal_page(
    request: Request,
    token: str,
    statement: Statement = Depends(deps.tenant),
    settings: Settings = Depends(deps.settings),
) -> HTMLResponse:
    referrals.read_removal(settings, token)  # a forged link gets 401 here
    context = {"statement": statement, "done": None, "action": request.url.path}
    return deps.render(request, "mail/removal.html", context)


@router.post(REMOVAL, response_class=HTMLResponse, summary="Remove a referred friend (EZ-03)")
def remove_referral(
    request: Request,
    token: str,
    statement: Statement = Depends(deps.tenant),
    settings: Settings = Depends(deps.settings),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    referrals.read_removal(settings, token)  # before any database work
    with ledger.transaction(actor="referral removal") as tx:
        done = referrals.remove(tx, settings, statement.id, token)
    context = {"statement": statement, "done": done, "action": request.url.path}
    return deps.render(request, "mail/removal.html", context)


@router.post("/api/t/{tenant}/email-this-page/{point}", summary="Send a page to a friend (PA-10)")
def email_this_page(
    point: str,
    request: Request,
    friend_email: str = Form(max_length=320),
    your_name: str = Form(max_length=200),
    page_url: str = Form(max_length=2000),
    statement: Statement = Depends(deps.tenant),
    settings: Settings = Depends(deps.settings),
    ledger: Ledger = Depends(deps.ledger),
) -> dict[str, Any]:
    """Anyone may send a page of this site to one friend; nothing of either is kept."""
    sent = referrals.email_page(
        ledger,
        settings,
        statement.id,
        point,
        friend=friend_email,
        sender=your_name,
        page_url=page_url,
        language=deps.chosen_language(request, statement),
    )
    return {"status": sent.status, "clauses": list(sent.clauses)}


# ---------------------------------------------------------------------------- admin

senders = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER)
readers = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER, Role.AUDITOR)


def _mail_page(
    request: Request,
    statement: Statement,
    settings: Settings,
    ledger: Ledger,
    staff: Principal,
    error: KeepfaithError | None = None,
) -> HTMLResponse:
    with ledger.reading() as tx:
        found = outbox.campaigns_of(tx, statement.id)
    context = {
        "staff": staff,
        "statement": statement,
        "campaigns": [(c, campaigns.status_of(c)) for c in found],
        "purposes": [p for p in statement.purposes if p.marketing or p.service],
        "templates": templates.names(settings.mail_templates, statement.id),
        "error": str(error) if error else None,
    }
    status = status_of(error) if error else 200
    return deps.render(request, "mail/admin.html", context, status_code=status)


@router.get("/admin/t/{tenant}/mail", response_class=HTMLResponse, summary="Campaigns, templates")
def mail_admin(
    request: Request,
    staff: Principal = Depends(readers),
    statement: Statement = Depends(deps.tenant),
    settings: Settings = Depends(deps.settings),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    return _mail_page(request, statement, settings, ledger, staff)


@router.post("/admin/t/{tenant}/campaigns", summary="Start a campaign")
def start_campaign(
    request: Request,
    purpose: str = Form(max_length=64),
    template: str = Form(max_length=128),
    staff: Principal = Depends(senders),
    statement: Statement = Depends(deps.tenant),
    settings: Settings = Depends(deps.settings),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    try:
        with ledger.transaction(actor=staff.name) as tx:
            campaigns.start(
                tx,
                statement.id,
                purpose,
                template,
                batch_size=settings.campaign_batch,
                templates_folder=settings.mail_templates,
            )
    except KeepfaithError as error:
        return _mail_page(request, statement, settings, ledger, staff, error)
    return RedirectResponse(f"/admin/t/{statement.id}/mail", status_code=303)


@router.post("/admin/t/{tenant}/campaigns/{campaign}/{action}", summary="Pause or resume")
def change_campaign(
    action: str,
    campaign: IdPath,
    staff: Principal = Depends(senders),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    change = {"pause": campaigns.pause, "resume": campaigns.resume}.get(action)
    if change is None:
        raise NotFound("a campaign is paused or resumed")
    with ledger.transaction(actor=staff.name) as tx:
        change(tx, campaign, statement.id)
    return RedirectResponse(f"/admin/t/{statement.id}/mail", status_code=303)


@router.get("/admin/api/t/{tenant}/campaigns", summary="Campaigns and their progress, as JSON")
def campaigns_json(
    staff: Principal = Depends(readers),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> list[dict[str, Any]]:
    with ledger.reading() as tx:
        found = outbox.campaigns_of(tx, statement.id)
    return [{**c.to_dict(), "status": campaigns.status_of(c)} for c in found]


@router.get(
    "/admin/t/{tenant}/templates/{template}",
    response_class=HTMLResponse,
    summary="Preview a message template as a purpose's message",
)
def preview_template(
    request: Request,
    template: str,
    purpose: str,
    staff: Principal = Depends(readers),
    statement: Statement = Depends(deps.tenant),
    settings: Settings = Depends(deps.settings),
) -> HTMLResponse:
    declared = next((p for p in statement.purposes if p.id == purpose), None)
    if declared is None:
        raise NotFound(f"{statement.id} declares no purpose {purpose!r}")
    if template not in templates.names(settings.mail_templates, statement.id):
        raise NotFound(f"{statement.id} has no message template {template!r}")
    rendered = templates.preview(settings.mail_templates, statement, declared, template)
    context = {"staff": staff, "statement": statement, "purpose": declared, "name": template}
    return deps.render(request, "mail/preview.html", {**context, "rendered": rendered})
