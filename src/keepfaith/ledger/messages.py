"""Messages: the outbox's rows, the suppression list, campaigns, replies and referrals.

A row of ``messages`` is one message to one person, from the moment the engine allowed it
(``reason`` and ``clauses`` say why) to its end: ``queued``; ``sending`` while its
envelope and body are with the relay but not yet committed; ``handed`` once keepfaith
has told the relay to take it (the final dot); then ``sent``, ``withheld`` (the decision
taken again just before sending refused it), ``failed`` (the relay refused it for good)
or ``bounced``. What a message says is rendered from its template when it is sent and
never stored; ``context`` (the caller's values for the template) and ``to_address`` (for
a message to an address rather than a subject) are cleared as soon as it is sent.

``suppressions`` outlives everything else: a keyed hash of an address and the purpose it
stopped (``*`` for every message), with no other data, so a person who unsubscribed
stays unsubscribed after their records are erased.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from keepfaith.clock import utc
from keepfaith.exceptions import NotFound
from keepfaith.ledger.base import Id, Ident, Tenant, When, metadata
from keepfaith.ledger.transaction import Transaction
from keepfaith.ledger.upsert import upsert

EVERY_PURPOSE = "*"
"""The purpose of a suppression that stops every message to the address (a hard bounce,
a referred friend's removal)."""

STATUSES = ("queued", "sending", "handed", "sent", "withheld", "failed", "bounced")

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("purpose", Ident, nullable=False),
    sa.Column("template", sa.String(128), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("batch_size", sa.Integer, nullable=False),
    sa.Column("batches", sa.Integer, nullable=False),
    sa.Column("queued", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("clauses", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.Index("ix_campaigns_tenant", "tenant", "created_at"),
)
"""A campaign: one purpose and template to the audience the engine chose in one query;
``status`` is running, paused or done."""

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), nullable=True),
    sa.Column("purpose", Ident, nullable=False),
    sa.Column("template", sa.String(128), nullable=False),
    sa.Column("statement_version", sa.String(64), nullable=False),
    sa.Column("promotional", sa.Boolean, nullable=False),
    sa.Column("campaign_id", Id, sa.ForeignKey("campaigns.id"), nullable=True),
    sa.Column("batch", sa.Integer, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("to_address", sa.Text, nullable=True),
    sa.Column("to_digest", sa.String(64), nullable=True),
    sa.Column("context", sa.JSON, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("clauses", sa.JSON, nullable=False),
    sa.Column("outcome", sa.Text, nullable=True),
    sa.Column("outcome_clauses", sa.JSON, nullable=True),
    sa.Column("created_at", When, nullable=False),
    sa.Column("sent_at", When, nullable=True),
    sa.Column("language", sa.String(35), nullable=True),
    sa.Index("ix_messages_campaign", "campaign_id", "batch", "status"),
    sa.Index("ix_messages_subject", "subject_id", "purpose"),
    sa.Index("ix_messages_tenant_status", "tenant", "status"),
)
"""One message to one person; see the module's docstring for its life."""

suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("tenant", Tenant, primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("purpose", sa.String(64), primary_key=True),
    sa.Column("at", When, nullable=False),
)
"""Addresses no message of ``purpose`` (or of any, ``*``) may reach, by keyed hash only."""

replies = sa.Table(
    "mail_replies",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("message_id", Id, sa.ForeignKey("messages.id"), nullable=True),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("received_at", When, nullable=False),
    sa.Index("ix_mail_replies_tenant", "tenant", "received_at"),
)
"""Mail the listener matched to a message: ``kind`` is unsubscribe, bounce, kept (its
text kept for staff) or forwarded (nothing of it kept)."""

referrals = sa.Table(
    "referrals",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("digest", sa.String(64), nullable=True),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), nullable=True),
    sa.Column("referrer_id", Id, sa.ForeignKey("subjects.id"), nullable=True),
    sa.Column("message_id", Id, sa.ForeignKey("messages.id"), nullable=True),
    sa.Column("point", Ident, nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("removed_at", When, nullable=True),
    sa.UniqueConstraint("tenant", "digest", name="uq_referrals_tenant_digest"),
)
"""A referred friend (EZ-03): who referred them and the one message they got, so the
programme can be measured; on removal the friend's link and digest go, the count stays."""


@dataclass(frozen=True)
class Message:
    """One row of the outbox."""

    id: int
    tenant: str
    subject_id: int | None
    purpose: str
    template: str
    statement_version: str
    promotional: bool
    status: str
    attempts: int
    reason: str
    clauses: tuple[str, ...]
    created_at: dt.datetime
    campaign_id: int | None = None
    batch: int | None = None
    outcome: str | None = None
    outcome_clauses: tuple[str, ...] = ()
    sent_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """As JSON for staff: ids, purpose, template, state and why; never an address."""
        return {
            "id": self.id,
            "tenant": self.tenant,
            "subject": self.subject_id,
            "purpose": self.purpose,
            "template": self.template,
            "statement_version": self.statement_version,
            "promotional": self.promotional,
            "status": self.status,
            "attempts": self.attempts,
            "reason": self.reason,
            "clauses": list(self.clauses),
            "campaign": self.campaign_id,
            "outcome": self.outcome,
            "outcome_clauses": list(self.outcome_clauses),
            "created_at": self.created_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }


def _message(row: Any) -> Message:
    return Message(
        id=row.id,
        tenant=row.tenant,
        subject_id=row.subject_id,
        purpose=row.purpose,
        template=row.template,
        statement_version=row.statement_version,
        promotional=bool(row.promotional),
        status=row.status,
        attempts=row.attempts,
        reason=row.reason,
        clauses=tuple(row.clauses or ()),
        created_at=utc(row.created_at),
        campaign_id=row.campaign_id,
        batch=row.batch,
        outcome=row.outcome,
        outcome_clauses=tuple(row.outcome_clauses or ()),
        sent_at=utc(row.sent_at) if row.sent_at is not None else None,
    )


PUBLIC_COLUMNS = [c for c in messages.c if c.name not in ("to_address", "context", "to_digest")]


def add(tx: Transaction, **values: Any) -> Message:
    """Insert one outbox row (``status`` queued unless given), audited without values."""
    row = tx.connection.execute(
        messages.insert()
        .values(status="queued", attempts=0, created_at=tx.now(), **values)
        .returning(*PUBLIC_COLUMNS)
    ).one()
    tx.audit(
        "queue",
        "message",
        row.id,
        tenant=row.tenant,
        details={
            "subject": row.subject_id,
            "purpose": row.purpose,
            "template": row.template,
            "clauses": list(row.clauses),
        },
    )
    return _message(row)


def get(tx: Transaction, message_id: int, tenant: str | None = None) -> Message:
    """The outbox row with this id (in ``tenant`` when given)."""
    query = sa.select(*PUBLIC_COLUMNS).where(messages.c.id == message_id)
    if tenant is not None:
        query = query.where(messages.c.tenant == tenant)
    row = tx.connection.execute(query).first()
    if row is None:
        raise NotFound(f"no message {message_id}")
    return _message(row)


def of_subject(tx: Transaction, tenant: str, subject_id: int) -> list[Message]:
    """Every message to a subject, oldest first."""
    rows = tx.connection.execute(
        sa.select(*PUBLIC_COLUMNS)
        .where(messages.c.tenant == tenant, messages.c.subject_id == subject_id)
        .order_by(messages.c.id)
    )
    return [_message(row) for row in rows]


def latest(tx: Transaction, tenant: str | None = None, limit: int = 100) -> list[Message]:
    """The newest messages, newest first."""
    query = sa.select(*PUBLIC_COLUMNS).order_by(messages.c.id.desc()).limit(limit)
    if tenant is not None:
        query = query.where(messages.c.tenant == tenant)
    return [_message(row) for row in tx.connection.execute(query)]


def forget_subject(tx: Transaction, tenant: str, subject_id: int) -> int:
    """Unlink a subject's messages, for its erasure: the rows keep purpose, template and
    time (what was sent, and why) but no longer name the person; suppressions stay."""
    done = tx.connection.execute(
        messages.update()
        .where(messages.c.tenant == tenant, messages.c.subject_id == subject_id)
        .values(subject_id=None, to_address=None, to_digest=None, context=None)
    )
    tx.connection.execute(
        replies.update()
        .where(replies.c.tenant == tenant, replies.c.subject_id == subject_id)
        .values(subject_id=None, text=None)
    )
    tx.audit("forget", "message", None, tenant=tenant, details={"subject": subject_id})
    return done.rowcount or 0


# --------------------------------------------------------------------------- suppressions


def suppress(tx: Transaction, tenant: str, digest: str, purpose: str, why: str) -> None:
    """Stop every later message of ``purpose`` (``*``: of any) to the address of ``digest``."""
    upsert(
        tx.connection,
        suppressions,
        {"tenant": tenant, "digest": digest, "purpose": purpose, "at": tx.now()},
        ["tenant", "digest", "purpose"],
    )
    tx.audit("suppress", "address", None, tenant=tenant, details={"purpose": purpose, "why": why})


def suppressed(
    connection: sa.Connection, tenant: str, digests: Iterable[str], purpose: str
) -> dict[str, dt.datetime]:
    """Of ``digests``, those no message of ``purpose`` may reach, with the time of their
    newest suppression (of that purpose or of every one)."""
    wanted = list(dict.fromkeys(digests))
    if not wanted:
        return {}
    rows = connection.execute(
        sa.select(suppressions.c.digest, sa.func.max(suppressions.c.at))
        .where(
            suppressions.c.tenant == tenant,
            suppressions.c.digest.in_(wanted),
            suppressions.c.purpose.in_([purpose, EVERY_PURPOSE]),
        )
        .group_by(suppressions.c.digest)
    )
    return {digest: utc(at) for digest, at in rows}


def suppressed_since(
    connection: sa.Connection, tenant: str, digests: Iterable[str], since: dt.datetime
) -> list[tuple[str, str, dt.datetime]]:
    """The suppressions of ``digests`` made at or after ``since``: (digest, purpose, at),
    one query; the outbox checks them as it hands a decided message over."""
    wanted = list(dict.fromkeys(digests))
    if not wanted:
        return []
    rows = connection.execute(
        sa.select(suppressions.c.digest, suppressions.c.purpose, suppressions.c.at).where(
            suppressions.c.tenant == tenant,
            suppressions.c.digest.in_(wanted),
            suppressions.c.at >= since,
        )
    )
    return [(digest, purpose, utc(at)) for digest, purpose, at in rows]


def set_status(
    tx: Transaction, changes: Mapping[int, Mapping[str, Any]], *, audit: str | None = None
) -> None:
    """Change outbox rows, each with its own values, in as few statements as they allow:
    rows given the very same values in one ``UPDATE ... WHERE id IN``, the others one
    ``executemany`` per set of columns changed (the driver pipelines it)."""
    alike: dict[str, tuple[Mapping[str, Any], list[int]]] = {}
    for message_id, values in changes.items():
        key = repr(sorted(values.items()))
        alike.setdefault(key, (values, []))[1].append(message_id)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values, ids in alike.values():
        if len(ids) > 1:
            tx.connection.execute(
                messages.update().where(messages.c.id.in_(ids)).values(dict(values))
            )
            continue
        groups.setdefault(tuple(sorted(values)), []).append({"_id": ids[0], **values})
    for names, params in groups.items():
        statement = (
            messages.update()
            .where(messages.c.id == sa.bindparam("_id"))
            .values({name: sa.bindparam(name) for name in names})
        )
        tx.connection.execute(statement, params)
    if audit and changes:
        tx.audit(audit, "message", None, details={"messages": sorted(changes)})


def addressed(tx: Transaction, message_id: int) -> tuple[Message, str | None]:
    """The outbox row and the keyed hash of the address it goes to (``None`` before the
    outbox decided it for sending), for an unsubscribe or a bounce that names the message."""
    row = tx.connection.execute(
        sa.select(*PUBLIC_COLUMNS, messages.c.to_digest).where(messages.c.id == message_id)
    ).first()
    if row is None:
        raise NotFound(f"no message {message_id}")
    return _message(row), row.to_digest


def is_suppressed(tx: Transaction, tenant: str, digest: str, purpose: str) -> bool:
    """Whether this exact suppression (``purpose``, or ``*``) is already on the list."""
    found = tx.connection.execute(
        sa.select(suppressions.c.at).where(
            suppressions.c.tenant == tenant,
            suppressions.c.digest == digest,
            suppressions.c.purpose == purpose,
        )
    ).first()
    return found is not None


def suppression_count(tx: Transaction, tenant: str) -> int:
    """How many addresses and purposes the tenant's suppression list holds."""
    return int(
        tx.connection.execute(
            sa.select(sa.func.count())
            .select_from(suppressions)
            .where(suppressions.c.tenant == tenant)
        ).scalar_one()
    )


def mark_bounced(tx: Transaction, message_id: int, outcome: str) -> None:
    """A message the relay accepted but the mailbox later returned."""
    tx.connection.execute(
        messages.update()
        .where(messages.c.id == message_id)
        .values(status="bounced", outcome=outcome[:500])
    )
    tx.audit("bounce", "message", message_id)


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class Reply:
    """Mail the listener matched to a message."""

    id: int
    tenant: str
    message_id: int | None
    subject_id: int | None
    kind: str
    text: str | None
    received_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tenant": self.tenant,
            "message": self.message_id,
            "subject": self.subject_id,
            "kind": self.kind,
            "text": self.text,
            "received_at": self.received_at.isoformat(),
        }


