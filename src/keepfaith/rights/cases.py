"""Intake and verification of a person's rights requests, and staff's answers to them.

``open`` takes a request from the privacy center, the API, an email or staff. Unless
the person is signed in (their session verifies them) or staff vouch for them, a code
and a signed link go to the address given, through the outbox; nothing runs and nothing
is revealed until ``verify`` gets that code (a bounded number of tries, before its
expiry). The answer to ``open`` is the same whether or not the company holds anything
about the address. A second request of the same kind from the same person while the
first is open is merged into it, not run twice.

A case keeps the language it came in (its page, the API's, the mail's), and every
message about it (``tell``: the ``case_*`` templates) is written in it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from keepfaith import jobs
from keepfaith.exceptions import ExpiredToken, InvalidSubmission, Refused
from keepfaith.ledger import Transaction, statements, subjects
from keepfaith.ledger.cases import OPEN_STATES, Case, Kind, State, get, open_for, update
from keepfaith.ledger.cases import add as add_case
from keepfaith.ledger.crypto import tokens
from keepfaith.messaging import send_to_address
from keepfaith.messaging.addresses import checked
from keepfaith.rights import clock
from keepfaith.settings import Settings
from keepfaith.statement import Statement
from keepfaith.statement.schema import Handling, Right, RightKind, Verification

ATTEMPTS = 5
"""Wrong codes a case takes before it stops accepting any."""
VERIFY_HOURS = 24
"""How long a code and its link stay good."""
RUN = "rights.run"
"""The job that does a verified, approved case's work (``keepfaith.rights.work``)."""
CHANNELS = ("privacy_center", "api", "email", "staff")
RIGHT_OF = {
    Kind.ACCESS: RightKind.ACCESS,
    Kind.PORTABILITY: RightKind.PORTABILITY,
    Kind.KNOW: RightKind.CONFIRM,
    Kind.CORRECT: RightKind.CORRECT,
    Kind.DELETE: RightKind.DELETE,
    Kind.DISCONTINUE: RightKind.PORTABILITY,
}
"""The statement's right each kind of request exercises (discontinue: data returned)."""
MAIL_PURPOSES = ("respond_to_requests", "inform_on_request", "requests")


@dataclass(frozen=True)
class Opened:
    """What ``open`` did: the case, and whether it was merged into an earlier one. The
    code is returned only to tests and staff tools that deliver it themselves."""

    case: Case
    merged: bool
    code: str | None = None


def open(
    tx: Transaction,
    settings: Settings,
    tenant: str,
    kind: str,
    email: object,
    *,
    channel: str = "privacy_center",
    details: dict[str, Any] | None = None,
    subject_id: int | None = None,
    vouched_by_staff: bool = False,
    language: object = None,
) -> Opened:
    """Open (or merge) a request of ``kind`` by the person at ``email``.

    ``subject_id`` is the signed-in person (verified by their session); staff opening a
    request on a person's behalf vouch for them with ``vouched_by_staff``. Otherwise a
    code is sent to ``email``. ``language`` is the one the request came in (the page's,
    the API's, the mail's): kept on the case where the statement declares it (anything
    else is ignored), every message about the case is written in it. Bad input is
    ``InvalidSubmission`` naming the field.
    """
    statement = statements.get(tx, tenant)
    wanted = _kind(statement, kind)
    if channel not in CHANNELS:
        raise InvalidSubmission({"channel": f"must be one of {', '.join(CHANNELS)}"})
    address = checked(email, "email")
    extra = _details(wanted, details)
    digest = identity_digest(settings.secret_key, address)
    earlier = open_for(tx, tenant, digest, wanted)
    if earlier is not None:
        merged = update(tx, earlier, "merged", {"channel": channel})
        return Opened(merged, True)
    now = tx.now()
    verified_by = _vouched(statement, subject_id, vouched_by_staff)
    case = add_case(
        tx,
        tenant=tenant,
        kind=wanted.value,
        state=State.UNVERIFIED.value,
        subject_id=subject_id,
        identity_kind="email",
        identity=address,
        identity_digest=digest,
        channel=channel,
        attempts_left=ATTEMPTS,
        received_at=now,
        due_at=clock.due(statement, RIGHT_OF[wanted], now),
        details=extra,
        language=subjects.spoken(statement, language),
    )
    if verified_by is not None:
        return Opened(_verified(tx, statement, case, verified_by), False)
    code = f"{secrets.randbelow(10**6):06d}"
    case = update(
        tx,
        case,
        "verification_sent",
        code_digest=_code_digest(settings, case.id, code),
        verify_by=now + dt.timedelta(hours=VERIFY_HOURS),
    )
    link = f"{settings.public_url.rstrip('/')}/t/{tenant}/privacy-center/requests/verify?token=" + (
        tokens.dumps(settings.secret_key, "rights.verify", {"case": case.id, "code": code})
    )
    send_to_address(
        tx,
        tenant,
        address,
        mail_purpose(statement),
        "verification",
        context={"code": code, "link": link},
        language=case.language,
    )
    return Opened(case, False, code)


