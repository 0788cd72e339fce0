"""A person's own account in the privacy center: password sign-in and profile editing.

Where the statement verifies people by login (``rights.verification`` lists ``login``),
a person identified by a signed link may set a password, then sign in with their email
address and that password (DG-14). Whether they may then correct their own data is the
statement's choice: ``rights.requests`` with ``kind: correct, handling: self_service``
lets them edit their profile; ``handling: staff`` sends every change through a staff
member (ES-16), who corrects it here on the person's behalf, with an audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from keepfaith.collect import values
from keepfaith.collect.redact import redact
from keepfaith.exceptions import InvalidSubmission, NotSignedIn, Refused
from keepfaith.ledger import Ledger, Record, Status, Subject, Transaction, logins, records, subjects
from keepfaith.statement.schema import Handling, RightKind, Statement, Verification

EMAIL_CATEGORY = "user.contact.email"
CREDENTIALS_CATEGORY = "user.authorization"
"""Passwords and other credentials: never shown in a profile nor edited as a value."""
MIN_PASSWORD = 10
"""Shortest password a person may set."""


@dataclass(frozen=True)
class ProfileEntry:
    """One value the person can see in their profile, and whether they may edit it."""

    record_id: int
    category: str
    name: str
    """The category's name in the statement (``Email address``)."""
    value: str | None
    editable: bool
    """Whether a self-service edit may change it (else staff must, if the statement says)."""
    free_text: bool = False
    """A person's own words (a message): shown in a text area."""


def offers_login(statement: Statement) -> bool:
    """Whether the statement lets people verify themselves by signing in."""
    return Verification.LOGIN in statement.rights.verification


def correction_handling(statement: Statement) -> Handling | None:
    """How the statement handles corrections: self-service, staff, or not at all."""
    for right in statement.rights.requests:
        if right.kind is RightKind.CORRECT:
            return right.handling
    return None


def set_password(
    ledger: Ledger,
    statement: Statement,
    secret_key: str,
    subject: Subject,
    login: str,
    password: str,
) -> None:
    """Let ``subject`` sign in with ``login`` (one of their email addresses) and a password.

    Refused where the statement offers no login, for a login that is not the person's
    own email address on record, or a password shorter than ``MIN_PASSWORD``.
    """
    if not offers_login(statement):
        raise Refused(f"{statement.id} does not offer people a login")
    if len(password) < MIN_PASSWORD:
        raise InvalidSubmission({"password": f"must be at least {MIN_PASSWORD} characters"})
    with ledger.transaction(actor=f"subject:{subject.id}") as tx:
        held = records.of(tx, subject, [EMAIL_CATEGORY])
        if login.strip().lower() not in {(r.value or "").strip().lower() for r in held}:
            raise InvalidSubmission({"login": "must be an email address we hold for you"})
        store_login(tx, statement, secret_key, subject, login, password)


def store_login(
    tx: Transaction,
    statement: Statement,
    secret_key: str,
    subject: Subject,
    login: str,
    password: str,
) -> None:
    """Inside ``tx``: let ``subject`` sign in with ``login`` and ``password`` (hashed).

    Replaces the subject's previous login; refused if another person uses ``login``.
    """
    if not offers_login(statement):
        raise Refused(f"{statement.id} does not offer people a login")
    logins.set_password(tx, subject, secret_key, login, password)


def sign_in(
    ledger: Ledger, statement: Statement, secret_key: str, login: str, password: str
) -> Subject:
    """The person these credentials name; ``NotSignedIn`` with one message for every failure."""
    if not offers_login(statement):
        raise Refused(f"{statement.id} does not offer people a login")
    with ledger.reading() as tx:
        subject_id = logins.check(tx, statement.id, secret_key, login, password)
        subject = subjects.get(tx, statement.id, subject_id) if subject_id is not None else None
    if subject is None or subject.status is not Status.ACTIVE:
        raise NotSignedIn("wrong email address or password")
    return subject


# --------------------------------------------------------------------------- profile


def profile(ledger: Ledger, statement: Statement, subject: Subject) -> list[ProfileEntry]:
    """The person's records as they may see them, marked editable where self-service."""
    self_service = correction_handling(statement) is Handling.SELF_SERVICE
    names = {c.id: c.name for c in statement.categories}
    free_text = _free_text_categories(statement)
    with ledger.reading() as tx:
        held = records.of(tx, subject)
    return [
        ProfileEntry(
            r.id,
            r.category,
            names.get(r.category, r.category),
            r.value,
            self_service,
            r.category in free_text,
        )
        for r in held
        if not r.category.startswith(CREDENTIALS_CATEGORY)
    ]


def edit_profile(
    ledger: Ledger,
    statement: Statement,
    subject: Subject,
    changes: Mapping[int, str],
    *,
    at: dt.datetime | None = None,
) -> list[Record]:
    """The signed-in person corrects their own records (record id -> new value).

    Allowed only where the statement handles corrections as self-service (DG-14);
    elsewhere ``Refused`` says that a representative makes changes (ES-16).
    """
    if correction_handling(statement) is not Handling.SELF_SERVICE:
        raise Refused("corrections are made by our staff: ask us, and we will make them")
    return _correct(ledger, statement, subject, changes, f"subject:{subject.id}", "self_service")


def correct_by_staff(
    ledger: Ledger,
    statement: Statement,
    subject: Subject,
    changes: Mapping[int, str],
    *,
    actor: str,
) -> list[Record]:
    """A staff member corrects a person's records at their request (ES-16).

    ``actor`` names the staff member in the audit chain (``Principal.actor``); the
    correction and a ``correct_request`` entry naming the records land in the same
    transaction. Refused where the statement offers no correction at all.
    """
    if correction_handling(statement) is None:
        raise Refused(f"{statement.id} offers no correction of personal data")
    return _correct(ledger, statement, subject, changes, actor, "staff")


def _correct(
    ledger: Ledger,
    statement: Statement,
    subject: Subject,
    changes: Mapping[int, str],
    actor: str,
    handling: str,
) -> list[Record]:
    free_text = _free_text_categories(statement)
    with ledger.transaction(actor=actor) as tx:
        held = {
            r.id: r
            for r in records.of(tx, subject)
            if not r.category.startswith(CREDENTIALS_CATEGORY)  # passwords: set_password
        }
        errors = {str(rid): "is not one of your records" for rid in changes if rid not in held}
        errors |= {
            str(rid): "must not be empty"
            for rid, value in changes.items()
            if not str(value).strip()
        }
        for rid, value in changes.items():  # a correction is checked as a submission is
            if rid in held and str(rid) not in errors:
                kind = held[rid].category
                wrong = values.problem(kind, str(value).strip(), free_text=kind in free_text)
                if wrong is not None:
                    errors[str(rid)] = wrong
        if errors:
            raise InvalidSubmission(errors)
        corrected = []
        for rid, value in changes.items():
            record = held[rid]
            text = str(value).strip()
            if record.category in free_text:
                text, _ = redact(text)
            corrected.append(records.correct(tx, record, text))
        details = {
            "subject": subject.id,
            "records": sorted(changes),
            "categories": sorted({held[rid].category for rid in changes}),
            "handling": handling,
        }
        tx.audit("correct_request", "subject", subject.id, tenant=subject.tenant, details=details)
    return corrected


def _free_text_categories(statement: Statement) -> set[str]:
    return {
        field.category
        for point in statement.collection_points
        for field in point.fields
        if field.free_text
    }