def add_reply(
    tx: Transaction,
    tenant: str,
    message_id: int | None,
    subject_id: int | None,
    kind: str,
    text: str | None = None,
) -> Reply:
    """Record a matched reply (``text`` only when it is kept for staff)."""
    row = tx.connection.execute(
        replies.insert()
        .values(
            tenant=tenant,
            message_id=message_id,
            subject_id=subject_id,
            kind=kind,
            text=text,
            received_at=tx.now(),
        )
        .returning(*replies.c)
    ).one()
    tx.audit("reply", "message", message_id, tenant=tenant, details={"kind": kind})
    return _reply(row)


def replies_of(tx: Transaction, tenant: str | None = None, limit: int = 100) -> list[Reply]:
    """The newest matched replies, newest first."""
    query = sa.select(replies).order_by(replies.c.id.desc()).limit(limit)
    if tenant is not None:
        query = query.where(replies.c.tenant == tenant)
    return [_reply(row) for row in tx.connection.execute(query)]


def _reply(row: Any) -> Reply:
    return Reply(
        row.id,
        row.tenant,
        row.message_id,
        row.subject_id,
        row.kind,
        row.text,
        utc(row.received_at),
    )


# --------------------------------------------------------------------------- campaigns


@dataclass(frozen=True)
class Campaign:
    """A campaign and how far it got: messages by state."""

    id: int
    tenant: str
    purpose: str
    template: str
    status: str
    batch_size: int
    batches: int
    queued: int
    reason: str
    clauses: tuple[str, ...]
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    progress: Mapping[str, int]

    @property
    def remaining(self) -> int:
        """Messages not yet at their end (queued, or with the relay)."""
        return sum(self.progress.get(s, 0) for s in ("queued", "sending", "handed"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tenant": self.tenant,
            "purpose": self.purpose,
            "template": self.template,
            "status": self.status,
            "batch_size": self.batch_size,
            "batches": self.batches,
            "queued": self.queued,
            "reason": self.reason,
            "clauses": list(self.clauses),
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "progress": dict(self.progress),
            "remaining": self.remaining,
        }


def add_campaign(
    tx: Transaction,
    *,
    tenant: str,
    purpose: str,
    template: str,
    batch_size: int,
    reason: str,
    clauses: list[str],
) -> int:
    """A new campaign row, running, with nothing queued yet; its id."""
    now = tx.now()
    return int(
        tx.connection.execute(
            campaigns.insert()
            .values(
                tenant=tenant,
                purpose=purpose,
                template=template,
                status="running",
                batch_size=batch_size,
                batches=0,
                queued=0,
                reason=reason,
                clauses=clauses,
                created_by=tx.actor,
                created_at=now,
                updated_at=now,
            )
            .returning(campaigns.c.id)
        ).scalar_one()
    )


def queue_audience(
    tx: Transaction,
    campaign_id: int,
    audience: sa.Select[Any],
    *,
    template: str,
    promotional: bool,
    context: Mapping[str, Any] | None,
    reason: str,
    clauses: list[str],
    batch_size: int,
) -> tuple[int, int]:
    """Queue one message per subject of ``audience`` (a ``SELECT`` of subject ids), in one
    ``INSERT ... SELECT``, numbered into batches of ``batch_size``; (messages, batches)."""
    from keepfaith.ledger.subjects import subjects

    chosen = audience.subquery("audience")
    campaign = sa.select(campaigns.c.tenant, campaigns.c.purpose).where(
        campaigns.c.id == campaign_id
    )
    tenant, purpose = tx.connection.execute(campaign).one()
    number = sa.func.row_number().over(order_by=subjects.c.id) - 1
    source = sa.select(
        sa.literal(tenant, Tenant).label("tenant"),
        subjects.c.id.label("subject_id"),
        sa.literal(purpose, Ident).label("purpose"),
        sa.literal(template, sa.String(128)).label("template"),
        subjects.c.statement_version,
        sa.literal(promotional, sa.Boolean).label("promotional"),
        sa.literal(campaign_id, Id).label("campaign_id"),
        (number // batch_size).label("batch"),
        sa.literal("queued", sa.String(16)).label("status"),
        sa.literal(0, sa.Integer).label("attempts"),
        sa.literal(dict(context) if context else None, sa.JSON).label("context"),
        sa.literal(reason, sa.Text).label("reason"),
        sa.literal(clauses, sa.JSON).label("clauses"),
        sa.literal(tx.now(), When).label("created_at"),
    ).where(subjects.c.id.in_(sa.select(chosen.c[0])), subjects.c.tenant == tenant)
    names = [column.name for column in source.selected_columns]
    tx.connection.execute(messages.insert().from_select(names, source))
    count, last = tx.connection.execute(
        sa.select(sa.func.count(), sa.func.max(messages.c.batch)).where(
            messages.c.campaign_id == campaign_id
        )
    ).one()
    batches = 0 if last is None else int(last) + 1
    tx.connection.execute(
        campaigns.update()
        .where(campaigns.c.id == campaign_id)
        .values(queued=count, batches=batches, updated_at=tx.now())
    )
    return int(count), batches


def campaign(tx: Transaction, campaign_id: int, tenant: str | None = None) -> Campaign:
    """A campaign with its progress; ``NotFound`` if there is none (in ``tenant``)."""
    query = sa.select(campaigns).where(campaigns.c.id == campaign_id)
    if tenant is not None:
        query = query.where(campaigns.c.tenant == tenant)
    row = tx.connection.execute(query).first()
    if row is None:
        raise NotFound(f"no campaign {campaign_id}")
    counts = tx.connection.execute(
        sa.select(messages.c.status, sa.func.count())
        .where(messages.c.campaign_id == campaign_id)
        .group_by(messages.c.status)
    )
    return _campaign(row, {status: int(n) for status, n in counts})


def campaigns_of(tx: Transaction, tenant: str | None = None, limit: int = 50) -> list[Campaign]:
    """The newest campaigns, newest first, with their progress."""
    query = sa.select(campaigns.c.id).order_by(campaigns.c.id.desc()).limit(limit)
    if tenant is not None:
        query = query.where(campaigns.c.tenant == tenant)
    return [campaign(tx, int(found)) for found in tx.connection.execute(query).scalars()]


def set_campaign_status(tx: Transaction, campaign_id: int, status: str) -> None:
    tx.connection.execute(
        campaigns.update()
        .where(campaigns.c.id == campaign_id)
        .values(status=status, updated_at=tx.now())
    )
    tx.audit(status, "campaign", campaign_id)


def open_batches(tx: Transaction, campaign_id: int) -> list[int]:
    """The batches of a campaign that still have a message queued or with the relay."""
    found = tx.connection.execute(
        sa.select(messages.c.batch)
        .where(
            messages.c.campaign_id == campaign_id,
            messages.c.status.in_(("queued", "sending", "handed")),
        )
        .distinct()
        .order_by(messages.c.batch)
    ).scalars()
    return [int(batch) for batch in found]


def _campaign(row: Any, progress: Mapping[str, int]) -> Campaign:
    return Campaign(
        id=row.id,
        tenant=row.tenant,
        purpose=row.purpose,
        template=row.template,
        status=row.status,
        batch_size=row.batch_size,
        batches=row.batches,
        queued=row.queued,
        reason=row.reason,
        clauses=tuple(row.clauses or ()),
        created_by=row.created_by,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        progress=progress,
    )
