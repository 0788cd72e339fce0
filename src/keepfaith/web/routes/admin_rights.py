"""The admin queue of rights requests: list and filter by state, kind and clock; one
request with its clock and trail; approve, extend (with the reason told to the person)
and deny (with the reason). Pages for staff, and the same list as JSON."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keepfaith import rights
from keepfaith.ledger import Ledger
from keepfaith.ledger.staff import Principal, Role
from keepfaith.rights.queue import Entry, detail, queue
from keepfaith.statement import Statement
from keepfaith.web import deps, guard
from keepfaith.web.ids import IdPath

router = guard.router(tags=["rights admin"])

workers = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER, Role.SUPPORT_AGENT)
KINDS = [k.value for k in rights.Kind if k != rights.Kind.COMPLAINT]
STATES = [s.value for s in rights.State]
STANDINGS = ["overdue", "due_soon", "on_time", "no_deadline", "closed"]


def _json(entry: Entry) -> dict[str, Any]:
    case = entry.case
    return {
        "id": case.id,
        "kind": case.kind.value,
        "state": case.state.value,
        "standing": entry.standing,
        "channel": case.channel,
        "received_at": case.received_at.isoformat(),
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "extended_reason": case.extended_reason,
        "verified_by": case.verified_by,
        "answer": case.answer,
    }


def _filters(state: str | None, kind: str | None, standing: str | None) -> dict[str, Any]:
    return {
        "state": state if state in STATES else None,
        "kind": kind if kind in KINDS else None,
        "standing_is": standing if standing in STANDINGS else None,
    }


@router.get(
    "/admin/t/{tenant}/requests",
    response_class=HTMLResponse,
    dependencies=[Depends(workers)],
    summary="The queue of rights requests",
)
def requests_page(
    request: Request,
    state: str | None = None,
    kind: str | None = None,
    standing: str | None = None,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(workers),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    entries = queue(ledger, statement.id, **_filters(state, kind, standing))
    return deps.render(
        request,
        "rights/admin_queue.html",
        {
            "staff": staff,
            "tenant": statement.id,
            "entries": entries,
            "states": STATES,
            "kinds": KINDS,
            "standings": STANDINGS,
            "chosen": {"state": state, "kind": kind, "standing": standing},
        },
    )


@router.get(
    "/admin/api/t/{tenant}/requests",
    dependencies=[Depends(workers)],
    summary="The queue of rights requests as JSON",
)
def requests_json(
    state: str | None = None,
    kind: str | None = None,
    standing: str | None = None,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> list[dict[str, Any]]:
    return [_json(e) for e in queue(ledger, statement.id, **_filters(state, kind, standing))]


@router.get(
    "/admin/t/{tenant}/requests/{case_id}",
    response_class=HTMLResponse,
    dependencies=[Depends(workers)],
    summary="One request: its clock and trail",
)
def request_page(
    request: Request,
    case_id: IdPath,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(workers),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    entry, events = detail(ledger, statement.id, case_id)
    return deps.render(
        request,
        "rights/admin_case.html",
        {
            "staff": staff,
            "tenant": statement.id,
            "entry": entry,
            "events": events,
            "extension_days": statement.rights.extension_days,
        },
    )


@router.post(
    "/admin/t/{tenant}/requests/{case_id}/{action}",
    dependencies=[Depends(workers)],
    summary="Approve, extend (with a reason) or deny (with a reason) a request",
)
def act(
    case_id: IdPath,
    action: str,
    reason: str = Form(default="", max_length=2000),
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(workers),
    ledger: Ledger = Depends(deps.ledger),
) -> Response:
    with ledger.transaction(actor=f"staff:{staff.name}") as tx:
        if action == "approve":
            rights.approve(tx, statement.id, case_id)
        elif action == "extend":
            rights.extend(tx, statement.id, case_id, reason)
        elif action == "deny":
            rights.deny(tx, statement.id, case_id, reason)
        else:
            from keepfaith.exceptions import NotFound

            raise NotFound(f"no action {action!r}: approve, extend or deny")
    return RedirectResponse(f"/admin/t/{statement.id}/requests/{case_id}", status_code=303)
