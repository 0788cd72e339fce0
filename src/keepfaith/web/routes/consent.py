"""Consent over HTTP: a person's choices and receipts, and staff's receipt download.

The person is identified by the signed link a message carried (``Authorization: Bearer
<link token>``) or by the privacy center's session cookie; never by an email address in
the request. Each change is one call of ``keepfaith.collect.consent.change``; receipts
come from ``keepfaith.collect.receipts``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, Depends, Request
from fastapi.responses import JSONResponse

from keepfaith.collect import consent as choices
from keepfaith.collect.links import read_link_token, read_session_token
from keepfaith.collect.receipts import receipts
from keepfaith.exceptions import InvalidSubmission, InvalidToken, NotFound, NotSignedIn
from keepfaith.ledger import Ledger, Status, Subject, Transaction, consents, subjects
from keepfaith.ledger.staff import Principal, Role
from keepfaith.statement import Statement
from keepfaith.web import deps, guard
from keepfaith.web.guard import guarded_by
from keepfaith.web.ids import IdPath

router = guard.router(tags=["consent"])

PERSON_COOKIE = "kf_person_"
"""Prefix of the privacy center's session cookie; the tenant id completes its name."""

receipt_readers = deps.require_role(
    Role.OWNER, Role.PRIVACY_OFFICER, Role.SUPPORT_AGENT, Role.AUDITOR
)


def person_cookie(tenant: str) -> str:
    return PERSON_COOKIE + tenant


def _subject(ledger: Ledger, tenant: str, subject_id: str) -> Subject:
    with ledger.reading() as tx:
        return _live(tx, tenant, subject_id)


def _live(tx: Transaction, tenant: str, subject_id: str) -> Subject:
    """The person a valid token names, unless they were deleted since it was signed."""
    try:
        subject = subjects.get(tx, tenant, int(subject_id))
    except (ValueError, NotFound):
        raise InvalidToken("the link is not valid") from None
    if subject.status is Status.DELETED:
        raise InvalidToken("the link is not valid")
    return subject


PERSON = "keepfaith.person"
"""Where the request keeps the id of the person its credentials name, once read."""


async def _person_first(request: Request) -> None:
    """The person's credentials, checked before the tenant, the body or the database."""
    _person_id(request, request.path_params.get("tenant", ""))


def _person_id(request: Request, tenant: str) -> str:
    """The subject id the link token (``Authorization: Bearer``) or session cookie names."""
    if PERSON not in request.scope:
        secret = deps.settings_of(request).secret_key
        authorization = request.headers.get("authorization", "")
        cookie = request.cookies.get(person_cookie(tenant))
        if authorization[:7].lower() == "bearer ":
            subject_id = read_link_token(secret, tenant, authorization[7:].strip())
        elif cookie:
            subject_id = read_session_token(secret, tenant, cookie)
        else:
            raise NotSignedIn("open the link we sent you, or sign in")
        request.scope[PERSON] = subject_id
    return request.scope[PERSON]  # type: ignore[no-any-return]


