"""Sharing for staff: the disclosure log (per person, per recipient), legal requests
recorded against the statement's bases, the records of processing (HTML and CSV) and one
person's whole story from the audit chain. For the person: their own disclosures."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from keepfaith import sharing
from keepfaith.engine import Engine
from keepfaith.exceptions import InvalidSubmission, KeepfaithError
from keepfaith.ledger import Disclosure, Ledger, Subject, subjects
from keepfaith.ledger.staff import Principal, Role
from keepfaith.statement import Statement
from keepfaith.web import deps, guard
from keepfaith.web.errors import status_of
from keepfaith.web.ids import IdField, IdPath, is_id
from keepfaith.web.routes.consent import person

router = guard.router(tags=["sharing"])
apps = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER, Role.SUPPORT_AGENT)

readers = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER, Role.AUDITOR)
officers = deps.require_role(Role.OWNER, Role.PRIVACY_OFFICER)


class DisclosureAsked(BaseModel):
    """Disclose this person's data to a declared recipient (and country), if allowed."""

    model_config = ConfigDict(extra="forbid")

    subject: IdField = Field(description="The ledger's id of the person.")
    recipient: str = Field(max_length=255, description="A recipient id the statement declares.")
    purpose: str = Field(max_length=64, description="The purpose it is disclosed for.")
    data: dict[str, str] = Field(
        min_length=1, max_length=200, description="Category key to the value to send."
    )
    country: str | None = Field(default=None, max_length=8, description="ISO country code.")
    reference: str | None = Field(default=None, max_length=255)


@router.post(
    "/api/t/{tenant}/disclosures",
    dependencies=[Depends(apps)],
    summary="Disclose to a recipient: decided, projected to its categories, logged",
)
def disclose(
    asked: DisclosureAsked,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(apps),
    ledger: Ledger = Depends(deps.ledger),
    engine: Engine = Depends(deps.engine),
) -> dict[str, Any]:
    """The answer names the deciding clauses and gives back only what may be sent
    (``payload``); a refusal is logged nowhere and sends nothing."""
    with ledger.transaction(actor=f"api:{staff.name}") as tx:
        subject = subjects.get(tx, statement.id, asked.subject)
        done = sharing.disclose(
            tx,
            engine,
            subject,
            asked.recipient,
            asked.purpose,
            asked.data,
            country=asked.country,
            reference=asked.reference,
        )
    return {
        "allowed": done.allowed,
        "reason": done.decision.reason,
        "clauses": list(done.decision.clauses),
        "disclosure": done.record.id if done.record else None,
        "payload": done.payload,
        "dropped": list(done.dropped),
    }


def _json(entry: Disclosure) -> dict[str, Any]:
    return {
        "id": entry.id,
        "subject": entry.subject_id,
        "recipient": entry.recipient,
        "categories": list(entry.categories),
        "dropped": list(entry.dropped or ()),
        "purpose": entry.purpose,
        "basis": entry.basis,
        "clauses": list(entry.clauses or ()),
        "statement_version": entry.statement_version,
        "country": entry.country,
        "mechanism": entry.mechanism,
        "reference": entry.reference,
        "legal_request": entry.legal_request_id,
        "at": entry.at.isoformat(),
    }


def _log(ledger: Ledger, tenant: str, subject: str, recipient: str) -> list[Disclosure]:
    if subject:
        if not is_id(subject):
            raise InvalidSubmission({"subject": "must be a subject id"})
        return sharing.of_person(ledger, tenant, int(subject))
    if recipient:
        if len(recipient) > 255:
            raise InvalidSubmission({"recipient": "must be at most 255 characters"})
        return sharing.of_recipient(ledger, tenant, recipient)
    found: list[Disclosure] = []
    for name in sharing.recipients(ledger, tenant):
        found += sharing.of_recipient(ledger, tenant, name)
    return sorted(found, key=lambda d: (d.at, d.id))


