"""What each subject currently allows: one row per subject, so that an audience is a scan.

Every fact the engine decides on (status, child flag, GPC, consent per choice, notices,
the purposes and collection points of each category held, holds) is summed up as the
subject's *profile*: those facts without ids or times, stored once per tenant in
``allowance_profiles`` and shared by every subject who has the same ones. A subject's
row in ``allowances`` names its profile and when its last hold ends. Asking "who may we
email for purpose P now" then means deciding each distinct profile once, with the
engine's own rules, and selecting the rows of the allowed profiles: one query over one
narrow table, whatever the number of people.

The row is kept in the same unit of work as every change to the facts: each write that
changes a subject calls ``touch(tx, subject_id)``, and just before the commit the row
is recomputed from the subject's snapshot. ``rebuild`` recomputes every row from the
records, which gives the same rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from keepfaith.clock import utc

# Modules, not their names: the concerns' writes call ``touch`` while they load.
from keepfaith.ledger import snapshot, subjects
from keepfaith.ledger.base import Id, Tenant, When, metadata
from keepfaith.ledger.transaction import Ledger, Transaction
from keepfaith.ledger.upsert import upsert

if TYPE_CHECKING:
    from keepfaith.ledger.snapshot import SubjectState

allowance_profiles = sa.Table(
    "allowance_profiles",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("facts", sa.Text, nullable=False),
    sa.UniqueConstraint("tenant", "digest", name="uq_allowance_profiles_tenant_digest"),
)

allowances = sa.Table(
    "allowances",
    metadata,
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id"), primary_key=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("profile_id", Id, sa.ForeignKey("allowance_profiles.id"), nullable=False),
    sa.Column("held_until", When, nullable=True),
    sa.Index("ix_allowances_tenant_profile", "tenant", "profile_id", "subject_id"),
)

HELD_UNTIL_RELEASED = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
"""``held_until`` of a subject with a hold that has no end date of its own."""

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
"""The time a profile gives a notice or a signal: a decision now reads only that it was
given."""

_TOUCHED = "allowances.touched"
"""``tx.memo`` key: the subjects whose rows this unit of work must recompute."""


def touch(tx: Transaction, subject_id: int) -> None:
    """Recompute the subject's row before this unit of work commits (once, however often
    its facts changed in it)."""
    touched: set[int] | None = tx.memo.get(_TOUCHED)
    if touched is None:
        touched = tx.memo[_TOUCHED] = set()
        tx.before_commit(lambda: refresh(tx, sorted(tx.memo.pop(_TOUCHED))))
    touched.add(subject_id)


def refresh(tx: Transaction, subject_ids: Iterable[int]) -> None:
    """Recompute the rows of these subjects from their snapshots, now."""
    now = tx.now()
    for subject_id in subject_ids:
        state = snapshot.load_state(tx.connection, subject_id, None, now)
        upsert(tx.connection, allowances, _row(tx, state), ["subject_id"])


def move_version(tx: Transaction, tenant: str, people: sa.Select[Any], version: str) -> int:
    """Re-point the rows of the subjects ``people`` selects (ids, read before their
    ``statement_version`` is changed) at the profiles they have on ``version``, set-based.

    A change of version changes one fact of a profile, so each distinct profile among
    them is moved once (``UPDATE ... WHERE profile_id = old``), however many people
    share it; nobody's snapshot is read. Returns how many profiles were moved.
    """
    chosen = allowances.c.subject_id.in_(people.scalar_subquery())
    found = tx.connection.execute(
        sa.select(allowance_profiles.c.id, allowance_profiles.c.facts).where(
            allowance_profiles.c.id.in_(
                sa.select(allowances.c.profile_id).where(chosen).distinct().scalar_subquery()
            )
        )
    ).all()
    for old, text in found:
        facts = {**json.loads(text), "version": _encode(version)}
        new = _intern(tx, tenant, facts)
        if new != old:
            tx.connection.execute(
                allowances.update()
                .where(allowances.c.profile_id == old, chosen)
                .values(profile_id=new)
            )
    return len(found)


def rebuild(ledger: Ledger, tenant: str | None = None, *, batch: int = 20_000) -> int:
    """Recompute every subject's row (of one tenant, or all) from the ledger's records,
    a batch of ids per unit of work; return how many rows were written."""
    done = 0
    low = 0
    while True:
        with ledger.transaction(actor="rebuild") as tx:
            ids = _next_ids(tx, tenant, low, batch)
            if not ids:
                break
            states = snapshot.load_states(tx.connection, ids[0], ids[-1], tx.now())
            rows = [_row(tx, s) for s in states if tenant is None or s.tenant == tenant]
            _write(tx, rows)
            tx.audit("rebuild", "allowances", None, tenant=tenant, details={"rows": len(rows)})
        done += len(rows)
        low = ids[-1] + 1
    return done


def profile(state: SubjectState) -> dict[str, Any]:
    """The facts of a snapshot that a decision about the present reads, without its id.

    Every field of ``SubjectState`` is kept, so that a fact added to the snapshot enters
    the profile with it; only times are reduced to what a decision made now reads of
    them: whether a notice, a signal or a hold exists (its time is ``EPOCH``), and which
    choice was changed last (the history keeps each choice's latest state, at a time
    that ranks it among the others). When the holds end stays in the row.
    """
    latest = {choice: items[-1] for choice, items in state.history.items() if items}
    ranks = {when: rank for rank, when in enumerate(sorted({w for w, _ in latest.values()}))}
    facts = {
        f.name: getattr(state, f.name) for f in dataclasses.fields(state) if f.name not in _AWAY
    }
    facts["history"] = {
        choice: ((EPOCH + dt.timedelta(seconds=ranks[when]), value),)
        for choice, (when, value) in latest.items()
    }
    facts["notified"] = dict.fromkeys(state.notified, EPOCH)
    facts["gpc_at"] = EPOCH if state.gpc_at is not None else None
    facts["dnt_at"] = EPOCH if state.dnt_at is not None else None
    facts["holds"] = tuple((reason, None) for reason in sorted({r for r, _ in state.holds}))
    return {name: _encode(value) for name, value in sorted(facts.items())}


def state_of(tenant: str, facts: Mapping[str, Any]) -> SubjectState:
    """A snapshot with exactly a profile's facts (see ``profile``): its holds never end,
    its notices and signals date from ``EPOCH``."""
    return snapshot.SubjectState(tenant=tenant, **{k: _decode(v) for k, v in facts.items()})


_AWAY = frozenset({"tenant", "subject_id", "as_of", "pending"})
"""Fields of a snapshot a profile leaves out: the tenant is the profile's own column,
and the id and the time of the read are no facts about the person.

