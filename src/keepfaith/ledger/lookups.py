"""Finding a person by an address they gave, without storing or scanning the address.

Each record of an email address or a phone number is indexed here by a keyed digest of
its normalised value (``crypto.tokens.keyed_digest`` under ``Ledger.lookup_key``, the
deployment's secret key), as ``logins`` does for people's sign-in names. A look-up is one
index range: staff searching for a person and a person asking for a sign-in link never
make keepfaith read every address, and a copy of this table alone names nobody.

``records`` keeps the index in step: a record added, corrected or erased changes its row
in the same unit of work. ``reindex`` rebuilds a tenant's rows (after the secret key
changes, or for records stored before this table existed).
"""

from __future__ import annotations

import enum
import re

import sqlalchemy as sa

from keepfaith.ledger.base import Category, Id, Tenant, metadata
from keepfaith.ledger.crypto import tokens
from keepfaith.ledger.transaction import Ledger, Transaction


class Kind(enum.StrEnum):
    """What a look-up is by."""

    EMAIL = "email"
    PHONE = "phone"


CATEGORIES: dict[str, Kind] = {
    "user.contact.email": Kind.EMAIL,
    "user.contact.phone_number": Kind.PHONE,
    "user.contact.phone": Kind.PHONE,
}
"""The categories whose records are indexed, and what they are looked up as."""

subject_lookups = sa.Table(
    "subject_lookups",
    metadata,
    sa.Column("record_id", Id, sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False),
    sa.Column("category", Category, nullable=False),
    sa.Index("ix_subject_lookups_digest", "tenant", "kind", "digest"),
)

_NOT_DIGITS = re.compile(r"[^0-9]")


def normalised(kind: Kind, value: str) -> str | None:
    """The form two spellings of one address share (``None``: not an address of ``kind``).

    An email is trimmed and case-folded; a phone number keeps its digits and a leading
    ``+`` (so ``+1 (555) 010-0199`` and ``+15550100199`` meet).
    """
    text = value.strip()
    if kind is Kind.EMAIL:
        return text.casefold() if "@" in text else None
    digits = _NOT_DIGITS.sub("", text)
    if len(digits) < 5:
        return None
    return ("+" if text.startswith("+") else "") + digits


def digest(key: str, tenant: str, kind: Kind, value: str) -> str | None:
    """The stored form of ``value``: a keyed digest, bound to the tenant and the kind."""
    found = normalised(kind, value)
    if found is None:
        return None
    return tokens.keyed_digest(key, "subject-lookup", f"{tenant}\0{kind.value}\0{found}")


def index(
    tx: Transaction,
    record_id: int,
    tenant: str,
    subject_id: int | None,
    category: str,
    value: str | None,
) -> None:
    """Index (or re-index) one record; a record of another category is left alone."""
    kind = CATEGORIES.get(category)
    if kind is None:
        return
    tx.connection.execute(subject_lookups.delete().where(subject_lookups.c.record_id == record_id))
    found = digest(tx.ledger.lookup_key, tenant, kind, value) if value else None
    if subject_id is None or found is None:
        return
    tx.connection.execute(
        subject_lookups.insert().values(
            record_id=record_id,
            tenant=tenant,
            kind=kind.value,
            digest=found,
            subject_id=subject_id,
            category=category,
        )
    )


def forget(tx: Transaction, record_ids: list[int]) -> None:
    """Drop the rows of records that are erased or no longer anyone's."""
    if record_ids:
        tx.connection.execute(
            subject_lookups.delete().where(subject_lookups.c.record_id.in_(record_ids))
        )


def find(tx: Transaction, tenant: str, kind: Kind | str, value: str) -> list[int]:
    """The ids of the tenant's subjects with a record of ``value`` (oldest first)."""
    found = digest(tx.ledger.lookup_key, tenant, Kind(kind), value)
    if found is None:
        return []
    rows = tx.connection.execute(
        sa.select(subject_lookups.c.subject_id)
        .where(
            subject_lookups.c.tenant == tenant,
            subject_lookups.c.kind == Kind(kind).value,
            subject_lookups.c.digest == found,
        )
        .distinct()
        .order_by(subject_lookups.c.subject_id)
    )
    return [int(subject_id) for subject_id in rows.scalars()]


def reindex(tx: Transaction, tenant: str) -> int:
    """Rebuild the tenant's rows from its records; return how many records are indexed."""
    from keepfaith.ledger import records

    tx.connection.execute(subject_lookups.delete().where(subject_lookups.c.tenant == tenant))
    count = 0
    for record in records.indexed(tx, tenant, list(CATEGORIES)):
        index(tx, record.id, tenant, record.subject_id, record.category, record.value)
        count += 1
    tx.audit("reindex_lookups", "tenant", None, tenant=tenant, details={"records": count})
    return count


def rebuild(ledger: Ledger, tenant: str | None = None) -> int:
    """``reindex`` one tenant, or every tenant with records, each in its own unit of
    work; return how many records are indexed."""
    from keepfaith.ledger.records import records

    with ledger.reading() as tx:
        tenants = (
            [tenant]
            if tenant is not None
            else list(tx.connection.execute(sa.select(records.c.tenant).distinct()).scalars())
        )
    done = 0
    for name in tenants:
        with ledger.transaction(actor="rebuild") as tx:
            done += reindex(tx, name)
    return done
