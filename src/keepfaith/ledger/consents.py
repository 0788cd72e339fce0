"""Consent: the append-only history of each person's choices, and where each stands.

Every event is kept (``consent_events``); ``consent_state`` keeps the latest *counting*
event per subject and choice, so the engine and audiences read one row per choice. A
choice is a purpose id, or ``recipient:<id>`` for sharing with a recipient. A ``default``
method, or evidence ``{"pre_ticked": True}``, is recorded but is neither consent nor
objection (EZ-14), and a notice (``notified``) is not consent either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from keepfaith.clock import utc
from keepfaith.exceptions import Refused
from keepfaith.ledger import allowances, audit, statements, subjects
from keepfaith.ledger.base import Id, Tenant, When, metadata
from keepfaith.ledger.rows import (
    ConsentEvent,
    ConsentKind,
    ConsentMethod,
    ConsentState,
    Subject,
    counts,
    from_row,
    recipient_choice,
)
from keepfaith.ledger.transaction import Transaction
from keepfaith.ledger.upsert import upsert

consent_events = sa.Table(
    "consent_events",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), nullable=False),
    sa.Column("choice", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("counts", sa.Boolean, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("statement_version", sa.String(64), nullable=False),
    sa.Column("at", When, nullable=False),
    sa.Index("ix_consent_events_subject", "subject_id", "choice", "at"),
    sa.Index("ix_consent_events_tenant", "tenant", "id"),
)

consent_state = sa.Table(
    "consent_state",
    metadata,
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), primary_key=True),
    sa.Column("choice", sa.String(80), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("at", When, nullable=False),
    sa.Index("ix_consent_state_choice", "choice", "state", "subject_id"),
)


_INSERT = consent_events.insert().returning(*consent_events.c)
"""Built once, values as parameters: the hot path of every consent change."""


def record(
    tx: Transaction,
    subject: Subject,
    purpose: str | None = None,
    *,
    recipient: str | None = None,
    kind: ConsentKind | str = ConsentKind.GIVEN,
    method: ConsentMethod | str = ConsentMethod.EXPLICIT,
    evidence: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> ConsentEvent:
    """Append a consent event for a purpose or for sharing with a recipient.

    ``kind`` is given, withdrawn, reaffirmed or notified; ``method`` how it was
    expressed. The event is decided under the subject's statement version, which must
    declare the purpose or recipient.
    """
    if (purpose is None) == (recipient is None):
        raise Refused("a consent event is for one purpose or one recipient")
    subject = subjects.get(tx, subject.tenant, subject.id)
    statement = statements.get(tx, subject.tenant, subject.statement_version)
    if purpose is not None and purpose not in {p.id for p in statement.purposes}:
        raise Refused(f"purpose {purpose!r} is not declared by {subject.tenant}")
    if recipient is not None and recipient not in {r.id for r in statement.recipients}:
        raise Refused(f"recipient {recipient!r} is not declared by {subject.tenant}")
    choice = purpose if purpose is not None else recipient_choice(str(recipient))
    kind, method, evidence = ConsentKind(kind), ConsentMethod(method), dict(evidence or {})
    counted = counts(method, evidence) and kind is not ConsentKind.NOTIFIED
    row = tx.connection.execute(
        _INSERT,
        {
            "tenant": subject.tenant,
            "subject_id": subject.id,
            "choice": choice,
            "kind": kind.value,
            "method": method.value,
            "counts": counted,
            "evidence": evidence,
            "statement_version": subject.statement_version,
            "at": utc(at) if at is not None else tx.now(),
        },
    ).one()
    event = from_row(ConsentEvent, row)
    if counted:
        state = ConsentState.WITHDRAWN if kind is ConsentKind.WITHDRAWN else ConsentState.GIVEN
        upsert(
            tx.connection,
            consent_state,
            {"subject_id": subject.id, "choice": choice, "state": state.value, "at": event.at},
            ["subject_id", "choice"],
            only_if_newer="at",
        )
    tx.audit(
        kind.value,
        "consent",
        event.id,
        tenant=subject.tenant,
        details={
            "subject": subject.id,
            "choice": choice,
            "method": method.value,
            "counts": counted,
            "at": audit.timestamp(utc(event.at)),  # so verify can rebuild consent_state
        },
    )
    allowances.touch(tx, subject.id)
    return event


_HISTORY = (
    sa.select(consent_events)
    .where(
        consent_events.c.subject_id == sa.bindparam("subject_id"),
        consent_events.c.tenant == sa.bindparam("tenant"),
    )
    .order_by(consent_events.c.at, consent_events.c.id)
)
"""Built once: every consent change reads the history for its answer."""


_LATEST = sa.select(consent_state.c.choice, consent_state.c.state, consent_state.c.at).where(
    consent_state.c.subject_id == sa.bindparam("subject_id")
)
"""Built once: every consent change answers with where each choice now stands."""


def latest(tx: Transaction, subject: Subject) -> dict[str, tuple[ConsentState, dt.datetime]]:
    """Where each of the subject's choices stands, and since when: the latest counting
    event per choice (one row per choice, not the whole history)."""
    rows = tx.connection.execute(_LATEST, {"subject_id": subject.id})
    return {row.choice: (ConsentState(row.state), utc(row.at)) for row in rows}


def history(tx: Transaction, subject: Subject, choice: str | None = None) -> list[ConsentEvent]:
    """The subject's consent events, oldest first (all choices, or one)."""
    query = _HISTORY if choice is None else _HISTORY.where(consent_events.c.choice == choice)
    rows = tx.connection.execute(query, {"subject_id": subject.id, "tenant": subject.tenant})
    return [from_row(ConsentEvent, row) for row in rows]


def log(
    tx: Transaction,
    tenant: str,
    *,
    choice: str | None = None,
    kind: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before_id: int | None = None,
    limit: int = 200,
) -> list[ConsentEvent]:
    """The tenant's consent events, newest first, filtered; ``before_id`` pages on."""
    query = sa.select(consent_events).where(consent_events.c.tenant == tenant)
    if choice:
        query = query.where(consent_events.c.choice == choice)
    if kind:
        query = query.where(consent_events.c.kind == kind)
    if since is not None:
        query = query.where(consent_events.c.at >= utc(since))
    if until is not None:
        query = query.where(consent_events.c.at < utc(until))
    if before_id is not None:
        query = query.where(consent_events.c.id < before_id)
    query = query.order_by(consent_events.c.id.desc()).limit(limit)
    return [from_row(ConsentEvent, row) for row in tx.connection.execute(query)]


def monthly(
    tx: Transaction, tenant: str, since: dt.datetime | None = None
) -> list[tuple[str, str, str, int]]:
    """Counting events per month (``YYYY-MM``), choice and kind: one grouped query."""
    at = consent_events.c.at
    if tx.connection.dialect.name == "postgresql":
        month = sa.func.to_char(sa.func.timezone("UTC", at), "YYYY-MM")
    else:
        month = sa.func.strftime("%Y-%m", at)
    query = (
        sa.select(month, consent_events.c.choice, consent_events.c.kind, sa.func.count())
        .where(
            consent_events.c.tenant == tenant,
            consent_events.c.counts.is_(True),
            consent_events.c.kind.in_([ConsentKind.GIVEN.value, ConsentKind.WITHDRAWN.value]),
        )
        .group_by(month, consent_events.c.choice, consent_events.c.kind)
        .order_by(month)
    )
    if since is not None:
        query = query.where(at >= utc(since))
    return [(str(m), str(c), str(k), int(n)) for m, c, k, n in tx.connection.execute(query)]
