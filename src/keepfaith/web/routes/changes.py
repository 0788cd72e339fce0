"""Changes, as people and staff meet them: answer a notice, see what changed, publish.

- ``/t/{tenant}/changes/{token}``: the page a notice's link opens (the signed token is
  the credential): what changes, and accept / refuse / close the account (POST).
- ``/t/{tenant}/privacy-center/changes``: the same for a signed-in person, with every
  change since the version they accepted.
- ``/t/{tenant}/transfer/{token}``: a business transfer notice's deactivation (PA-22).
- ``/admin/t/{tenant}/publish``: staff paste a new version, see the diff classified
  material or not with its clauses, then publish; who published is recorded.
"""

from __future__ import annotations

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse

from keepfaith.changes import answers, publish, transfer
from keepfaith.exceptions import Refused
from keepfaith.ledger import Ledger, Subject
from keepfaith.ledger.staff import Principal, Role
from keepfaith.settings import Settings
from keepfaith.statement import Statement, loads
from keepfaith.web import deps, guard
from keepfaith.web.routes.consent import person

router = guard.router(tags=["changes"])
publishers = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER)
ANSWERS = ("accepted", "refused", "closed")


def _page(request: Request, statement: Statement, **context: object) -> HTMLResponse:
    page = deps.render(request, "changes/answer.html", {"statement": statement, **context})
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get(
    "/t/{tenant}/changes/{token}",
    response_class=HTMLResponse,
    summary="A notice's link: what changes, and the person's choice",
)
def notice_page(
    token: str,
    request: Request,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> HTMLResponse:
    change_id = answers.read_token(settings.secret_key, token)
    with ledger.reading() as tx:
        change = answers.pending.get(tx, change_id, statement.id)
        shown = answers.changes_since(tx, statement.id, change.from_version)
    wanted = request.query_params.get("answer")
    return _page(
        request,
        statement,
        change=change,
        changes=shown,
        action=f"/t/{statement.id}/changes/{token}",
        wanted=wanted if wanted in ANSWERS else None,
    )


@router.post(
    "/t/{tenant}/changes/{token}",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Accept, refuse, or close the account, from a notice's link",
)
def notice_answer(
    token: str,
    request: Request,
    answer: str = Form(..., max_length=16),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> HTMLResponse:
    with ledger.transaction(actor="person") as tx:
        done = answers.answer_by_link(tx, settings.secret_key, statement.id, token, answer)
    return _page(request, statement, change=done, changes=[], action=None, wanted=None)


@router.get(
    "/t/{tenant}/privacy-center/changes",
    response_class=HTMLResponse,
    summary="The changes since the version the person accepted",
)
def person_changes(
    request: Request,
    subject: Subject = Depends(person),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    with ledger.reading() as tx:
        change = answers.open_change(tx, statement.id, subject.id)
        shown = answers.changes_since(tx, statement.id, subject.statement_version)
    return _page(
        request,
        statement,
        change=change,
        changes=shown,
        accepted=subject.statement_version,
        action=f"/t/{statement.id}/privacy-center/changes" if change else None,
        wanted=None,
    )


@router.post(
    "/t/{tenant}/privacy-center/changes",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Answer the pending change from the privacy center",
)
def person_answer(
    request: Request,
    answer: str = Form(..., max_length=16),
    subject: Subject = Depends(person),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    with ledger.transaction(actor="person") as tx:
        change = answers.open_change(tx, statement.id, subject.id)
        if change is None:
            raise answers.Refused("there is no change waiting for your answer")
        done = answers.answer(tx, statement.id, change.id, answer)
    return _page(request, statement, change=done, changes=[], action=None, wanted=None)


@router.get(
    "/t/{tenant}/transfer/{token}",
    response_class=HTMLResponse,
    summary="A business transfer notice's link: deactivate before the date",
)
def transfer_page(
    token: str,
    request: Request,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> HTMLResponse:
    transfer_id = transfer.read_token(settings.secret_key, token)[0]
    with ledger.reading() as tx:
        done = transfer.pending.transfer(tx, transfer_id, statement.id)
    context = {"statement": statement, "transfer": done, "action": request.url.path}
    return deps.render(request, "changes/transfer.html", context)


@router.post(
    "/t/{tenant}/transfer/{token}",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Deactivate the account before a business transfer",
)
def transfer_deactivate(
    token: str,
    request: Request,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> HTMLResponse:
    with ledger.transaction(actor="person") as tx:
        transfer.deactivate(tx, settings.secret_key, statement.id, token)
    context = {"statement": statement, "transfer": None, "action": None, "done": True}
    return deps.render(request, "changes/transfer.html", context)


@router.get(
    "/admin/t/{tenant}/publish",
    response_class=HTMLResponse,
    summary="Publish a new version: paste it, see the diff first",
)
def publish_form(
    request: Request,
    staff: Principal = Depends(publishers),
    statement: Statement = Depends(deps.tenant),
) -> HTMLResponse:
    context = {"staff": staff, "statement": statement, "shown": None, "text": ""}
    return deps.render(request, "changes/publish.html", context)


@router.post(
    "/admin/t/{tenant}/publish",
    response_class=HTMLResponse,
    summary="Show the diff of a new version (preview), or publish it (confirm)",
)
def publish_version(
    request: Request,
    text: str = Form(..., max_length=2_000_000),
    confirm: str = Form("", max_length=8),
    staff: Principal = Depends(publishers),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    new = loads(text.replace("\r\n", "\n"), source="<published text>")
    if new.id != statement.id:
        raise Refused(f"the text is a statement of {new.id!r}, not of {statement.id!r}")
    context: dict[str, object] = {"staff": staff, "statement": statement, "text": text}
    if confirm != "yes":
        with ledger.reading() as tx:
            context["shown"] = publish.preview(tx, new)
        return deps.render(request, "changes/publish.html", context)
    with ledger.transaction(actor=staff.name) as tx:
        context["published"] = publish.publish(tx, new, text.replace("\r\n", "\n"))
    request.app.state.statements[new.id] = new  # the version in force from now on
    context["shown"] = None
    return deps.render(request, "changes/publish.html", context)
