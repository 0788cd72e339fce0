"""Publications and each person's pending change of statement version.

``publications`` says who published a version over which one, when, and what the plan
was (the source text itself is kept by ``statement_versions``). ``version_changes``
holds, per person, the move to a new version that waits for them: how they are told
(``email`` or ``post``), when they were told, when the move applies by time alone
(``due_at``, ``None`` while an email is still to be sent), and their answer (``accepted``,
``refused``, ``closed``). A change still open (no answer, not applied) is what the
snapshot reads, so the engine decides under the new version from ``due_at`` on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from keepfaith.exceptions import NotFound, Refused
from keepfaith.ledger.base import Id, Tenant, When, metadata
from keepfaith.ledger.messages import messages
from keepfaith.ledger.rows import from_row
from keepfaith.ledger.transaction import Transaction

publications = sa.Table(
    "publications",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("from_version", sa.String(64), nullable=True),
    sa.Column("published_by", sa.String(255), nullable=False),
    sa.Column("published_at", When, nullable=False),
    sa.Column("material", sa.Integer, nullable=False),
    sa.Column("plan", sa.JSON, nullable=False),
    sa.UniqueConstraint("tenant", "version"),
)

version_changes = sa.Table(
    "version_changes",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), nullable=False),
    sa.Column("publication_id", Id, sa.ForeignKey("publications.id"), nullable=False),
    sa.Column("from_version", sa.String(64), nullable=False),
    sa.Column("to_version", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("notified_at", When, nullable=True),
    sa.Column("due_at", When, nullable=True),
    sa.Column("message_id", Id, nullable=True),
    sa.Column("answer", sa.String(16), nullable=True),
    sa.Column("answered_at", When, nullable=True),
    sa.Column("applied_at", When, nullable=True),
    sa.UniqueConstraint("subject_id", "to_version"),
    sa.Index("ix_version_changes_publication_channel", "publication_id", "channel", "notified_at"),
    sa.Index("ix_version_changes_due_at", "tenant", "due_at"),
)


business_transfers = sa.Table(
    "business_transfers",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("acquirer", sa.String(255), nullable=False),
    sa.Column("transfer_at", When, nullable=False),
    sa.Column("announced_by", sa.String(255), nullable=False),
    sa.Column("announced_at", When, nullable=False),
    # The highest subject id the notice job has reached: it resumes after it.
    sa.Column("notified_upto", Id, nullable=False, default=0),
)


class Channel(StrEnum):
    """How a person is told of a change."""

    EMAIL = "email"
    POST = "post"


class Answer(StrEnum):
    """What a person chose when told of a change."""

    ACCEPTED = "accepted"
    """Acknowledged: the new version applies from the answer."""
    REFUSED = "refused"
    """Refused: the person moves to the new version, but each use the change altered is
    decided under the old one (ES-17: their data is not used the new way)."""
    CLOSED = "closed"
    """Closed (deactivated) the account rather than accept."""


@dataclass(frozen=True)
class Publication:
    id: int
    tenant: str
    version: str
    from_version: str | None
    published_by: str
    published_at: dt.datetime
    material: int
    plan: dict[str, Any]


@dataclass(frozen=True)
class VersionChange:
    id: int
    tenant: str
    subject_id: int
    publication_id: int
    from_version: str
    to_version: str
    channel: str
    notified_at: dt.datetime | None
    due_at: dt.datetime | None
    message_id: int | None
    answer: str | None
    answered_at: dt.datetime | None
    applied_at: dt.datetime | None

    @property
    def open(self) -> bool:
        """Still waiting: neither answered nor applied."""
        return self.answer is None and self.applied_at is None


def record_publication(
    tx: Transaction,
    tenant: str,
    version: str,
    from_version: str | None,
    plan: dict[str, Any],
    material: int,
) -> Publication:
    """Record who (the unit of work's actor) published ``version`` over ``from_version``."""
    row = tx.connection.execute(
        publications.insert()
        .values(
            tenant=tenant,
            version=version,
            from_version=from_version,
            published_by=tx.actor,
            published_at=tx.now(),
            material=material,
            plan=plan,
        )
        .returning(*publications.c)
    ).one()
    return from_row(Publication, row)


def publication(tx: Transaction, publication_id: int) -> Publication:
    row = tx.connection.execute(
        sa.select(publications).where(publications.c.id == publication_id)
    ).first()
    if row is None:
        raise NotFound(f"no publication {publication_id}")
    return from_row(Publication, row)


def publications_of(tx: Transaction, tenant: str) -> list[Publication]:
    """The tenant's publications, newest first."""
    rows = tx.connection.execute(
        sa.select(publications)
        .where(publications.c.tenant == tenant)
        .order_by(publications.c.id.desc())
    )
    return [from_row(Publication, row) for row in rows]


def add_pending(tx: Transaction, query: sa.Select[Any]) -> int:
    """Insert the pending changes ``query`` selects (one per subject), set-based; how many.

    ``query`` yields the columns of ``INSERT_COLUMNS`` in that order.
    """
    result = tx.connection.execute(
        version_changes.insert().from_select(list(INSERT_COLUMNS), query)
    )
    return int(result.rowcount or 0)


INSERT_COLUMNS = (
    "tenant",
    "subject_id",
    "publication_id",
    "from_version",
    "to_version",
    "channel",
    "notified_at",
    "due_at",
)


def get(tx: Transaction, change_id: int, tenant: str | None = None) -> VersionChange:
    query = sa.select(version_changes).where(version_changes.c.id == change_id)
    if tenant is not None:
        query = query.where(version_changes.c.tenant == tenant)
    row = tx.connection.execute(query).first()
    if row is None:
        raise NotFound(f"no pending change {change_id}")
    return from_row(VersionChange, row)


def of_subject(tx: Transaction, subject_id: int) -> list[VersionChange]:
    """The subject's changes of version, oldest first."""
    rows = tx.connection.execute(
        sa.select(version_changes)
        .where(version_changes.c.subject_id == subject_id)
        .order_by(version_changes.c.id)
    )
    return [from_row(VersionChange, row) for row in rows]


def open_of_subject(tx: Transaction, subject_id: int) -> VersionChange | None:
    """The subject's open change, if any (the newest)."""
    found = [c for c in of_subject(tx, subject_id) if c.open]
    return found[-1] if found else None


def to_email(tx: Transaction, publication_id: int, limit: int) -> list[VersionChange]:
    """Open changes of a publication whose email is still to be sent, a batch."""
    rows = tx.connection.execute(
        sa.select(version_changes)
        .where(
            version_changes.c.publication_id == publication_id,
            version_changes.c.channel == Channel.EMAIL.value,
            version_changes.c.notified_at.is_(None),
            version_changes.c.answer.is_(None),
        )
        .order_by(version_changes.c.id)
        .limit(limit)
    )
    return [from_row(VersionChange, row) for row in rows]


def mark_notified(
    tx: Transaction,
    change: VersionChange,
    channel: Channel,
    due_at: dt.datetime | None,
    message_id: int | None = None,
) -> None:
    """The person was told (by ``channel``) now; the change applies by time at ``due_at``."""
    tx.connection.execute(
        version_changes.update()
        .where(version_changes.c.id == change.id)
        .values(channel=channel.value, notified_at=tx.now(), due_at=due_at, message_id=message_id)
    )


def answer(tx: Transaction, change: VersionChange, given: Answer) -> VersionChange:
    """Record the person's answer; an answered or applied change is refused."""
    if not change.open:
        raise Refused("this change was already answered or has already applied")
    now = tx.now()
    values: dict[str, Any] = {"answer": given.value, "answered_at": now}
    if given is Answer.ACCEPTED:
        values["applied_at"] = now
    row = tx.connection.execute(
        version_changes.update()
        .where(version_changes.c.id == change.id, version_changes.c.answer.is_(None))
        .values(**values)
        .returning(*version_changes.c)
    ).one()
    tx.audit(
        f"change_{given.value}",
        "subject",
        change.subject_id,
        tenant=change.tenant,
        details={"to_version": change.to_version},
    )
    return from_row(VersionChange, row)


def due(tx: Transaction, tenant: str | None, now: dt.datetime, limit: int) -> list[VersionChange]:
    """Open changes (of the tenant, or of all) whose time has come, a batch."""
    query = sa.select(version_changes)
    if tenant is not None:
        query = query.where(version_changes.c.tenant == tenant)
    rows = tx.connection.execute(
        query.where(
            version_changes.c.due_at <= now,
            version_changes.c.answer.is_(None),
            version_changes.c.applied_at.is_(None),
        )
        .order_by(version_changes.c.id)
        .limit(limit)
    )
    return [from_row(VersionChange, row) for row in rows]


UNDELIVERED = ("withheld", "failed", "bounced")
"""Outbox statuses of a notice that never reached the person."""


def unreached_by_email(tx: Transaction, tenant: str | None) -> list[tuple[int, int]]:
    """``(publication id, count)`` of open email changes whose notice never reached the
    person (withheld by the engine at sending, failed for good, or bounced)."""
    c = version_changes.c
    query = (
        sa.select(c.publication_id, sa.func.count()).where(*_unreached()).group_by(c.publication_id)
    )
    if tenant is not None:
        query = query.where(c.tenant == tenant)
    return [(int(p), int(n)) for p, n in tx.connection.execute(query)]


def fall_back_to_posting(tx: Transaction, publication_id: int, due_at: dt.datetime | None) -> int:
    """Those changes of a publication are told by posting after all: they apply at the
    posting window's end (``due_at``; never by time when the statement sets none)."""
    moved = tx.connection.execute(
        version_changes.update()
        .where(version_changes.c.publication_id == publication_id, *_unreached())
        .values(channel=Channel.POST.value, due_at=due_at)
    ).rowcount
    return int(moved or 0)


def _unreached() -> list[sa.ColumnElement[bool]]:
    c, m = version_changes.c, messages.c
    return [
        c.channel == Channel.EMAIL.value,
        c.answer.is_(None),
        c.applied_at.is_(None),
        c.message_id.in_(sa.select(m.id).where(m.status.in_(UNDELIVERED))),
    ]


def mark_applied(tx: Transaction, change: VersionChange) -> None:
    tx.connection.execute(
        version_changes.update()
        .where(version_changes.c.id == change.id)
        .values(applied_at=tx.now())
    )


def counts(tx: Transaction, publication_id: int) -> dict[str, int]:
    """How many of a publication's changes are on each footing (for staff)."""
    c = version_changes.c
    state = sa.case(
        (c.answer.is_not(None), c.answer),
        (c.applied_at.is_not(None), "applied"),
        (c.notified_at.is_(None), "to_notify"),
        else_=c.channel,
    )
    rows = tx.connection.execute(
        sa.select(state.label("state"), sa.func.count())
        .where(c.publication_id == publication_id)
        .group_by(state)
    )
    return {str(row[0]): int(row[1]) for row in rows}


@dataclass(frozen=True)
class BusinessTransfer:
    id: int
    tenant: str
    acquirer: str
    transfer_at: dt.datetime
    announced_by: str
    announced_at: dt.datetime
    notified_upto: int


def record_transfer(
    tx: Transaction, tenant: str, acquirer: str, transfer_at: dt.datetime
) -> BusinessTransfer:
    """Record a business transfer announced now by the unit of work's actor."""
    row = tx.connection.execute(
        business_transfers.insert()
        .values(
            tenant=tenant,
            acquirer=acquirer,
            transfer_at=transfer_at,
            announced_by=tx.actor,
            announced_at=tx.now(),
            notified_upto=0,
        )
        .returning(*business_transfers.c)
    ).one()
    tx.audit("announce_transfer", "tenant", None, tenant=tenant, details={"to": acquirer})
    return from_row(BusinessTransfer, row)


def transfer(tx: Transaction, transfer_id: int, tenant: str | None = None) -> BusinessTransfer:
    query = sa.select(business_transfers).where(business_transfers.c.id == transfer_id)
    if tenant is not None:
        query = query.where(business_transfers.c.tenant == tenant)
    row = tx.connection.execute(query).first()
    if row is None:
        raise NotFound(f"no business transfer {transfer_id}")
    return from_row(BusinessTransfer, row)


def transfer_reached(tx: Transaction, transfer_id: int, subject_id: int) -> None:
    tx.connection.execute(
        business_transfers.update()
        .where(business_transfers.c.id == transfer_id)
        .values(notified_upto=subject_id)
    )
