"""Preferences: a subject's own settings (language, format...), one JSON value per key."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from keepfaith.ledger import allowances, subjects
from keepfaith.ledger.base import Id, When, metadata
from keepfaith.ledger.rows import Subject
from keepfaith.ledger.transaction import Transaction
from keepfaith.ledger.upsert import upsert

preferences = sa.Table(
    "preferences",
    metadata,
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", When, nullable=False),
)


def put(tx: Transaction, subject: Subject, key: str, value: Any) -> None:
    """Set one of the subject's preferences (any JSON value)."""
    subject = subjects.get(tx, subject.tenant, subject.id)
    upsert(
        tx.connection,
        preferences,
        {"subject_id": subject.id, "key": key, "value": value, "updated_at": tx.now()},
        ["subject_id", "key"],
    )
    tx.audit("set", "preference", subject.id, tenant=subject.tenant, details={"key": key})
    allowances.touch(tx, subject.id)


def of(tx: Transaction, subject: Subject) -> dict[str, Any]:
    """The subject's preferences by key."""
    subjects.get(tx, subject.tenant, subject.id)
    rows = tx.connection.execute(
        sa.select(preferences.c.key, preferences.c.value).where(
            preferences.c.subject_id == subject.id
        )
    )
    return {key: value for key, value in rows}
