"""Legal requests (ES-04, ES-18, PA-24, EZ-19): a court order, a subpoena, an authority's
request, an abuse or harassment report, a dispute.

Staff record the request with its document reference and legal basis; the engine allows
only the bases the statement's ``legal_disclosures`` declare (and, where it promises a
document, only against one); the disclosure names the request. Where the statement
promises to tell the person, they are told through the outbox, once any gag period the
request imposes has ended (the ``sharing.legal_notices`` job).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from keepfaith import jobs
from keepfaith.engine import Decision, Engine
from keepfaith.engine.engine import TELL_PERSON
from keepfaith.exceptions import InvalidSubmission, NotAllowed
from keepfaith.ledger import Disclosure, Subject, Transaction, disclosures, statements, subjects
from keepfaith.ledger import legal_requests as rows
from keepfaith.ledger.legal_requests import LegalRequest
from keepfaith.messaging import outbox
from keepfaith.rights.cases import mail_purpose
from keepfaith.sharing.disclose import checked_country

KINDS = (
    "court_order",
    "subpoena",
    "warrant",
    "authority_request",
    "abuse_report",
    "harassment_report",
    "dispute",
    "other",
)
"""What kind of document or report a legal request is."""
MAX_GAG_DAYS = 3650
NOTICES = "sharing.legal_notices"


@dataclass(frozen=True)
class Answered:
    """A recorded legal request, the engine's decision and the disclosure it made."""

    request: LegalRequest
    decision: Decision
    disclosure: Disclosure


def answer(
    tx: Transaction,
    engine: Engine,
    tenant: str,
    *,
    requester: object,
    kind: object,
    basis: object,
    categories: Iterable[object],
    reference: object = None,
    subject: Subject | None = None,
    gag_days: object = None,
    country: object = None,
) -> Answered:
    """Record a legal request and the disclosure that answers it, if the engine allows.

    ``NotAllowed`` (with the clauses) for a basis the statement does not declare, or a
    missing document where one is required: then nothing is stored.
    """
    who = _text(requester, "requester")
    what = _choice(kind, KINDS, "kind")
    ref = None if reference in (None, "") else _text(reference, "reference")
    days = _gag(gag_days)
    where = checked_country(country)
    if subject is not None:
        subject = subjects.get(tx, tenant, subject.id)
    version = subject.statement_version if subject else statements.current_version(tx, tenant)
    wanted = _categories(engine, tenant, version, categories)
    decision = engine.may_disclose_legally(tenant, version, str(basis), reference=ref)
    if not decision.allowed:
        raise NotAllowed(decision.reason, decision.clauses)
    notify = TELL_PERSON in decision.obligations and subject is not None
    gag_until = tx.now() + dt.timedelta(days=days) if days else None
    request = rows.add(
        tx,
        tenant,
        subject.id if subject else None,
        who,
        what,
        str(basis),
        reference=ref,
        notify=notify,
        gag_until=gag_until,
    )
    record = disclosures.record(
        tx,
        tenant,
        subject,
        who,
        wanted,
        str(basis),
        country=where,
        reference=ref,
        clauses=decision.clauses,
        statement_version=version,
        legal_request_id=request.id,
    )
    return Answered(request, decision, record)


def send_notices(tx: Transaction, tenant: str) -> int:
    """Tell each person whose legal request's gag period is over (once); how many told."""
    told = 0
    for request in rows.due_notices(tx, tenant, tx.now()):
        assert request.subject_id is not None  # due_notices keeps only requests with one
        subject = subjects.get(tx, tenant, request.subject_id)
        statement = statements.get(tx, tenant, subject.statement_version)
        context = {
            "date": f"{request.received_at:%Y-%m-%d}",
            "requester": request.requester,
            "basis": request.basis,
            "reference": request.reference,
        }
        try:
            outbox.queue(tx, subject, mail_purpose(statement), "legal_notice", context=context)
            told += 1
        except NotAllowed:
            tx.audit("legal_notice_undeliverable", "legal_request", request.id, tenant=tenant)
        rows.mark_notified(tx, request)
    return told


@jobs.task(NOTICES, every=3600)
def notices_job(context: jobs.Context) -> None:
    """Send the notices of legal disclosures whose gag period ended, every hour."""
    jobs.each_tenant(context, "legal-notices", send_notices)


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidSubmission({name: "is required"})
    if len(value) > 255 or any(ord(c) < 32 or c == "\x7f" for c in value):
        raise InvalidSubmission({name: "must be one line of at most 255 characters"})
    return value.strip()


def _choice(value: object, choices: tuple[str, ...], name: str) -> str:
    if value not in choices:
        raise InvalidSubmission({name: f"must be one of {', '.join(choices)}"})
    return str(value)


def _gag(value: object) -> int:
    if value in (None, "", 0):
        return 0
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_GAG_DAYS:
        raise InvalidSubmission({"gag_days": f"must be a number of days up to {MAX_GAG_DAYS}"})
    return value


def _categories(engine: Engine, tenant: str, version: str, wanted: Iterable[object]) -> list[str]:
    """The categories asked for, each one the statement declares."""
    declared = engine.compiled(tenant, version).categories
    found = list(dict.fromkeys(wanted))
    if not found or not all(isinstance(c, str) and c in declared for c in found):
        raise InvalidSubmission({"categories": "name data categories the statement declares"})
    return [str(c) for c in found]