def identity_digest(secret_key: str, address: str) -> str:
    """The keyed digest a case knows its requester's address by (any case)."""
    return tokens.keyed_digest(secret_key, "rights.identity", address.casefold())


def verify(tx: Transaction, settings: Settings, tenant: str, case_id: int, code: object) -> Case:
    """Check the code the person entered; the case, verified or with one try fewer.

    A wrong code is recorded (the tries left go down) and the case comes back unverified;
    an expired code is ``ExpiredToken``; a case out of tries is ``Refused``.
    """
    case = get(tx, tenant, case_id)
    if case.verified:
        return case
    if case.state != State.UNVERIFIED:
        raise Refused(f"request {case.id} is {case.state.value}: it takes no code")
    if case.verify_by is not None and tx.now() > case.verify_by:
        update(tx, case, "verification_expired", state=State.EXPIRED.value, closed_at=tx.now())
        raise ExpiredToken("the code has expired: make the request again")
    if case.attempts_left <= 0:
        raise Refused("too many wrong codes: make the request again")
    given = code if isinstance(code, str) else ""
    given = "".join(given.split())[:32]
    if case.code_digest is None or not tokens.matches(
        _code_digest(settings, case.id, given), case.code_digest
    ):
        return update(tx, case, "verification_failed", attempts_left=case.attempts_left - 1)
    statement = statements.get(tx, tenant)
    return _verified(tx, statement, case, "email_code")


def verify_link(tx: Transaction, settings: Settings, tenant: str, token: object) -> Case:
    """Verify by the signed link of the message; ``InvalidToken`` if altered or forged."""
    if not isinstance(token, str) or len(token) > 1024:
        raise InvalidSubmission({"token": "is not a verification link"})
    value = tokens.loads(settings.secret_key, "rights.verify", token, max_age=VERIFY_HOURS * 3600)
    if not isinstance(value, dict) or not isinstance(value.get("case"), int):
        raise InvalidSubmission({"token": "is not a verification link"})
    return verify(tx, settings, tenant, value["case"], str(value.get("code", "")))


def approve(tx: Transaction, tenant: str, case_id: int) -> Case:
    """Staff approve a verified case: its work is queued."""
    case = _open_verified(tx, tenant, case_id)
    case = update(tx, case, "approved")
    jobs.defer(tx, RUN, tenant=tenant, case=case.id)
    return case


def extend(tx: Transaction, tenant: str, case_id: int, reason: object) -> Case:
    """Extend the deadline once by the statement's ``extension_days``, saying why; the
    person is told (through the outbox) with the reason and the new date."""
    case = get(tx, tenant, case_id)
    if case.state.value not in OPEN_STATES:
        raise Refused(f"request {case.id} is {case.state.value}: it has no deadline to extend")
    text = _reason(reason)
    statement = statements.get(tx, tenant)
    days = statement.rights.extension_days
    if days is None:
        raise Refused(f"{tenant} declares no extension (rights.extension_days)")
    if case.extended_reason is not None:
        raise Refused(f"request {case.id} was extended already")
    if case.due_at is None:
        raise Refused(f"request {case.id} has no deadline to extend")
    due_at = clock.add_days(case.due_at, days)
    case = update(
        tx,
        case,
        "extended",
        {"days": days, "reason": text},
        due_at=due_at,
        extended_reason=text,
    )
    tell(tx, case, "extended", reason=text, due=f"{due_at:%Y-%m-%d}")
    return case


def deny(tx: Transaction, tenant: str, case_id: int, reason: object) -> Case:
    """Staff deny a case with the reason the person is told."""
    case = get(tx, tenant, case_id)
    if case.state.value not in OPEN_STATES:
        raise Refused(f"request {case.id} is {case.state.value} already")
    text = _reason(reason)
    case = update(
        tx,
        case,
        "denied",
        {"reason": text},
        state=State.DENIED.value,
        answer={"denied": text},
        closed_at=tx.now(),
    )
    tell(tx, case, "denied", reason=text)
    return case


def finish(tx: Transaction, case: Case, answer: dict[str, Any]) -> Case:
    """Record the answer and close the case (the work job calls this, once)."""
    return update(
        tx,
        case,
        "answered",
        {"kind": case.kind.value},
        state=State.DONE.value,
        answer=answer,
        closed_at=tx.now(),
    )


def offered(statement: Statement) -> list[Kind]:
    """The kinds of request the statement offers."""
    found = []
    for kind in Kind:
        try:
            found.append(_kind(statement, kind.value))
        except InvalidSubmission:
            continue
    return found


