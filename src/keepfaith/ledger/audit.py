"""The audit chain: an append-only list of what changed, each entry hashing the previous.

An entry's hash is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of its
position, time, tenant, actor, action, object, object id, details and the previous hash.
Details hold ids, category keys and purposes only, never a person's values. Altering an
entry breaks its own hash; removing or reordering one breaks the next entry's link; cutting
the tail disagrees with ``audit_head``. ``verify`` reports the first entry that fails.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from keepfaith.exceptions import AuditChainBroken
from keepfaith.ledger.base import Id, Tenant, metadata

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("position", Id, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("tenant", Tenant, nullable=True),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("object", sa.String(32), nullable=False),
    sa.Column("object_id", sa.String(64), nullable=True),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("previous", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("position", Id, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
"""One row: the last entry's position and hash, so that cutting the chain's tail shows."""

GENESIS = "0" * 64
"""The ``previous`` hash of the first entry."""


@dataclass(frozen=True)
class AuditEntry:
    """One link of the chain, as stored."""

    position: int
    at: str
    tenant: str | None
    actor: str
    action: str
    object: str
    object_id: str | None
    details: str
    previous: str
    hash: str

    def detail(self) -> dict[str, Any]:
        """The details as a dict."""
        return dict(json.loads(self.details))


@dataclass(frozen=True)
class Change:
    """An entry waiting in a transaction, before its position and hash are known."""

    at: str
    tenant: str | None
    actor: str
    action: str
    object: str
    object_id: str | None
    details: str


def canonical(value: Any) -> str:
    """The canonical JSON of a value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def timestamp(when: dt.datetime) -> str:
    """An entry's time as fixed-width ISO 8601 in UTC."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def change(
    *,
    at: dt.datetime,
    tenant: str | None,
    actor: str,
    action: str,
    object: str,
    object_id: object = None,
    details: Mapping[str, Any] | None = None,
) -> Change:
    return Change(
        at=timestamp(at),
        tenant=tenant,
        actor=actor,
        action=action,
        object=object,
        object_id=None if object_id is None else str(object_id),
        details=canonical(dict(details or {})),
    )


def entry_hash(position: int, change: Change | AuditEntry, previous: str) -> str:
    body = {
        "position": position,
        "at": change.at,
        "tenant": change.tenant,
        "actor": change.actor,
        "action": change.action,
        "object": change.object,
        "object_id": change.object_id,
        "details": change.details,
        "previous": previous,
    }
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def append(connection: sa.Connection, changes: Iterable[Change]) -> None:
    """Append changes after the current head, inside the caller's transaction.

    Appenders are serialised so that two concurrent transactions never claim the same
    position: by an advisory transaction lock on PostgreSQL, by the writer lock on SQLite.
    """
    pending = list(changes)
    if not pending:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(7246115)"))
    else:  # a no-op write takes SQLite's writer lock before the head is read
        connection.execute(audit_head.update().values(position=audit_head.c.position))
    head = connection.execute(sa.select(audit_head.c.position, audit_head.c.hash)).first()
    position, previous = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    rows = []
    for item in pending:
        position += 1
        digest = entry_hash(position, item, previous)
        rows.append({**item.__dict__, "position": position, "previous": previous, "hash": digest})
        previous = digest
    connection.execute(audit_entries.insert(), rows)
    if head is None:
        connection.execute(audit_head.insert().values(id=1, position=position, hash=previous))
    else:
        connection.execute(audit_head.update().values(position=position, hash=previous))


def entries(connection: sa.Connection, after: int = 0) -> Iterator[AuditEntry]:
    """Entries in position order, streamed."""
    query = (
        sa.select(audit_entries)
        .where(audit_entries.c.position > after)
        .order_by(audit_entries.c.position)
    )
    for row in connection.execute(query):
        yield AuditEntry(**row._mapping)


def verify(connection: sa.Connection) -> int:
    """Check the whole chain; return the number of entries or raise ``AuditChainBroken``."""
    previous, expected = GENESIS, 1
    for entry in entries(connection):
        if entry.position != expected:
            raise AuditChainBroken(expected, "entry is missing (removed)")
        if entry.previous != previous:
            raise AuditChainBroken(
                expected, "does not link to the entry before (removed or reordered)"
            )
        if entry_hash(entry.position, entry, entry.previous) != entry.hash:
            raise AuditChainBroken(expected, "content does not match its hash (altered)")
        previous, expected = entry.hash, expected + 1
    count = expected - 1
    head = connection.execute(sa.select(audit_head.c.position, audit_head.c.hash)).first()
    head_position, head_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    if head_position != count or head_hash != previous:
        raise AuditChainBroken(count + 1, "entries after this one were removed (head differs)")
    return count
