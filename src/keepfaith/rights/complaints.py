"""Complaints (ES-19, PA-05): a case with a clock, beside requests, that escalates itself.

A complaint comes from the privacy center, an email or staff. The statement's
``complaints`` section sets an acknowledgement deadline and a resolution deadline; the
case's ``due_at`` is always the next one. When it passes, the ``rights.complaints`` job
escalates the complaint to the declared independent body: an email through the outbox
(where the body has an address) with the summary the statement allows, a trail event,
and a message telling the person how to reach the body. Staff acknowledge, resolve with
an answer, or escalate by hand.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from keepfaith import jobs
from keepfaith.exceptions import InvalidSubmission, NotFound, Refused
from keepfaith.ledger import Transaction, statements, subjects
from keepfaith.ledger.cases import Case, Kind, State, cases, get, update
from keepfaith.ledger.cases import add as add_case
from keepfaith.ledger.crypto import tokens
from keepfaith.messaging import send_to_address
from keepfaith.messaging.addresses import checked
from keepfaith.rights import clock
from keepfaith.rights.cases import CHANNELS, mail_purpose, tell
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.statement.schema import Complaints, IndependentBody

ESCALATE = "rights.complaints"
WAITING = (State.OPEN.value, State.ACKNOWLEDGED.value)
"""The states of a complaint still on the company's clock."""
MAX_TEXT = 10_000


def open_complaint(
    tx: Transaction,
    settings: Settings,
    tenant: str,
    email: object,
    text: object,
    *,
    channel: str = "privacy_center",
    subject_id: int | None = None,
    language: object = None,
) -> Case:
    """Take a complaint; its clock starts now (``InvalidSubmission`` names a bad field).
    ``language`` is the one it came in (kept where the statement declares it): the
    person is told about it in that language."""
    statement = statements.get(tx, tenant)
    declared = _declared(statement)
    if channel not in CHANNELS:
        raise InvalidSubmission({"channel": f"must be one of {', '.join(CHANNELS)}"})
    address = checked(email, "email")
    words = _words(text, "text", MAX_TEXT)
    now = tx.now()
    acknowledge_by = _after(now, declared.acknowledge_days)
    resolve_by = _after(now, declared.resolve_days)
    digest = tokens.keyed_digest(settings.secret_key, "rights.identity", address.casefold())
    return add_case(
        tx,
        tenant=tenant,
        kind=Kind.COMPLAINT.value,
        state=State.OPEN.value,
        subject_id=subject_id,
        identity_kind="email",
        identity=address,
        identity_digest=digest,
        channel=channel,
        attempts_left=0,
        received_at=now,
        due_at=acknowledge_by or resolve_by,
        details={
            "text": words,
            "acknowledge_by": _iso(acknowledge_by),
            "resolve_by": _iso(resolve_by),
        },
        language=subjects.spoken(statement, language),
    )


def acknowledge(tx: Transaction, tenant: str, case_id: int) -> Case:
    """Staff acknowledge a complaint; the clock moves on to its resolution deadline."""
    case = _waiting(tx, tenant, case_id)
    if case.state == State.ACKNOWLEDGED:
        raise Refused(f"complaint {case.id} is acknowledged already")
    resolve_by = case.details.get("resolve_by")
    due = None if resolve_by is None else _parse(resolve_by)
    case = update(tx, case, "acknowledged", state=State.ACKNOWLEDGED.value, due_at=due)
    tell(tx, case, "complaint_received")
    return case


def resolve(tx: Transaction, tenant: str, case_id: int, answer: object) -> Case:
    """Staff resolve a complaint with the answer the person is told."""
    case = _waiting(tx, tenant, case_id)
    text = _words(answer, "answer", 5000)
    case = update(
        tx,
        case,
        "resolved",
        state=State.RESOLVED.value,
        answer={"resolved": text},
        due_at=None,
        closed_at=tx.now(),
    )
    tell(tx, case, "complaint_resolved", answer=text)
    return case