# ------------------------------------------------------------------------------ helpers


def _kind(statement: Statement, kind: object) -> Kind:
    try:
        wanted = Kind(str(kind))
    except ValueError:
        names = ", ".join(k.value for k in RIGHT_OF)
        raise InvalidSubmission({"kind": f"must be one of {names}"}) from None
    if wanted not in RIGHT_OF:
        raise InvalidSubmission({"kind": "a complaint is made as a complaint, not a request"})
    declared = {r.kind for r in statement.rights.requests}
    needed = {RIGHT_OF[wanted]} | ({RightKind.DELETE} if wanted == Kind.DISCONTINUE else set())
    # Access covers "do you hold data about me" where no confirm right is listed apart.
    if wanted == Kind.KNOW and RightKind.ACCESS in declared:
        needed = {RightKind.ACCESS}
    if not needed <= declared:
        raise InvalidSubmission({"kind": f"{statement.id} does not offer {wanted.value}"})
    return wanted


def _details(kind: Kind, details: dict[str, Any] | None) -> dict[str, Any]:
    """A correction's changes (``{"changes": {category: new value}}``), checked."""
    if kind != Kind.CORRECT:
        return {}
    changes = (details or {}).get("changes")
    if not isinstance(changes, dict) or not changes:
        raise InvalidSubmission({"changes": "say which category to correct, and to what"})
    for key, value in changes.items():
        if not isinstance(key, str) or not 0 < len(key) <= 128:
            raise InvalidSubmission({"changes": "each key is a data category"})
        if not isinstance(value, str) or len(value) > 10_000 or "\0" in value:
            raise InvalidSubmission({f"changes.{key}": "must be text of at most 10000 characters"})
    return {"changes": dict(changes)}


def _vouched(statement: Statement, subject_id: int | None, staff: bool) -> str | None:
    methods = set(statement.rights.verification)
    if subject_id is not None and Verification.LOGIN in methods:
        return "session"
    if staff and Verification.STAFF in methods:
        return "staff"
    if staff:
        raise Refused(f"{statement.id} does not verify people by staff")
    return None


def _verified(tx: Transaction, statement: Statement, case: Case, by: str) -> Case:
    case = update(
        tx,
        case,
        "verified",
        {"by": by},
        state=State.OPEN.value,
        verified_at=tx.now(),
        verified_by=by,
        code_digest=None,
    )
    # Self-service rights, and the yes-or-no answer, run at once; the rest wait for staff.
    if _right(statement, case.kind).handling == Handling.SELF_SERVICE or case.kind == Kind.KNOW:
        jobs.defer(tx, RUN, tenant=case.tenant, case=case.id)
    return case


def _right(statement: Statement, kind: Kind) -> Right:
    """The statement's right a kind exercises (``know`` is ``access`` where no ``confirm``)."""
    declared = {r.kind: r for r in statement.rights.requests}
    right = declared.get(RIGHT_OF[kind])
    return right or declared[RightKind.ACCESS]


def _open_verified(tx: Transaction, tenant: str, case_id: int) -> Case:
    case = get(tx, tenant, case_id)
    if case.state != State.OPEN:
        raise Refused(f"request {case.id} is {case.state.value}: only a verified open one")
    return case


def _code_digest(settings: Settings, case_id: int, code: str) -> str:
    return tokens.keyed_digest(settings.secret_key, "rights.code", f"{case_id}:{code}")


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidSubmission({"reason": "say why, in words the person will read"})
    if len(reason) > 2000 or "\0" in reason:
        raise InvalidSubmission({"reason": "must be text of at most 2000 characters"})
    return reason.strip()


def mail_purpose(statement: Statement) -> str:
    declared = [p.id for p in statement.purposes]
    for name in MAIL_PURPOSES:
        if name in declared:
            return name
    for purpose in statement.purposes:
        if purpose.basis.value == "required" and not purpose.marketing:
            return purpose.id
    raise Refused(f"{statement.id} declares no purpose to answer requests by email")


def tell(tx: Transaction, case: Case, message: str, **values: Any) -> None:
    """Tell the person about their case (a request or a complaint) with the template
    ``case_<message>`` (``case_denied``) and ``values``, through the outbox, to the
    address they gave; nothing for a case made without one. It is written in the case's
    language, else the signed-in person's, else the tenant's first."""
    if case.identity is None:
        return
    statement = statements.get(tx, case.tenant)
    language = case.language
    if language is None and case.subject_id is not None:
        language = subjects.get(tx, case.tenant, case.subject_id).language
    send_to_address(
        tx,
        case.tenant,
        case.identity,
        mail_purpose(statement),
        f"case_{message}",
        context=values,
        language=language,
    )