A pending change of version is left out on purpose. What it changes is *when* the
person moves, a time of their own (15 days after their email, 30 after the posting),
while a profile holds only facts that stay true until the next write; a profile with
the due time in it would be one per person and date, and one without it could not say
whether the change applies yet. So the row decides under the version the person is on,
which is what ``may()`` does until the change is due; from the due time ``may()``
decides under the new version, and ``keepfaith.changes.effective.apply_due`` (an hourly
job) then moves the person, which rewrites the row. For at most that hour an audience
still sees the old terms for such a person; nothing is sent on an audience's word
alone, since the outbox decides every message again with the person's snapshot (which
reads the pending change) just before sending it. A refused change, which lasts, is in
the profile (``refused``)."""


def _encode(value: Any) -> Any:
    """A snapshot's value as JSON that ``_decode`` turns back into the same value."""
    if isinstance(value, dt.datetime):
        return {"@time": utc(value).isoformat()}
    if isinstance(value, frozenset | set):
        return {"@set": sorted(value)}
    if isinstance(value, Mapping):
        return {"@map": [[key, _encode(item)] for key, item in sorted(value.items())]}
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(item) for item in value)
    if isinstance(value, dict):
        if "@time" in value:
            return dt.datetime.fromisoformat(value["@time"])
        if "@set" in value:
            return frozenset(value["@set"])
        return {key: _decode(item) for key, item in value["@map"]}
    return value


def profiles(tx: Transaction, tenant: str, after: int = 0) -> dict[int, SubjectState]:
    """The tenant's profiles with an id above ``after``, as snapshots (see ``state_of``)."""
    rows = tx.connection.execute(
        sa.select(allowance_profiles.c.id, allowance_profiles.c.facts).where(
            allowance_profiles.c.tenant == tenant, allowance_profiles.c.id > after
        )
    )
    return {int(row.id): state_of(tenant, json.loads(row.facts)) for row in rows}


def held_until(state: SubjectState) -> dt.datetime | None:
    """When the subject's last unreleased hold ends (``None`` without any)."""
    if not state.holds:
        return None
    return max(utc(until) if until else HELD_UNTIL_RELEASED for _, until in state.holds)


def _row(tx: Transaction, state: SubjectState) -> dict[str, Any]:
    return {
        "subject_id": state.subject_id,
        "tenant": state.tenant,
        "profile_id": _intern(tx, state.tenant, profile(state)),
        "held_until": held_until(state),
    }


def _intern(tx: Transaction, tenant: str, facts: Mapping[str, Any]) -> int:
    """The id of the profile with these facts, adding it if it is new.

    Two writers adding the same new profile at once both get its one id: the insert
    does nothing where the row exists, and the select after it sees the other's commit.
    """
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).hexdigest()
    known: dict[tuple[str, str], int] = tx.ledger.caches["allowance_profiles"]
    mine: dict[tuple[str, str], int] = tx.memo.setdefault("allowances.profiles", {})
    found = known.get((tenant, digest)) or mine.get((tenant, digest))
    if found is not None:
        return found
    insert = _insert(tx.connection).values(tenant=tenant, digest=digest, facts=text)
    tx.connection.execute(insert.on_conflict_do_nothing())
    found = tx.connection.execute(
        sa.select(allowance_profiles.c.id).where(
            allowance_profiles.c.tenant == tenant, allowance_profiles.c.digest == digest
        )
    ).scalar_one()
    # A profile added by this unit of work exists for others only once it commits.
    mine[(tenant, digest)] = int(found)
    tx.after_commit(lambda: known.__setitem__((tenant, digest), int(found)))
    return int(found)


def _insert(connection: sa.Connection) -> postgresql.Insert | sqlite.Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(allowance_profiles)
    return sqlite.insert(allowance_profiles)


def _next_ids(tx: Transaction, tenant: str | None, low: int, batch: int) -> list[int]:
    table = subjects.subjects
    query = sa.select(table.c.id).where(table.c.id >= low)
    if tenant is not None:
        query = query.where(table.c.tenant == tenant)
    return [
        int(i) for i in tx.connection.execute(query.order_by(table.c.id).limit(batch)).scalars()
    ]


def _write(tx: Transaction, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    ids = [row["subject_id"] for row in rows]
    tx.connection.execute(allowances.delete().where(allowances.c.subject_id.in_(ids)))
    tx.connection.execute(allowances.insert(), rows)