@guarded_by(_person_first)
def person(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> Subject:
    """The person calling: a link token in ``Authorization: Bearer``, or the session cookie.

    Anyone else is ``NotSignedIn`` (401); a forged, altered or expired token too.
    """
    subject_id = _person_id(request, statement.id)
    return with_gpc(request, ledger, _subject(ledger, statement.id, subject_id))


def with_gpc(request: Request, ledger: Ledger, subject: Subject) -> Subject:
    """The person, with a Global Privacy Control signal the request carries recorded."""
    if deps.sends_gpc(request):
        return choices.honour_gpc(ledger, subject, via=request.url.path.rsplit("/", 1)[-1])
    return subject


@guarded_by(_person_first)
async def changing_person(request: Request, statement: Statement = Depends(deps.tenant)) -> str:
    """The id of the person, for a change: signed in by cookie, the request must carry
    the CSRF token too, so no other page can change their choices with the cookie the
    browser sends on its own. A link token in the header needs none: browsers never add
    it. The person is read in the change's own unit of work, not here."""
    subject_id = _person_id(request, statement.id)
    if request.headers.get("authorization", "")[:7].lower() != "bearer ":
        await deps.verify_csrf(request)
    return subject_id


def choices_json(ledger: Ledger, statement: Statement, subject: Subject) -> list[dict[str, Any]]:
    """Every choice the statement gives, with where it stands for the person."""
    return shown(choices.current(ledger, statement, subject))


def shown(states: list[choices.ChoiceState]) -> list[dict[str, Any]]:
    """Choices and where each stands, as the API answers them."""
    return [
        {
            "id": state.choice.id,
            "name": state.choice.name,
            "description": state.choice.description,
            "opt_in": state.choice.opt_in,
            "on": state.on,
            "state": state.state,
            "gpc": state.gpc,
            "changed_at": state.changed_at.isoformat() if state.changed_at else None,
        }
        for state in states
    ]


def policy_url(request: Request, statement: Statement) -> str:
    return deps.url_of(request, "current", tenant=statement.id)


@router.get("/api/t/{tenant}/consents", summary="The person's choices and where each stands")
def get_consents(
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    subject: Subject = Depends(person),
) -> dict[str, Any]:
    return {"subject": subject.id, "choices": choices_json(ledger, statement, subject)}


@router.post(
    "/api/t/{tenant}/consents",
    summary="Change the person's choices; each change is a consent event with a receipt",
    responses={422: {"description": 'Refused by choice: `{"errors": {choice: reason}}`'}},
)
def post_consents(
    request: Request,
    payload: dict[str, Any] = Body(
        examples=[{"choices": {"newsletter": True, "cookie:analytics": False}}]
    ),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    subject_id: str = Depends(changing_person),
) -> JSONResponse:
    """``{"choices": {choice id: true|false}}``; pressing save is the explicit action.

    The person is read, changed and answered in one unit of work (one transaction, the
    person read once). A request whose Global Privacy Control signal is new records the
    signal first, in a unit of its own, so that a refused change does not undo it.
    """
    wanted = payload.get("choices")
    if set(payload) != {"choices"} or not isinstance(wanted, dict):
        raise InvalidSubmission({"choices": 'send {"choices": {choice id: true or false}}'})
    if deps.sends_gpc(request):
        with_gpc(request, ledger, _subject(ledger, statement.id, subject_id))
    with ledger.transaction(actor="privacy-center") as tx:
        person = _live(tx, statement.id, subject_id)
        events = choices.change_in(tx, statement, person, wanted, evidence={"via": "consent_api"})
        states = choices.states(tx, statement, person)
    body = {
        "subject": person.id,
        "choices": shown(states),
        "receipts": receipts(statement, events, policy_url=policy_url(request, statement)),
    }
    return JSONResponse(body)


@router.get(
    "/api/t/{tenant}/consents/receipts",
    summary="The person's consent receipts (Kantara Consent Receipt v1.1)",
)
def person_receipts(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
    subject: Subject = Depends(person),
) -> JSONResponse:
    return _receipts_download(request, statement, ledger, subject)


@router.get(
    "/admin/api/t/{tenant}/subjects/{subject_id}/receipts",
    summary="A person's consent receipts, for staff (Kantara Consent Receipt v1.1)",
)
def staff_receipts(
    subject_id: IdPath,
    request: Request,
    staff: Principal = Depends(receipt_readers),
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> JSONResponse:
    with ledger.reading() as tx:
        subject = subjects.get(tx, statement.id, subject_id)
    return _receipts_download(request, statement, ledger, subject)


def _receipts_download(
    request: Request, statement: Statement, ledger: Ledger, subject: Subject
) -> JSONResponse:
    with ledger.reading() as tx:
        history = consents.history(tx, subject)
    found = receipts(statement, history, policy_url=policy_url(request, statement))
    filename = f"consent-receipts-{statement.id}-{subject.id}.json"
    return JSONResponse(
        found, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
