"""Rights cases: a person's request (access, portability, know, correct, delete,
discontinue) or complaint, its verification, its clock and its trail.

A case is opened unverified; the code (or link) that verifies it is kept only as a keyed
digest, with the attempts left and its expiry. The identity the person gave (their email
address) is kept on the case, because the company's databases are searched by it; a
keyed digest of it finds the open case of the same person, so a second request is merged
rather than run twice. Every step is a trail event beside the audit entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from keepfaith.clock import utc
from keepfaith.exceptions import NotFound
from keepfaith.ledger.base import Id, Ident, Tenant, When, metadata
from keepfaith.ledger.transaction import Transaction


class Kind(StrEnum):
    """What the person asks for."""

    ACCESS = "access"
    """A copy of their data, readable."""
    PORTABILITY = "portability"
    """Their data, machine-readable."""
    KNOW = "know"
    """Only whether we hold data about them: yes or no (EZ-05)."""
    CORRECT = "correct"
    DELETE = "delete"
    DISCONTINUE = "discontinue"
    """Stop the service and have their data returned (PA-30): a copy, then erasure."""
    COMPLAINT = "complaint"
    """A complaint about how their data is handled (ES-19): ``keepfaith.rights.complaints``."""


class State(StrEnum):
    UNVERIFIED = "unverified"
    OPEN = "open"
    """Verified, waiting for its work or for staff."""
    DONE = "done"
    DENIED = "denied"
    EXPIRED = "expired"
    """Never verified in time: nothing ran."""
    ACKNOWLEDGED = "acknowledged"
    """A complaint staff acknowledged: its resolution clock runs."""
    RESOLVED = "resolved"
    """A complaint answered."""
    ESCALATED = "escalated"
    """A complaint sent on to the independent body."""


OPEN_STATES = (State.UNVERIFIED.value, State.OPEN.value)

cases = sa.Table(
    "rights_cases",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("subject_id", Id, nullable=True),
    sa.Column("identity_kind", Ident, nullable=False),
    sa.Column("identity", sa.Text, nullable=True),
    sa.Column("identity_digest", sa.String(64), nullable=False),
    sa.Column("channel", Ident, nullable=False),
    sa.Column("code_digest", sa.String(64), nullable=True),
    sa.Column("attempts_left", sa.Integer, nullable=False),
    sa.Column("verify_by", When, nullable=True),
    sa.Column("verified_at", When, nullable=True),
    sa.Column("verified_by", Ident, nullable=True),
    sa.Column("received_at", When, nullable=False),
    sa.Column("due_at", When, nullable=True),
    sa.Column("extended_reason", sa.Text, nullable=True),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("answer", sa.JSON, nullable=True),
    sa.Column("closed_at", When, nullable=True),
    sa.Column("language", sa.String(35), nullable=True),
    sa.Index("ix_rights_cases_person", "tenant", "identity_digest", "state"),
    sa.Index("ix_rights_cases_due", "tenant", "state", "due_at"),
)

events = sa.Table(
    "rights_case_events",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("case_id", Id, sa.ForeignKey("rights_cases.id"), nullable=False),
    sa.Column("at", When, nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("event", Ident, nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Index("ix_rights_case_events_case", "case_id", "id"),
)


@dataclass(frozen=True)
class Case:
    id: int
    tenant: str
    kind: Kind
    state: State
    subject_id: int | None
    identity_kind: str
    identity: str | None
    identity_digest: str
    channel: str
    code_digest: str | None
    attempts_left: int
    verify_by: dt.datetime | None
    verified_at: dt.datetime | None
    verified_by: str | None
    received_at: dt.datetime
    due_at: dt.datetime | None
    extended_reason: str | None
    details: dict[str, Any] = field(default_factory=dict)
    answer: dict[str, Any] | None = None
    closed_at: dt.datetime | None = None
    language: str | None = None
    """The statement's language the request came in (its page, the API, the mail):
    the person is told about it in that language."""

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    actor: str
    event: str
    details: dict[str, Any]


_TIMES = ("verify_by", "verified_at", "received_at", "due_at", "closed_at")


def _case(row: Any) -> Case:
    values = dict(row._mapping)
    for name in _TIMES:
        if values[name] is not None:
            values[name] = utc(values[name])
    values["kind"], values["state"] = Kind(values["kind"]), State(values["state"])
    return Case(**values)


def add(tx: Transaction, **values: Any) -> Case:
    """Insert a case (the caller checked every value) and its first trail event."""
    row = tx.connection.execute(cases.insert().values(**values).returning(*cases.c)).one()
    case = _case(row)
    note(tx, case, "received", kind=case.kind.value, channel=case.channel)
    return case


def get(tx: Transaction, tenant: str, case_id: int) -> Case:
    row = tx.connection.execute(
        sa.select(cases).where(cases.c.id == case_id, cases.c.tenant == tenant)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no rights request {case_id} in tenant {tenant!r}")
    return _case(row)


def update(
    tx: Transaction, case: Case, event: str, details: dict[str, Any] | None = None, **values: Any
) -> Case:
    """Change ``values`` of the case, with a trail event saying what happened."""
    if not values:
        note(tx, case, event, **(details or {}))
        return case
    row = tx.connection.execute(
        cases.update()
        .where(cases.c.id == case.id, cases.c.tenant == case.tenant)
        .values(**values)
        .returning(*cases.c)
    ).one()
    changed = _case(row)
    note(tx, changed, event, **(details or {}))
    return changed


def note(tx: Transaction, case: Case, event: str, **details: Any) -> None:
    """Add an event to the case's trail (and its audit entry); ``details`` name, never quote."""
    tx.connection.execute(
        events.insert().values(
            case_id=case.id, at=tx.now(), actor=tx.actor, event=event, details=details
        )
    )
    tx.audit(event, "rights_case", case.id, tenant=case.tenant, details=details)


