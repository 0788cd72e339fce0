"""Personal-data records: one value of a declared category, with where it came from and
the purposes stated when it was collected.

Personal values live only in ``records.value``, encrypted when the category is sensitive
(the tenant and category are bound to the ciphertext). ``collected_for`` repeats each
record's subject, category and collection point beside each purpose stated at
collection (purpose ``""`` when none was), so that purpose limitation is one index range
in the engine's snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from keepfaith.clock import utc
from keepfaith.exceptions import ConfigurationError, NotFound, Refused
from keepfaith.ledger import allowances, lookups, statements, subjects
from keepfaith.ledger.base import Category, Id, Ident, Tenant, When, metadata
from keepfaith.ledger.crypto import Keyring
from keepfaith.ledger.rows import Record, Status, Subject, from_row
from keepfaith.ledger.transaction import Ledger, Transaction
from keepfaith.statement import Statement

records = sa.Table(
    "records",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), nullable=True),
    sa.Column("category", Category, nullable=False),
    sa.Column("value", sa.Text, nullable=True),
    sa.Column("key_id", sa.String(64), nullable=True),
    sa.Column("collection_point", Ident, nullable=True),
    sa.Column("source", sa.String(255), nullable=True),
    sa.Column("statement_version", sa.String(64), nullable=False),
    sa.Column("provenance", sa.JSON, nullable=False),
    sa.Column("anonymous", sa.Boolean, nullable=False, default=False),
    sa.Column("collected_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.Index("ix_records_subject_category", "subject_id", "category"),
    sa.Index("ix_records_tenant_category", "tenant", "category"),
)

collected_for = sa.Table(
    "collected_for",
    metadata,
    sa.Column("record_id", Id, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    sa.Column("subject_id", Id, nullable=True),
    sa.Column("category", Category, nullable=False),
    sa.Column("purpose", Ident, nullable=False),
    sa.Column("collection_point", Ident, nullable=True),
    sa.UniqueConstraint("record_id", "purpose", name="uq_collected_for_record_purpose"),
    sa.Index("ix_collected_for_subject", "subject_id", "category", "purpose"),
    sa.Index("ix_collected_for_purpose", "category", "purpose", "subject_id"),
)


def add(
    tx: Transaction,
    subject: Subject | None,
    category: str,
    value: str | None,
    *,
    tenant: str | None = None,
    collection_point: str | None = None,
    source: str | None = None,
    purposes: Iterable[str] | None = None,
    statement_version: str | None = None,
    provenance: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> Record:
    """Store one value of a declared category, with its provenance and purposes.

    ``collection_point`` (a declared point) or ``source`` (an outside source, ES-12)
    says where it came from. ``purposes`` are those stated at collection; they default
    to the collection point's. ``subject=None`` stores a detached record (feedback,
    PA-25) for ``tenant``. Sensitive categories are encrypted.
    """
    tenant = subject.tenant if subject is not None else tenant
    if tenant is None:
        raise Refused("a detached record needs its tenant")
    if subject is not None:
        subject = subjects.get(tx, tenant, subject.id)
        if subject.status is Status.DELETED:
            raise Refused(f"subject {subject.id} is deleted")
    version = statement_version or (
        subject.statement_version if subject else statements.current_version(tx, tenant)
    )
    statement = statements.get(tx, tenant, version)
    stated = _stated_purposes(statement, category, collection_point, source, purposes)
    now = tx.now()
    stored, key_id = _seal(tx.ledger, statement, tenant, category, value)
    owner = subject.id if subject else None
    row = tx.connection.execute(
        records.insert()
        .values(
            tenant=tenant,
            subject_id=owner,
            category=category,
            value=stored,
            key_id=key_id,
            collection_point=collection_point,
            source=source,
            statement_version=version,
            provenance=dict(provenance or {}),
            anonymous=False,
            collected_at=utc(at) if at is not None else now,
            updated_at=now,
        )
        .returning(*records.c)
    ).one()
    # One row per stated purpose, or one with purpose "" when none was stated, so that
    # every record of a subject shows in ``collected_for``.
    tx.connection.execute(
        collected_for.insert(),
        [
            {
                "record_id": row.id,
                "subject_id": owner,
                "category": category,
                "purpose": purpose,
                "collection_point": collection_point,
            }
            for purpose in stated or ("",)
        ],
    )
    lookups.index(tx, row.id, tenant, owner, category, value)
    details = {
        "category": category,
        "purposes": list(stated),
        "collection_point": collection_point,
        "subject": owner,
    }
    tx.audit("add", "record", row.id, tenant=tenant, details=details)
    if owner is not None:
        allowances.touch(tx, owner)
    return from_row(Record, row, value=value, purposes=stated)


def of(tx: Transaction, subject: Subject, categories: Iterable[str] | None = None) -> list[Record]:
    """The subject's records (decrypted), oldest first, optionally of some categories."""
    query = sa.select(records).where(
        records.c.subject_id == subject.id, records.c.tenant == subject.tenant
    )
    if categories is not None:
        query = query.where(records.c.category.in_(list(categories)))
    return _read(tx, query.order_by(records.c.id))