def escalate(tx: Transaction, tenant: str, case_id: int, why: str = "staff") -> Case:
    """Send a complaint on to the independent body: the body's email (where it has one)
    with the summary the statement allows, the trail, and the person told how to reach it."""
    case = _waiting(tx, tenant, case_id)
    statement = statements.get(tx, tenant)
    declared = _declared(statement)
    body = _body(declared)
    if body is None:
        raise Refused(f"{tenant} declares no independent body for complaints")
    if body.email:
        send_to_address(
            tx,
            tenant,
            body.email,
            mail_purpose(statement),
            "notice",
            context={"title": f"Complaint {case.id} escalated", "text": _summary(declared, case)},
        )
    case = update(
        tx,
        case,
        "escalated",
        {"why": why, "body": body.name, "emailed": bool(body.email)},
        state=State.ESCALATED.value,
        due_at=None,
        closed_at=tx.now(),
    )
    reach = ", ".join(x for x in (body.url, body.email) if x)
    tell(tx, case, "complaint_escalated", body=body.name, reach=reach)
    return case


def overdue(tx: Transaction, tenant: str) -> list[tuple[int, str]]:
    """The tenant's complaints past their deadline, by id with their state: one query
    over the due index."""
    rows = tx.connection.execute(
        sa.select(cases.c.id, cases.c.state)
        .where(
            cases.c.tenant == tenant,
            cases.c.state.in_(WAITING),
            cases.c.due_at <= tx.now(),
            cases.c.kind == Kind.COMPLAINT.value,
        )
        .order_by(cases.c.due_at, cases.c.id)
    ).all()
    return [(row.id, row.state) for row in rows]


def escalate_overdue(tx: Transaction, tenant: str) -> list[Case]:
    """Escalate every complaint of the tenant whose deadline has passed; the escalated."""
    why = {State.OPEN.value: "unacknowledged", State.ACKNOWLEDGED.value: "unresolved"}
    return [escalate(tx, tenant, case_id, why[state]) for case_id, state in overdue(tx, tenant)]


@jobs.task(ESCALATE, every=3600)
def escalation_job(context: jobs.Context) -> None:
    """Escalate overdue complaints of every tenant, every hour."""
    jobs.each_tenant(context, "complaints", escalate_overdue)


def how_to_reach(statement: Statement) -> IndependentBody | None:
    """The body the person may turn to (for the privacy center page)."""
    return _body(statement.complaints) if statement.complaints else None


# ------------------------------------------------------------------------------ helpers


def _declared(statement: Statement) -> Complaints:
    if statement.complaints is None:
        raise Refused(f"{statement.id} declares no complaints procedure")
    return statement.complaints


def _body(declared: Complaints) -> IndependentBody | None:
    return declared.independent_body or next(iter(declared.bodies), None)


def _waiting(tx: Transaction, tenant: str, case_id: int) -> Case:
    case = get(tx, tenant, case_id)
    if case.kind != Kind.COMPLAINT:
        raise NotFound(f"no complaint {case_id} in tenant {tenant!r}")
    if case.state.value not in WAITING:
        raise Refused(f"complaint {case.id} is {case.state.value} already")
    return case


def _summary(declared: Complaints, case: Case) -> str:
    lines = [
        f"Complaint {case.id}, received {case.received_at:%Y-%m-%d}.",
        f"Acknowledgement due: {case.details.get('acknowledge_by') or 'none promised'}.",
        f"Resolution due: {case.details.get('resolve_by') or 'none promised'}.",
    ]
    if declared.share_text_with_body:
        lines.append(f"The person wrote:\n{case.details.get('text', '')}")
    return "\n".join(lines)


def _words(value: object, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidSubmission({name: "say it in words"})
    if len(value) > limit or "\0" in value:
        raise InvalidSubmission({name: f"must be text of at most {limit} characters"})
    return value.strip()


def _after(now: dt.datetime, days: int | None) -> dt.datetime | None:
    return None if days is None else clock.add_days(now, days)


def _iso(when: dt.datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