def open_for(tx: Transaction, tenant: str, identity_digest: str, kind: Kind) -> Case | None:
    """The open case of the same person and kind, if any (to merge a duplicate into)."""
    row = tx.connection.execute(
        sa.select(cases)
        .where(
            cases.c.tenant == tenant,
            cases.c.identity_digest == identity_digest,
            cases.c.kind == kind.value,
            cases.c.state.in_(OPEN_STATES),
        )
        .order_by(cases.c.id)
        .limit(1)
    ).one_or_none()
    return None if row is None else _case(row)


def listing(
    tx: Transaction,
    tenant: str,
    *,
    state: str | None = None,
    kind: str | None = None,
    due_before: dt.datetime | None = None,
    limit: int = 200,
) -> list[Case]:
    """Cases of a tenant, soonest due first, filtered by state, kind and due time."""
    query = sa.select(cases).where(cases.c.tenant == tenant)
    if state is not None:
        query = query.where(cases.c.state == state)
    if kind is not None:
        query = query.where(cases.c.kind == kind)
    if due_before is not None:
        query = query.where(cases.c.due_at <= due_before)
    query = query.order_by(cases.c.due_at.is_(None), cases.c.due_at, cases.c.id).limit(limit)
    return [_case(row) for row in tx.connection.execute(query)]


def trail(tx: Transaction, case: Case) -> list[Event]:
    rows = tx.connection.execute(
        sa.select(events).where(events.c.case_id == case.id).order_by(events.c.id)
    )
    return [Event(utc(r.at), r.actor, r.event, dict(r.details)) for r in rows]


def of_person(
    tx: Transaction, tenant: str, subject_id: int, identity_digests: list[str], limit: int = 100
) -> list[Case]:
    """A person's cases, newest first: those tied to them and those made with an address
    whose keyed digest is theirs (a request made before they signed in)."""
    mine = cases.c.subject_id == subject_id
    if identity_digests:
        mine = sa.or_(mine, cases.c.identity_digest.in_(identity_digests))
    query = (
        sa.select(cases)
        .where(cases.c.tenant == tenant, mine)
        .order_by(cases.c.received_at.desc(), cases.c.id.desc())
        .limit(limit)
    )
    return [_case(row) for row in tx.connection.execute(query)]
