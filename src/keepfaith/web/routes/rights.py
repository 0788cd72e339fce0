"""A person's rights requests: the HTTP API for the company's app, and the privacy
center's pages for the person (a form per kind, the code, the link, the download).

The answer to a request never says whether the company holds anything about the address
given: that is told, by email, only after the code or link came back.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from keepfaith import rights
from keepfaith.exceptions import InvalidSubmission, KeepfaithError
from keepfaith.ledger import Ledger
from keepfaith.ledger.staff import Principal, Role
from keepfaith.rights import work
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.translatable import N_
from keepfaith.web import deps, guard, i18n
from keepfaith.web.errors import status_of
from keepfaith.web.ids import IdPath

router = guard.router(tags=["rights"])

apps = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER, Role.SUPPORT_AGENT)


def _opened(opened: rights.Opened) -> dict[str, Any]:
    return {"id": opened.case.id, "state": opened.case.state.value, "merged": opened.merged}


@router.post(
    "/api/t/{tenant}/requests",
    status_code=202,
    dependencies=[Depends(apps)],
    summary="Open a rights request for a person (verified by a code sent to them)",
)
def open_request(
    request: Request,
    body: dict[str, Any] = Body(),
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(apps),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> dict[str, Any]:
    details = body.get("details")
    if details is not None and not isinstance(details, dict):
        raise InvalidSubmission({"details": "must be an object"})
    with ledger.transaction(actor=f"api:{staff.name}") as tx:
        opened = rights.open(
            tx,
            settings,
            statement.id,
            body.get("kind", ""),
            body.get("email"),
            channel="api",
            details=details,
            language=i18n.spoken(
                statement, body.get("language"), request.headers.get("accept-language")
            ),
        )
    return _opened(opened)


@router.post(
    "/api/t/{tenant}/requests/{case_id}/verify",
    dependencies=[Depends(apps)],
    summary="Check the code the person was sent",
)
def verify_request(
    case_id: IdPath,
    body: dict[str, Any] = Body(),
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(apps),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> dict[str, Any]:
    with ledger.transaction(actor=f"api:{staff.name}") as tx:
        case = rights.verify(tx, settings, statement.id, case_id, body.get("code"))
    return {"id": case.id, "verified": case.verified, "attempts_left": case.attempts_left}


# ------------------------------------------------------------------ privacy center


def _page(request: Request, statement: Statement, **context: Any) -> HTMLResponse:
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
        "rights/request.html",
        {
            "statement": statement,
            "kinds": [k.value for k in rights.cases.offered(statement)],
            "errors": errors,
            "message": message,
            **context,
        },
        status_code=status_code,
    )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get(
    "/t/{tenant}/privacy-center/requests",
    response_class=HTMLResponse,
    summary="The form to ask for a copy, a correction, a deletion...",
)
def request_form(request: Request, statement: Statement = Depends(deps.tenant)) -> Response:
    return _page(request, statement)


@router.post(
    "/t/{tenant}/privacy-center/requests",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Make a request",
)
def make_request(
    request: Request,
    kind: str = Form(max_length=32),
    email: str = Form(max_length=320),
    category: str = Form(default="", max_length=128),
    value: str = Form(default="", max_length=10_000),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> Response:
    details = {"changes": {category: value}} if kind == "correct" else None
    try:
        with ledger.transaction(actor="web") as tx:
            opened = rights.open(
                tx,
                settings,
                statement.id,
                kind,
                email,
                details=details,
                language=deps.page_language(request, statement),
            )
    except KeepfaithError as error:
        return _page(request, statement, refused=error)
    return _page(
        request,
        statement,
        case_id=opened.case.id,
        message=N_("If the address is yours, a code is on its way to it."),
    )


@router.post(
    "/t/{tenant}/privacy-center/requests/{case_id}/verify",
    response_class=HTMLResponse,
    dependencies=[Depends(deps.verify_csrf)],
    summary="Enter the code",
)
def enter_code(
    request: Request,
    case_id: IdPath,
    code: str = Form(max_length=32),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> Response:
    try:
        with ledger.transaction(actor="web") as tx:
            case = rights.verify(tx, settings, statement.id, case_id, code)
    except KeepfaithError as error:
        return _page(request, statement, refused=error)
    if not case.verified:
        return _page(
            request,
            statement,
            case_id=case.id,
            message=N_("That code is not right: %(left)s tries left."),
            message_values={"left": case.attempts_left},
        )
    return _page(
        request,
        statement,
        done=True,
        message=N_("Thank you: your request is verified. We will answer by email."),
    )


@router.get(
    "/t/{tenant}/privacy-center/requests/verify",
    response_class=HTMLResponse,
    summary="The link of the verification message",
)
def follow_link(
    request: Request,
    token: str = "",
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> Response:
    try:
        with ledger.transaction(actor="web") as tx:
            rights.verify_link(tx, settings, statement.id, token)
    except KeepfaithError as error:
        return _page(request, statement, refused=error)
    return _page(
        request,
        statement,
        done=True,
        message=N_("Thank you: your request is verified. We will answer by email."),
    )


@router.get(
    "/t/{tenant}/privacy-center/requests/download",
    summary="Download a copy (the signed, expiring link of the message)",
)
def download(
    token: str = "",
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    settings: Settings = Depends(deps.settings),
) -> Response:
    if not token or len(token) > 1024:
        raise InvalidSubmission({"token": "is not a download link"})
    copy = work.export_zip(ledger, settings, statement.id, token)
    return Response(
        copy,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{statement.id}-your-data.zip"',
            "Cache-Control": "no-store",
        },
    )
