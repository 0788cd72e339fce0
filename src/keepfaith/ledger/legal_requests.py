"""Legal requests: an authority's or a party's demand for a person's data (a court order,
a subpoena, an abuse report, a dispute), with its document reference and legal basis.

A request may forbid telling the person for a time (``gag_until``); once that passes,
the person is told, once (``notified_at``). ``keepfaith.sharing.legal`` decides and
records; this module only keeps the rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from keepfaith.clock import utc
from keepfaith.exceptions import NotFound
from keepfaith.ledger.base import Id, Ident, Tenant, When, metadata
from keepfaith.ledger.transaction import Transaction

legal_requests = sa.Table(
    "legal_requests",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), nullable=True),
    sa.Column("requester", sa.String(255), nullable=False),
    sa.Column("kind", Ident, nullable=False),
    sa.Column("basis", sa.String(32), nullable=False),
    sa.Column("reference", sa.String(255), nullable=True),
    sa.Column("received_at", When, nullable=False),
    sa.Column("notify", sa.Boolean, nullable=False),
    sa.Column("gag_until", When, nullable=True),
    sa.Column("notified_at", When, nullable=True),
    sa.Index("ix_legal_requests_tenant_gag", "tenant", "notified_at"),
)


@dataclass(frozen=True)
class LegalRequest:
    id: int
    tenant: str
    subject_id: int | None
    requester: str
    kind: str
    basis: str
    reference: str | None
    received_at: dt.datetime
    notify: bool
    """The person is to be told (the statement promises it)."""
    gag_until: dt.datetime | None
    """Not before this time (the request forbids telling earlier)."""
    notified_at: dt.datetime | None


def _request(row: sa.Row[tuple[object, ...]]) -> LegalRequest:
    values = dict(row._mapping)
    for name in ("received_at", "gag_until", "notified_at"):
        if values[name] is not None:
            values[name] = utc(values[name])
    return LegalRequest(**values)


def add(
    tx: Transaction,
    tenant: str,
    subject_id: int | None,
    requester: str,
    kind: str,
    basis: str,
    *,
    reference: str | None,
    notify: bool,
    gag_until: dt.datetime | None,
) -> LegalRequest:
    """Record a legal request (the caller checked every value); audited."""
    row = tx.connection.execute(
        legal_requests.insert()
        .values(
            tenant=tenant,
            subject_id=subject_id,
            requester=requester,
            kind=kind,
            basis=basis,
            reference=reference,
            received_at=tx.now(),
            notify=notify,
            gag_until=gag_until,
        )
        .returning(*legal_requests.c)
    ).one()
    request = _request(row)
    details = {"kind": kind, "basis": basis, "subject": subject_id, "notify": notify}
    tx.audit("legal_request", "legal_request", request.id, tenant=tenant, details=details)
    return request


def get(tx: Transaction, tenant: str, request_id: int) -> LegalRequest:
    row = tx.connection.execute(
        sa.select(legal_requests).where(
            legal_requests.c.id == request_id, legal_requests.c.tenant == tenant
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"no legal request {request_id} in tenant {tenant!r}")
    return _request(row)


def of(tx: Transaction, tenant: str) -> list[LegalRequest]:
    """The tenant's legal requests, oldest first."""
    rows = tx.connection.execute(
        sa.select(legal_requests)
        .where(legal_requests.c.tenant == tenant)
        .order_by(legal_requests.c.received_at, legal_requests.c.id)
    )
    return [_request(row) for row in rows]


def due_notices(tx: Transaction, tenant: str, now: dt.datetime) -> list[LegalRequest]:
    """Requests whose person is to be told and has not been, with any gag period over."""
    table = legal_requests
    rows = tx.connection.execute(
        sa.select(table)
        .where(
            table.c.tenant == tenant,
            table.c.notify.is_(True),
            table.c.notified_at.is_(None),
            table.c.subject_id.is_not(None),
            sa.or_(table.c.gag_until.is_(None), table.c.gag_until <= now),
        )
        .order_by(table.c.id)
    )
    return [_request(row) for row in rows]


def mark_notified(tx: Transaction, request: LegalRequest) -> None:
    tx.connection.execute(
        legal_requests.update()
        .where(legal_requests.c.id == request.id)
        .values(notified_at=tx.now())
    )
    tx.audit("legal_notice", "legal_request", request.id, tenant=request.tenant, details={})