def of_subjects(
    tx: Transaction, tenant: str, subject_ids: Iterable[int], categories: Iterable[str]
) -> dict[int, list[Record]]:
    """``of`` for many subjects at once (two queries), by subject id, oldest first."""
    wanted = sorted(set(subject_ids))
    query = sa.select(records).where(
        records.c.tenant == tenant,
        records.c.subject_id.in_(wanted),
        records.c.category.in_(list(categories)),
    )
    found: dict[int, list[Record]] = {subject_id: [] for subject_id in wanted}
    for record in _read(tx, query.order_by(records.c.id)):
        if record.subject_id is not None:
            found[record.subject_id].append(record)
    return found


def indexed(tx: Transaction, tenant: str, categories: Iterable[str]) -> list[Record]:
    """The tenant's records of ``categories`` tied to a person (for ``lookups.reindex``)."""
    query = sa.select(records).where(
        records.c.tenant == tenant,
        records.c.subject_id.is_not(None),
        records.c.category.in_(list(categories)),
    )
    return _read(tx, query.order_by(records.c.id))


def detached(tx: Transaction, tenant: str) -> list[Record]:
    """The tenant's records tied to no one: detached feedback and anonymised data."""
    query = sa.select(records).where(records.c.tenant == tenant, records.c.subject_id.is_(None))
    return _read(tx, query.order_by(records.c.id))


def correct(tx: Transaction, record: Record, value: str | None) -> Record:
    """Replace a record's value (a correction), keeping its provenance and purposes."""
    statement = statements.get(tx, record.tenant, record.statement_version)
    stored, key_id = _seal(tx.ledger, statement, record.tenant, record.category, value)
    updated = tx.connection.execute(
        records.update()
        .where(records.c.id == record.id, records.c.tenant == record.tenant)
        .values(value=stored, key_id=key_id, updated_at=tx.now())
    )
    if updated.rowcount != 1:
        raise NotFound(f"no record {record.id} in tenant {record.tenant!r}")
    lookups.index(tx, record.id, record.tenant, record.subject_id, record.category, value)
    tx.audit(
        "correct", "record", record.id, tenant=record.tenant, details={"category": record.category}
    )
    if record.subject_id is not None:
        allowances.touch(tx, record.subject_id)
    return Record(**{**record.__dict__, "value": value})


def delete(tx: Transaction, subject: Subject, categories: Iterable[str] | None = None) -> int:
    """Erase the subject's records (of some categories); return how many."""
    ids = [row.id for row in _ids(tx, subject, categories)]
    _delete_ids(tx, ids)
    tx.audit(
        "delete",
        "record",
        None,
        tenant=subject.tenant,
        details={"subject": subject.id, "records": ids},
    )
    allowances.touch(tx, subject.id)
    return len(ids)


def anonymise(tx: Transaction, subject: Subject, keep: Iterable[str]) -> int:
    """Turn the subject's records of ``keep`` categories into anonymous ones (PA-02).

    Kept records lose their link to the subject and are marked anonymous; every other
    record of the subject is erased. Returns how many anonymous records remain.
    """
    keep = set(keep)
    rows = _ids(tx, subject, None)
    kept = [row.id for row in rows if row.category in keep]
    _delete_ids(tx, [row.id for row in rows if row.category not in keep])
    if kept:
        tx.connection.execute(
            records.update()
            .where(records.c.id.in_(kept))
            .values(subject_id=None, anonymous=True, updated_at=tx.now())
        )
        tx.connection.execute(
            collected_for.update()
            .where(collected_for.c.record_id.in_(kept))
            .values(subject_id=None)
        )
        lookups.forget(tx, kept)
    tx.audit(
        "anonymise",
        "subject",
        subject.id,
        tenant=subject.tenant,
        details={"kept": sorted(keep), "records": kept},
    )
    allowances.touch(tx, subject.id)
    return len(kept)


