"""Complaints (ES-19, PA-05): the privacy center's form, the API for complaints that came
by email or through the company's app, and the staff queue (acknowledge, resolve with an
answer, escalate to the independent body)."""

from __future__ import annotations

from typing import Any

from fastapi import Body, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keepfaith.exceptions import InvalidSubmission, KeepfaithError, NotFound
from keepfaith.ledger import Ledger
from keepfaith.ledger.staff import Principal, Role
from keepfaith.rights import complaints
from keepfaith.rights.queue import Entry, detail, queue
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.translatable import N_
from keepfaith.web import deps, guard, i18n
from keepfaith.web.errors import status_of
from keepfaith.web.ids import IdPath

router = guard.router(tags=["complaints"])

workers = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER, Role.SUPPORT_AGENT)
ACTIONS = ("acknowledge", "resolve", "escalate")
KIND = "complaint"


def _json(entry: Entry) -> dict[str, Any]:
    case = entry.case
    return {
        "id": case.id,
        "state": case.state.value,
        "standing": entry.standing,
        "channel": case.channel,
        "received_at": case.received_at.isoformat(),
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "answer": case.answer,
    }


# ------------------------------------------------------------------ the person's form


def _form(request: Request, statement: Statement, **context: Any) -> HTMLResponse:
    refused = context.pop("refused", None)
    status_code, errors, message = 200, {}, context.pop("message", None)
    if isinstance(refused, KeepfaithError):
        status_code = status_of(refused)
        if isinstance(refused, InvalidSubmission):
            errors = refused.errors
        else:
            message = str(refused)
    page = deps.render(
        request,
        "complaints/form.html",
        {
            "statement": statement,
            "body": complaints.how_to_reach(statement),
            "errors": errors,
            "message": message,
            **context,
        },
        status_code=status_code,
    )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get(
    "/t/{tenant}/privacy-center/complaints",
    response_class=HTMLResponse,
    summary="The form to complain, and how to reach the independent body",
)
def complaint_form(request: Request, statement: Statement = Depends(deps.tenant)) -> Response:
    return _form(request, statement)


@router.post(
    "/t/{tenant}/privacy-center/complaints",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Make a complaint",
)
def make_complaint(
    request: Request,
    email: str = Form(max_length=320),
    text: str = Form(max_length=10_000),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> Response:
    try:
        with ledger.transaction(actor="web") as tx:
            complaints.open_complaint(
                tx,
                settings,
                statement.id,
                email,
                text,
                language=deps.page_language(request, statement),
            )
    except KeepfaithError as error:
        return _form(request, statement, refused=error)
    return _form(request, statement, done=True, message=N_("Thank you: we have your complaint."))


@router.post(
    "/api/t/{tenant}/complaints",
    status_code=201,
    dependencies=[Depends(workers)],
    summary="Take a complaint that came by email or through the company's app",
)
def open_complaint(
    request: Request,
    body: dict[str, Any] = Body(),
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(workers),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> dict[str, Any]:
    channel = body.get("channel", "api")
    if channel not in ("api", "email", "staff"):
        raise InvalidSubmission({"channel": "must be one of api, email, staff"})
    with ledger.transaction(actor=f"api:{staff.name}") as tx:
        case = complaints.open_complaint(
            tx,
            settings,
            statement.id,
            body.get("email"),
            body.get("text"),
            channel=channel,
            language=i18n.spoken(
                statement, body.get("language"), request.headers.get("accept-language")
            ),
        )
    return {"id": case.id, "state": case.state.value, "due_at": _iso(case.due_at)}


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


# ------------------------------------------------------------------ the staff queue


@router.get(
    "/admin/t/{tenant}/complaints",
    response_class=HTMLResponse,
    dependencies=[Depends(workers)],
    summary="The queue of complaints, soonest due first",
)
def complaints_page(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(workers),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    entries = queue(ledger, statement.id, kind=KIND)
    return deps.render(
        request,
        "complaints/admin_queue.html",
        {"staff": staff, "tenant": statement.id, "entries": entries},
    )


@router.get(
    "/admin/api/t/{tenant}/complaints",
    dependencies=[Depends(workers)],
    summary="The queue of complaints as JSON",
)
def complaints_json(
    statement: Statement = Depends(deps.tenant), ledger: Ledger = Depends(deps.ledger)
) -> list[dict[str, Any]]:
    return [_json(e) for e in queue(ledger, statement.id, kind=KIND)]


@router.get(
    "/admin/t/{tenant}/complaints/{case_id}",
    response_class=HTMLResponse,
    dependencies=[Depends(workers)],
    summary="One complaint: its clock, words and trail",
)
def complaint_page(
    request: Request,
    case_id: IdPath,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(workers),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    entry, events = detail(ledger, statement.id, case_id)
    if entry.case.kind.value != KIND:
        raise NotFound(f"no complaint {case_id} in tenant {statement.id!r}")
    return deps.render(
        request,
        "complaints/admin_case.html",
        {
            "staff": staff,
            "tenant": statement.id,
            "entry": entry,
            "events": events,
            "body": complaints.how_to_reach(statement),
        },
    )


@router.post(
    "/admin/t/{tenant}/complaints/{case_id}/{action}",
    dependencies=[Depends(workers)],
    summary="Acknowledge, resolve (with the answer) or escalate a complaint",
)
def act(
    case_id: IdPath,
    action: str,
    answer: str = Form(default="", max_length=5000),
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(workers),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    if action not in ACTIONS:
        raise NotFound(f"no action {action!r}: {', '.join(ACTIONS)}")
    with ledger.transaction(actor=f"staff:{staff.name}") as tx:
        if action == "acknowledge":
            complaints.acknowledge(tx, statement.id, case_id)
        elif action == "resolve":
            complaints.resolve(tx, statement.id, case_id, answer)
        else:
            complaints.escalate(tx, statement.id, case_id)
    return RedirectResponse(f"/admin/t/{statement.id}/complaints/{case_id}", status_code=303)
