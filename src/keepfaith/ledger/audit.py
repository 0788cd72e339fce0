"""The audit log: every change, appended by its own transaction, sealed in keyed batches.

Writers never wait on one another. Each entry carries an HMAC-SHA256, under the audit key
(kept outside the database, like the encryption keys), of its content and of its place in
a *lane*: the sequence of entries written through one database connection, numbered
1, 2, 3... Transactions on one connection run one after another, so a lane needs no lock,
and a lane's number advances only once its transaction has committed (a transaction that
fails ends its lane; the connection's next one starts a new lane).

A sealer (``seal``, run by a job every ``audit_seal_seconds`` and by ``keepfaith audit
seal``) takes every entry not yet sealed that it can see, marks it with the next seal's
number, and stores the seal: the Merkle root of its entries (position and MAC, in position
order), the previous seal's MAC, and an HMAC of all that. An entry committed while a seal
is made simply waits for the next one. ``witness`` exports the newest seal, to keep
outside the database; ``verify`` checks everything against the key and a witness:

- a changed or inserted entry fails its MAC (nobody without the key can make one);
- a deleted entry leaves a gap in its lane, and changes its seal's root;
- a reordered entry runs against its lane's order, and changes its seal's root;
- a deleted or rewritten seal breaks the chain of seals; a cut tail, seals and entries
  together, shows against the last witness.

Details hold ids, category keys and purposes only, never a person's values.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from keepfaith.exceptions import ConfigurationError
from keepfaith.ledger.base import Id, Tenant, metadata

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("position", Id, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("tenant", Tenant, nullable=True),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("object", sa.String(32), nullable=False),
    sa.Column("object_id", sa.String(64), nullable=True),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("lane", sa.String(32), nullable=False),
    sa.Column("lane_seq", sa.BigInteger, nullable=False),
    sa.Column("mac", sa.String(64), nullable=False),
    sa.Column("seal", sa.BigInteger, nullable=True),
    sa.Index("ix_audit_entries_seal", "seal", "position"),
    sa.Index("ix_audit_entries_object", "tenant", "object", "object_id"),
    sqlite_autoincrement=True,
)
"""What changed, by whom, when; ``position`` orders entries (never reused, even on
SQLite), ``lane`` and ``lane_seq`` place each in its connection's lane, ``mac`` keys it,
``seal`` says which seal holds it (``NULL`` until sealed)."""

audit_seals = sa.Table(
    "audit_seals",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("sealed_at", sa.String(32), nullable=False),
    sa.Column("entries", sa.Integer, nullable=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("previous", sa.String(64), nullable=False),
    sa.Column("mac", sa.String(64), nullable=False),
)
"""One row per sealed batch: its Merkle root, the previous seal's MAC, and its own."""

DEVELOPMENT_KEY = b"keepfaith development audit key: set audit_key"
"""The key used when none is configured: fine for a laptop, worthless against tampering."""

LEGACY_LANE = "legacy-chain"
"""Entries written before sealing existed, checked by their old SHA-256 chain."""

GENESIS = "0" * 64
"""The ``previous`` of the first seal (and of the first legacy entry)."""

_LANE = "keepfaith.audit.lane"
"""Key of a connection's current lane (id, last number) in its ``info``."""


def audit_key(text: str | bytes | None) -> bytes:
    """The audit key from its setting (base64 of 32 bytes), or the development key."""
    if not text:
        return DEVELOPMENT_KEY
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError("audit_key is not base64") from None
    if len(key) < 32:
        raise ConfigurationError("audit_key must be at least 32 bytes")
    return key


@dataclass(frozen=True)
class AuditEntry:
    """One entry, as stored."""

    position: int
    at: str
    tenant: str | None
    actor: str
    action: str
    object: str
    object_id: str | None
    details: str
    lane: str
    lane_seq: int
    mac: str
    seal: int | None

    def detail(self) -> dict[str, Any]:
        """The details as a dict."""
        return dict(json.loads(self.details))