def reencrypt(tx: Transaction, keys: Keyring, limit: int) -> int:
    """Re-encrypt up to ``limit`` values not under the active key; return how many."""
    rows = tx.connection.execute(
        sa.select(
            records.c.id, records.c.tenant, records.c.category, records.c.value, records.c.key_id
        )
        .where(records.c.key_id.is_not(None), records.c.key_id != keys.active_key_id)
        .order_by(records.c.id)
        .limit(limit)
    ).all()
    for row in rows:
        context = f"{row.tenant}:{row.category}"
        key_id, token = keys.encrypt(keys.decrypt(row.key_id, row.value, context), context)
        tx.connection.execute(
            records.update().where(records.c.id == row.id).values(value=token, key_id=key_id)
        )
    if rows:
        tx.audit(
            "rotate_keys",
            "record",
            None,
            details={"records": len(rows), "key_id": keys.active_key_id},
        )
    return len(rows)


def rotate_keys(ledger: Ledger, batch: int = 1000) -> int:
    """Re-encrypt every value not under the active key, a batch per unit of work;
    return how many were."""
    keys = ledger.require_keys()
    done = 0
    while True:
        with ledger.transaction(actor="keys") as tx:
            count = reencrypt(tx, keys, batch)
        done += count
        if count < batch:
            return done


def _seal(
    ledger: Ledger, statement: Statement, tenant: str, category: str, value: str | None
) -> tuple[str | None, str | None]:
    if value is None or not statement.category(category).sensitive:
        return value, None
    key_id, token = ledger.require_keys().encrypt(value, f"{tenant}:{category}")
    return token, key_id


def _ids(tx: Transaction, subject: Subject, categories: Iterable[str] | None) -> list[Any]:
    query = sa.select(records.c.id, records.c.category).where(
        records.c.subject_id == subject.id, records.c.tenant == subject.tenant
    )
    if categories is not None:
        query = query.where(records.c.category.in_(list(categories)))
    return list(tx.connection.execute(query))


def _delete_ids(tx: Transaction, ids: list[int]) -> None:
    if ids:
        lookups.forget(tx, ids)
        tx.connection.execute(collected_for.delete().where(collected_for.c.record_id.in_(ids)))
        tx.connection.execute(records.delete().where(records.c.id.in_(ids)))


def _read(tx: Transaction, query: sa.Select[Any]) -> list[Record]:
    rows = tx.connection.execute(query).all()
    stated: dict[int, list[str]] = {}
    if rows:
        for record_id, purpose in tx.connection.execute(
            sa.select(collected_for.c.record_id, collected_for.c.purpose)
            .where(collected_for.c.record_id.in_([row.id for row in rows]))
            .order_by(collected_for.c.record_id, collected_for.c.purpose)
        ):
            if purpose:
                stated.setdefault(record_id, []).append(purpose)
    keys = tx.ledger.keys
    return [
        from_row(Record, row, value=_open(keys, row), purposes=tuple(stated.get(row.id, ())))
        for row in rows
    ]


def _open(keys: Keyring | None, row: Any) -> str | None:
    if row.key_id is None or row.value is None:
        return row.value  # type: ignore[no-any-return]
    if keys is None:
        raise ConfigurationError("encrypted values need encryption_keys to be read")
    return keys.decrypt(row.key_id, row.value, f"{row.tenant}:{row.category}")


def _stated_purposes(
    statement: Statement,
    category: str,
    point_id: str | None,
    source: str | None,
    purposes: Iterable[str] | None,
) -> tuple[str, ...]:
    """The purposes stated at collection, checked against the statement."""
    if category not in {c.id for c in statement.categories}:
        raise Refused(f"category {category!r} is not declared by {statement.id}")
    declared = {p.id for p in statement.purposes}
    if point_id is not None:
        points = {p.id: p for p in statement.collection_points}
        if point_id not in points:
            raise Refused(f"collection point {point_id!r} is not declared by {statement.id}")
        point = points[point_id]
        if category not in {f.category for f in point.fields}:
            raise Refused(f"collection point {point_id!r} does not collect {category!r}")
        stated = tuple(purposes) if purposes is not None else point.purposes
        undeclared = set(stated) - set(point.purposes)
    elif source is not None:
        stated = tuple(purposes or ())
        undeclared = set(stated) - declared
    else:
        raise Refused("a record needs its collection point or its outside source")
    if undeclared:
        raise Refused(f"purposes {sorted(undeclared)} were not stated at collection")
    return tuple(dict.fromkeys(stated))