@router.get(
    "/admin/t/{tenant}/disclosures",
    response_class=HTMLResponse,
    dependencies=[Depends(readers)],
    summary="The disclosure log, for one person or one recipient",
)
def disclosures_page(
    request: Request,
    subject: str = "",
    recipient: str = "",
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(readers),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    return deps.render(
        request,
        "sharing/admin_log.html",
        {
            "staff": staff,
            "tenant": statement.id,
            "entries": _log(ledger, statement.id, subject, recipient),
            "recipients": sharing.recipients(ledger, statement.id),
            "chosen": {"subject": subject, "recipient": recipient},
        },
    )


@router.get(
    "/admin/api/t/{tenant}/disclosures",
    dependencies=[Depends(readers)],
    summary="The disclosure log as JSON (?subject= or ?recipient=)",
)
def disclosures_json(
    subject: str = "",
    recipient: str = "",
    statement: Statement = Depends(deps.tenant),
    ledger: Ledger = Depends(deps.ledger),
) -> list[dict[str, Any]]:
    return [_json(e) for e in _log(ledger, statement.id, subject, recipient)]


def _legal_page(
    request: Request,
    statement: Statement,
    staff: Principal,
    refused: KeepfaithError | None = None,
    message: str | None = None,
) -> HTMLResponse:
    errors: dict[str, str] = {}
    status_code = 200
    if refused is not None:
        status_code = status_of(refused)
        if isinstance(refused, InvalidSubmission):
            errors = refused.errors
        else:
            message = str(refused)
    return deps.render(
        request,
        "sharing/legal.html",
        {
            "staff": staff,
            "statement": statement,
            "tenant": statement.id,
            "kinds": sharing.KINDS,
            "errors": errors,
            "message": message,
        },
        status_code=status_code,
    )


@router.get(
    "/admin/t/{tenant}/legal-requests",
    response_class=HTMLResponse,
    dependencies=[Depends(officers)],
    summary="The form to record a legal request and its disclosure",
)
def legal_form(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(officers),
) -> HTMLResponse:
    return _legal_page(request, statement, staff)


@router.post(
    "/admin/t/{tenant}/legal-requests",
    response_class=HTMLResponse,
    dependencies=[Depends(officers)],
    summary="Record a legal request; disclose if the statement's bases allow it",
)
def legal_request(
    request: Request,
    requester: str = Form(default="", max_length=255),
    kind: str = Form(default="", max_length=64),
    basis: str = Form(default="", max_length=64),
    reference: str = Form(default="", max_length=255),
    subject: str = Form(default="", max_length=20),
    categories: str = Form(default="", max_length=4000),
    gag_days: str = Form(default="", max_length=8),
    country: str = Form(default="", max_length=8),
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(officers),
    ledger: Ledger = Depends(deps.ledger),
    engine: Engine = Depends(deps.engine),
) -> Response:
    try:
        if subject and not is_id(subject):
            raise InvalidSubmission({"subject": "must be a subject id"})
        with ledger.transaction(actor=f"staff:{staff.name}") as tx:
            answered = sharing.answer(
                tx,
                engine,
                statement.id,
                requester=requester,
                kind=kind,
                basis=basis,
                categories=[c.strip() for c in categories.split(",") if c.strip()],
                reference=reference or None,
                subject=_subject(ledger, statement.id, subject),
                gag_days=gag_days or None,
                country=country or None,
            )
    except KeepfaithError as error:
        return _legal_page(request, statement, staff, refused=error)
    where = f"?subject={answered.request.subject_id}" if answered.request.subject_id else ""
    return RedirectResponse(f"/admin/t/{statement.id}/disclosures{where}", status_code=303)


def _subject(ledger: Ledger, tenant: str, subject: str) -> Subject | None:
    if not subject:
        return None
    with ledger.reading(actor="staff") as tx:
        return subjects.get(tx, tenant, int(subject))


@router.get(
    "/admin/t/{tenant}/ropa",
    response_class=HTMLResponse,
    dependencies=[Depends(readers)],
    summary="The records of processing (GDPR Article 30)",
)
def ropa_page(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(readers),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    found = sharing.register(ledger, statement.id)
    return deps.render(
        request,
        "sharing/ropa.html",
        {"staff": staff, "tenant": statement.id, "register": found},
    )


@router.get(
    "/admin/t/{tenant}/ropa.csv",
    dependencies=[Depends(readers)],
    summary="The records of processing as CSV",
)
def ropa_csv(
    statement: Statement = Depends(deps.tenant), ledger: Ledger = Depends(deps.ledger)
) -> Response:
    text = sharing.csv_text(sharing.register(ledger, statement.id))
    disposition = f'attachment; filename="ropa-{statement.id}.csv"'
    return Response(text, media_type="text/csv", headers={"Content-Disposition": disposition})


@router.get(
    "/admin/t/{tenant}/subjects/{subject_id}/story",
    response_class=HTMLResponse,
    dependencies=[Depends(readers)],
    summary="One person's whole story from the audit chain, with the clause of each step",
)
def story_page(
    request: Request,
    subject_id: IdPath,
    statement: Statement = Depends(deps.tenant),
    staff: Principal = Depends(readers),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    steps = sharing.story(ledger, statement.id, subject_id)
    return deps.render(
        request,
        "sharing/story.html",
        {"staff": staff, "tenant": statement.id, "subject_id": subject_id, "steps": steps},
    )


@router.get(
    "/t/{tenant}/privacy-center/disclosures",
    response_class=HTMLResponse,
    summary="Your disclosures: who received your data, when and why",
)
def my_disclosures(
    request: Request,
    statement: Statement = Depends(deps.tenant),
    subject: Subject = Depends(person),
    ledger: Ledger = Depends(deps.ledger),
) -> HTMLResponse:
    entries = sharing.told_to_person(ledger, statement.id, subject.id)
    page = deps.render(
        request,
        "sharing/yours.html",
        {"statement": statement, "entries": entries, "names": _names(statement)},
    )
    page.headers["Cache-Control"] = "no-store"
    return page


def _names(statement: Statement) -> dict[str, str]:
    return {r.id: r.name for r in statement.recipients}