@dataclass(frozen=True)
class Change:
    """An entry waiting in a transaction, before it has a lane and a MAC."""

    at: str
    tenant: str | None
    actor: str
    action: str
    object: str
    object_id: str | None
    details: str


@dataclass(frozen=True)
class Seal:
    """A sealed batch of entries, chained to the seal before it."""

    id: int
    sealed_at: str
    entries: int
    root: str
    previous: str
    mac: str


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


def _content(item: Change | AuditEntry) -> dict[str, Any]:
    return {
        "at": item.at,
        "tenant": item.tenant,
        "actor": item.actor,
        "action": item.action,
        "object": item.object,
        "object_id": item.object_id,
        "details": item.details,
    }


def _hmac(key: bytes, value: Any) -> str:
    return hmac.new(key, canonical(value).encode("utf-8"), hashlib.sha256).hexdigest()


def entry_mac(key: bytes, lane: str, lane_seq: int, item: Change | AuditEntry) -> str:
    """The MAC of an entry's content at its place in its lane."""
    return _hmac(key, {**_content(item), "lane": lane, "lane_seq": lane_seq})


def legacy_hash(position: int, item: AuditEntry, previous: str) -> str:
    """The unkeyed chain hash entries had before sealing (kept to check old entries)."""
    body = {**_content(item), "position": position, "previous": previous}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------- writing


def append(connection: sa.Connection, changes: Iterable[Change], key: bytes) -> Callable[[], None]:
    """Insert changes as entries in the caller's transaction: one statement, no lock.

    Returns what to call once the transaction has committed: it moves the connection's
    lane on. Until then the lane is taken off the connection, so a transaction that never
    commits leaves a lane that simply ends (and no gap in one that goes on).
    """
    pending = list(changes)
    if not pending:
        return _nothing
    info = connection.info
    lane, last = info.pop(_LANE, None) or (secrets.token_hex(16), 0)
    rows = []
    for number, item in enumerate(pending, start=last + 1):
        mac = entry_mac(key, lane, number, item)
        rows.append({**item.__dict__, "lane": lane, "lane_seq": number, "mac": mac})
    connection.execute(audit_entries.insert(), rows)
    state = (lane, last + len(pending))

    def committed() -> None:
        info[_LANE] = state

    return committed


def _nothing() -> None:
    return None


def entries(connection: sa.Connection, after: int = 0) -> Iterator[AuditEntry]:
    """Entries in position order, streamed."""
    query = (
        sa.select(audit_entries)
        .where(audit_entries.c.position > after)
        .order_by(audit_entries.c.position)
    )
    for row in connection.execute(query):
        yield AuditEntry(**row._mapping)


# ---------------------------------------------------------------------- sealing


def of_object(
    connection: sa.Connection, tenant: str, object: str, object_id: str, limit: int = 500
) -> list[AuditEntry]:
    """The entries about one object of a tenant (a subject's story), oldest first."""
    query = (
        sa.select(audit_entries)
        .where(
            audit_entries.c.tenant == tenant,
            audit_entries.c.object == object,
            audit_entries.c.object_id == object_id,
        )
        .order_by(audit_entries.c.position)
        .limit(limit)
    )
    return [AuditEntry(**row._mapping) for row in connection.execute(query)]


def merkle_root(leaves: Iterable[tuple[int, str]]) -> str:
    """The Merkle root (SHA-256, leaves and nodes kept apart) of (position, MAC) pairs."""
    level = [
        hashlib.sha256(b"\x00" + canonical([position, mac]).encode()).digest()
        for position, mac in leaves
    ]
    if not level:
        return GENESIS
    while len(level) > 1:
        paired = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        level = paired + level[len(paired) * 2 :]  # an odd node rises as it is
    return level[0].hex()


def seal_mac(key: bytes, seal_id: int, sealed_at: str, count: int, root: str, previous: str) -> str:
    return _hmac(
        key,
        {
            "id": seal_id,
            "sealed_at": sealed_at,
            "entries": count,
            "root": root,
            "previous": previous,
        },
    )


