"""The disclosure log: who received which categories of whose data, on what basis, when.

Callers decide first: ``keepfaith.sharing`` asks the engine and records here only what it
allowed, in the same unit of work, with the clauses that decided it, the statement
version, the categories dropped because the recipient may not receive them, and the
transfer mechanism or the legal request it rests on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from keepfaith.clock import utc
from keepfaith.exceptions import NotFound
from keepfaith.ledger.base import Id, Ident, Tenant, When, metadata
from keepfaith.ledger.rows import Disclosure, Subject, from_row
from keepfaith.ledger.transaction import Transaction

disclosures = sa.Table(
    "disclosures",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), nullable=True),
    sa.Column("recipient", sa.String(255), nullable=False),
    sa.Column("categories", sa.JSON, nullable=False),
    sa.Column("basis", sa.String(32), nullable=False),
    sa.Column("purpose", Ident, nullable=True),
    sa.Column("country", sa.String(64), nullable=True),
    sa.Column("reference", sa.String(255), nullable=True),
    sa.Column("anonymous", sa.Boolean, nullable=False, default=False),
    sa.Column("at", When, nullable=False),
    sa.Column("clauses", sa.JSON, nullable=True),
    sa.Column("statement_version", sa.String(64), nullable=True),
    sa.Column("dropped", sa.JSON, nullable=True),
    sa.Column("mechanism", sa.String(255), nullable=True),
    sa.Column("legal_request_id", Id, nullable=True),
    sa.Index("ix_disclosures_subject", "subject_id"),
    sa.Index("ix_disclosures_tenant_at", "tenant", "at"),
    sa.Index("ix_disclosures_recipient", "tenant", "recipient"),
)


def record(
    tx: Transaction,
    tenant: str,
    subject: Subject | None,
    recipient: str,
    categories: Iterable[str],
    basis: str,
    *,
    purpose: str | None = None,
    country: str | None = None,
    reference: str | None = None,
    anonymous: bool = False,
    at: dt.datetime | None = None,
    clauses: Iterable[str] = (),
    statement_version: str | None = None,
    dropped: Iterable[str] = (),
    mechanism: str | None = None,
    legal_request_id: int | None = None,
) -> Disclosure:
    """Add an entry to the disclosure log (who received which categories, and why)."""
    if subject is not None and subject.tenant != tenant:
        raise NotFound(f"no subject {subject.id} in tenant {tenant!r}")
    cats = list(categories)
    row = tx.connection.execute(
        disclosures.insert()
        .values(
            tenant=tenant,
            subject_id=subject.id if subject else None,
            recipient=recipient,
            categories=cats,
            basis=basis,
            purpose=purpose,
            country=country,
            reference=reference,
            anonymous=anonymous,
            at=utc(at) if at is not None else tx.now(),
            clauses=list(clauses),
            statement_version=statement_version,
            dropped=list(dropped),
            mechanism=mechanism,
            legal_request_id=legal_request_id,
        )
        .returning(*disclosures.c)
    ).one()
    tx.audit(
        "disclose",
        "disclosure",
        row.id,
        tenant=tenant,
        details={
            "subject": subject.id if subject else None,
            "categories": cats,
            "basis": basis,
            "purpose": purpose,
            "recipient": recipient,
            "country": country,
            "dropped": list(dropped),
            "clauses": list(clauses),
        },
    )
    return from_row(Disclosure, row)


def of(
    tx: Transaction,
    tenant: str,
    subject: Subject | None = None,
    *,
    recipient: str | None = None,
) -> list[Disclosure]:
    """The tenant's disclosure log (of one subject, to one recipient, if given), oldest first."""
    query = sa.select(disclosures).where(disclosures.c.tenant == tenant)
    if subject is not None:
        query = query.where(disclosures.c.subject_id == subject.id)
    if recipient is not None:
        query = query.where(disclosures.c.recipient == recipient)
    rows = tx.connection.execute(query.order_by(disclosures.c.at, disclosures.c.id))
    return [from_row(Disclosure, row) for row in rows]


def shown_to_person(tx: Transaction, tenant: str, subject: Subject) -> list[Disclosure]:
    """The subject's log as they may see it: legal disclosures still under a gag period
    (their request forbids telling the person until ``gag_until``) are left out."""
    from keepfaith.ledger.legal_requests import legal_requests

    gagged = (
        sa.select(legal_requests.c.id)
        .where(legal_requests.c.tenant == tenant, legal_requests.c.gag_until > tx.now())
        .scalar_subquery()
    )
    query = (
        sa.select(disclosures)
        .where(
            disclosures.c.tenant == tenant,
            disclosures.c.subject_id == subject.id,
            sa.or_(
                disclosures.c.legal_request_id.is_(None),
                disclosures.c.legal_request_id.not_in(gagged),
            ),
        )
        .order_by(disclosures.c.at, disclosures.c.id)
    )
    return [from_row(Disclosure, row) for row in tx.connection.execute(query)]
