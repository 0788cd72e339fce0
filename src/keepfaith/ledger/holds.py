"""Holds: a reason the statement declares to keep (and only keep) a subject's data, such
as a legal obligation, until a time or until released."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from keepfaith.clock import utc
from keepfaith.exceptions import NotFound, Refused
from keepfaith.ledger import allowances, statements, subjects
from keepfaith.ledger.base import Id, Ident, Tenant, When, metadata
from keepfaith.ledger.rows import Hold, Subject, from_row
from keepfaith.ledger.transaction import Transaction

holds = sa.Table(
    "holds",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), nullable=False),
    sa.Column("reason", Ident, nullable=False),
    sa.Column("until", When, nullable=True),
    sa.Column("created_at", When, nullable=False),
    sa.Column("released_at", When, nullable=True),
    sa.Index("ix_holds_subject", "subject_id"),
)


def add(tx: Transaction, subject: Subject, reason: str, until: dt.datetime | None = None) -> Hold:
    """Hold the subject's data for a reason the statement declares, until a time."""
    subject = subjects.get(tx, subject.tenant, subject.id)
    statement = statements.get(tx, subject.tenant, subject.statement_version)
    if reason not in {h.reason for h in statement.rights.holds}:
        raise Refused(f"hold reason {reason!r} is not declared by {subject.tenant}")
    row = tx.connection.execute(
        holds.insert()
        .values(
            tenant=subject.tenant,
            subject_id=subject.id,
            reason=reason,
            until=utc(until) if until is not None else None,
            created_at=tx.now(),
        )
        .returning(*holds.c)
    ).one()
    tx.audit(
        "add",
        "hold",
        row.id,
        tenant=subject.tenant,
        details={"subject": subject.id, "reason": reason},
    )
    allowances.touch(tx, subject.id)
    return from_row(Hold, row)


def release(tx: Transaction, hold: Hold) -> None:
    """End a hold now."""
    subject_id = tx.connection.execute(
        holds.update()
        .where(holds.c.id == hold.id, holds.c.tenant == hold.tenant)
        .values(released_at=tx.now())
        .returning(holds.c.subject_id)
    ).scalar()
    if subject_id is None:
        raise NotFound(f"no hold {hold.id} in tenant {hold.tenant!r}")
    tx.audit("release", "hold", hold.id, tenant=hold.tenant)
    allowances.touch(tx, subject_id)


def of(tx: Transaction, subject: Subject) -> list[Hold]:
    """The subject's holds, released ones included."""
    rows = tx.connection.execute(
        sa.select(holds)
        .where(holds.c.subject_id == subject.id, holds.c.tenant == subject.tenant)
        .order_by(holds.c.id)
    )
    return [from_row(Hold, row) for row in rows]