def last_seal(connection: sa.Connection) -> Seal | None:
    """The newest seal, if any."""
    row = connection.execute(
        sa.select(audit_seals).order_by(audit_seals.c.id.desc()).limit(1)
    ).first()
    return Seal(**row._mapping) if row else None


BATCH = 10_000
"""Most entries one seal takes (oldest first), so a backlog never makes one huge update."""


def seal(
    connection: sa.Connection, key: bytes, now: dt.datetime, limit: int = BATCH
) -> Seal | None:
    """Seal the oldest entries this transaction sees that are not sealed yet, at most
    ``limit``; ``None`` if there were none.

    Sealers take turns (an advisory lock on PostgreSQL, the writer lock on SQLite);
    writers never wait for them.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(7246116)"))
    else:  # a no-op write takes SQLite's writer lock before anything is read
        connection.execute(audit_seals.update().where(sa.false()).values(id=audit_seals.c.id))
    previous = last_seal(connection)
    number = previous.id + 1 if previous else 1
    oldest = (
        sa.select(audit_entries.c.position)
        .where(audit_entries.c.seal.is_(None))
        .order_by(audit_entries.c.position)
        .limit(limit)
    )
    marked = connection.execute(
        audit_entries.update()
        .where(audit_entries.c.position.in_(oldest))
        .values(seal=number)
        .returning(audit_entries.c.position, audit_entries.c.mac)
    ).all()
    if not marked:
        return None
    root = merkle_root(sorted((row.position, row.mac) for row in marked))
    sealed_at = timestamp(now)
    link = previous.mac if previous else GENESIS
    made = Seal(
        number,
        sealed_at,
        len(marked),
        root,
        link,
        seal_mac(key, number, sealed_at, len(marked), root, link),
    )
    connection.execute(audit_seals.insert().values(**made.__dict__))
    return made


def witness(seal: Seal) -> dict[str, Any]:
    """What to keep outside the database to show later that no seal was cut off."""
    return {"seal": seal.id, "mac": seal.mac, "sealed_at": seal.sealed_at}


# ---------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Problem:
    """Something verification found: where (an entry, a seal, a row) and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class Verification:
    """What ``verify`` checked and found."""

    entries: int = 0
    sealed: int = 0
    seals: int = 0
    keyed: bool = True
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def found(self, where: str, what: str) -> None:
        self.problems.append(Problem(where, what))


def verify(
    connection: sa.Connection,
    key: bytes,
    known: Mapping[str, Any] | None = None,
    on_entry: Callable[[AuditEntry], None] | None = None,
) -> Verification:
    """Check every entry and seal against the key, and the seals against a witness.

    ``known`` is a witness as ``witness`` made it. ``on_entry`` sees every entry (the
    rows' check against the entries reads them here, in the same pass).
    """
    result = Verification(keyed=key != DEVELOPMENT_KEY)
    seals = {
        row.id: Seal(**row._mapping)
        for row in connection.execute(sa.select(audit_seals).order_by(audit_seals.c.id))
    }
    result.seals = len(seals)
    leaves: dict[int, list[tuple[int, str]]] = {}
    lanes: dict[str, _Lane] = {}
    legacy_previous = GENESIS
    query = sa.select(audit_entries).order_by(
        audit_entries.c.seal.nulls_last(), audit_entries.c.position
    )
    for row in connection.execute(query):
        entry = AuditEntry(**row._mapping)
        result.entries += 1
        where = f"entry {entry.position}"
        if entry.lane == LEGACY_LANE:
            if legacy_hash(entry.lane_seq, entry, legacy_previous) != entry.mac:
                result.found(where, "does not match the chain it was written in (changed)")
            elif entry.seal is None and seals:
                result.found(where, "is an unkeyed entry after sealing began (inserted)")
            legacy_previous = entry.mac
        elif not hmac.compare_digest(entry_mac(key, entry.lane, entry.lane_seq, entry), entry.mac):
            result.found(where, "content does not match its MAC (changed or inserted)")
        _check_lane(result, lanes, entry)
        if entry.seal is not None:
            result.sealed += 1
            leaves.setdefault(entry.seal, []).append((entry.position, entry.mac))
        if on_entry is not None:
            on_entry(entry)
    _report_gaps(result, lanes)
    _check_seals(result, key, seals, leaves)
    if known is not None:
        _check_witness(result, seals, known)
    return result


@dataclass
class _Lane:
    """What verification has seen of one lane so far."""

    last: int = 0
    position: int = 0
    missing: dict[int, int] = field(default_factory=dict)  # number -> entry after the gap


def _check_lane(result: Verification, lanes: dict[str, _Lane], entry: AuditEntry) -> None:
    """Numbers run 1, 2, 3... in the order of positions; a gap is a deletion, unless the
    missing number turns up later (then that entry was moved)."""
    lane = lanes.setdefault(entry.lane, _Lane())
    where = f"entry {entry.position}"
    if entry.lane_seq > lane.last:
        for number in range(lane.last + 1, entry.lane_seq):
            lane.missing[number] = entry.position
        lane.last = entry.lane_seq
    elif lane.missing.pop(entry.lane_seq, None) is not None:
        result.found(where, f"is out of its lane's order, after entry {lane.position} (reordered)")
    else:
        result.found(where, f"repeats number {entry.lane_seq} of its lane (inserted)")
    lane.position = max(lane.position, entry.position)


def _report_gaps(result: Verification, lanes: Mapping[str, _Lane]) -> None:
    for lane in lanes.values():
        gaps: dict[int, list[int]] = {}
        for number, position in lane.missing.items():
            gaps.setdefault(position, []).append(number)
        for position, numbers in sorted(gaps.items()):
            count = f"{len(numbers)} entry" if len(numbers) == 1 else f"{len(numbers)} entries"
            result.found(
                f"entry {position}",
                f"follows number {min(numbers) - 1} of its lane: {count} before it deleted",
            )


def _check_seals(
    result: Verification,
    key: bytes,
    seals: Mapping[int, Seal],
    leaves: Mapping[int, list[tuple[int, str]]],
) -> None:
    previous = GENESIS
    for expected, (number, seal) in enumerate(seals.items(), start=1):
        where = f"seal {number}"
        if number != expected:
            result.found(where, f"follows seal {expected - 1}: seals before it deleted")
        if seal.previous != previous:
            result.found(where, "does not link to the seal before it (a seal was changed)")
        mac = seal_mac(key, seal.id, seal.sealed_at, seal.entries, seal.root, seal.previous)
        if not hmac.compare_digest(mac, seal.mac):
            result.found(where, "does not match its MAC (changed)")
        found = sorted(leaves.get(number, []))
        if len(found) != seal.entries:
            result.found(where, f"sealed {seal.entries} entries, {len(found)} are left")
        elif merkle_root(found) != seal.root:
            result.found(where, "its entries do not match its root (changed, moved or replaced)")
        previous = seal.mac
    for number in sorted(set(leaves) - set(seals)):
        result.found(f"seal {number}", "is missing, but entries name it (seals cut off)")


def _check_witness(
    result: Verification, seals: Mapping[int, Seal], known: Mapping[str, Any]
) -> None:
    number, mac = known.get("seal"), known.get("mac")
    if not isinstance(number, int) or not isinstance(mac, str):
        result.found("witness", "is not a witness keepfaith wrote")
        return
    seal = seals.get(number)
    if seal is None:
        newest = max(seals, default=0)
        result.found(
            f"seal {number}", f"is in the witness but gone: the head was rewound to {newest}"
        )
    elif not hmac.compare_digest(seal.mac, mac):
        result.found(f"seal {number}", "differs from the witness (rewritten)")
