"""A subject as the engine sees it: an in-memory snapshot, loaded with one query.

Decisions are a pure function of a compiled statement and a ``SubjectState``; the
snapshot holds everything that function reads (status, child flag, consent per choice,
GPC and Do Not Track, jurisdiction, restriction, the purposes each category was
collected for and where, holds) and nothing else: no personal values. ``load_state``
reads one subject; ``load_states`` reads every subject of a range of ids with the same
query, for rebuilding what is derived from them (``keepfaith.ledger.allowances``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from keepfaith.clock import utc, utcnow
from keepfaith.exceptions import NotFound

# Modules, not their tables: each of them refreshes allowances, which reads snapshots.
from keepfaith.ledger import changes, consents, holds, records, subjects
from keepfaith.ledger.rows import ConsentKind, ConsentState, Status

# The enum members under short names: the rules compare with them in their hottest path.
GIVEN = ConsentState.GIVEN
WITHDRAWN = ConsentState.WITHDRAWN
ACTIVE = Status.ACTIVE

History = tuple[tuple[dt.datetime, str], ...]


@dataclass(frozen=True, slots=True)
class SubjectState:
    """What the engine knows of one subject when it decides.

    ``consent`` is the latest counting state per choice (``given`` or ``withdrawn``; a
    choice is a purpose id or ``recipient:<id>``); ``history`` the counting events in
    time order, for decisions at a past time. ``collected`` maps each category the
    subject has records of to the purposes stated at collection, and ``points`` to the
    collection points ('' for an outside source) it came from.
    """

    tenant: str
    version: str
    kind: str = ""
    subject_id: int | None = None
    status: str = ACTIVE
    known_child: bool = False
    gpc: bool = False
    gpc_at: dt.datetime | None = None
    """When the Global Privacy Control signal was first recorded (``None``: unknown)."""
    jurisdiction: str | None = None
    """The statement's jurisdiction the person is in (``None``: unknown)."""
    restricted: bool = False
    """Processing is restricted at the person's request."""
    dnt_at: dt.datetime | None = None
    """When a Do Not Track signal was first recorded (``None``: never)."""
    age_under: int | None = None
    consent: Mapping[str, str] = field(default_factory=dict)
    history: Mapping[str, History] = field(default_factory=dict)
    notified: Mapping[str, dt.datetime] = field(default_factory=dict)
    collected: Mapping[str, frozenset[str]] = field(default_factory=dict)
    points: Mapping[str, frozenset[str]] = field(default_factory=dict)
    holds: tuple[tuple[str, dt.datetime | None], ...] = ()
    as_of: dt.datetime | None = None
    """When the snapshot was read, on the ledger's clock: "now" for a decision without
    a time of its own."""
    pending: tuple[str, dt.datetime | None] | None = None
    """An open change of version: the version it moves to, and when it applies by time
    alone (``None``: not before the person is told)."""
    refused: tuple[tuple[str, str], ...] = ()
    """The changes of version the person refused, oldest first, as (from, to): they are
    on the new version, but each use a refused change altered is decided under the
    version it came from (ES-17, PA-32: kept on the old terms for the changed use)."""

    def version_at(self, at: dt.datetime | None) -> str:
        """The statement version the person is decided under now (``at=None``) or at
        ``at``: the new one of a pending change once it is due, their own until then."""
        if self.pending is None:
            return self.version
        to_version, due = self.pending
        if due is None or due > (at or self.as_of or utcnow()):
            return self.version
        return to_version

    def consent_at(self, choice: str, at: dt.datetime | None) -> str | None:
        """The counting consent state of a choice now (``at=None``) or at a time."""
        if at is None:
            return self.consent.get(choice)
        state = None
        for when, value in self.history.get(choice, ()):
            if when > at:
                break
            state = value
        return state

    def dnt_at_time(self, at: dt.datetime | None) -> bool:
        """Whether a Do Not Track signal stands now (``at=None``) or at ``at``."""
        return self.dnt_at is not None and (at is None or self.dnt_at <= at)

    def gpc_objects_at(self, at: dt.datetime | None) -> bool:
        """Whether a Global Privacy Control signal stands now (``at=None``) or at ``at``."""
        return self.gpc and (at is None or self.gpc_at is None or self.gpc_at <= at)

    def changed_at(self, choice: str, at: dt.datetime | None) -> dt.datetime | None:
        """When the counting consent state of a choice (now, or at ``at``) was set."""
        found = None
        for when, _value in self.history.get(choice, ()):
            if at is not None and when > at:
                break
            found = when
        return found

    def active_hold(self, at: dt.datetime | None) -> str | None:
        """The reason of a hold in force at ``at`` (now by default), if any."""
        moment = at or self.as_of or utcnow()
        for reason, until in self.holds:
            if until is None or until > moment:
                return reason
        return None


def _null(kind: sa.types.TypeEngine[Any]) -> sa.ColumnElement[Any]:
    return sa.cast(sa.null(), kind)


Condition = sa.ColumnElement[bool]


def _one(column: sa.ColumnElement[Any]) -> Condition:
    return column == sa.bindparam("subject_id", type_=sa.BigInteger())


def _range(column: sa.ColumnElement[Any]) -> Condition:
    low = sa.bindparam("low", type_=sa.BigInteger())
    return column.between(low, sa.bindparam("high", type_=sa.BigInteger()))


@functools.cache
def snapshot_query(with_tenant: bool, many: bool = False) -> sa.CompoundSelect[Any]:
    """One UNION ALL query returning every row the snapshot needs, tagged by kind and
    by subject (``sid``).

    For one subject (bound ``subject_id``, and ``tenant`` when ``with_tenant``), or for
    every subject with an id from ``low`` to ``high`` (``many``). Built once per form,
    so that SQLAlchemy's statement cache serves every later call without rebuilding it.
    """
    mine: Callable[[sa.ColumnElement[Any]], Condition] = _range if many else _one
    s, r, cf = subjects.subjects, records.records, records.collected_for
    e, h = consents.consent_events, holds.holds
    text, number, when = sa.String(), sa.Integer(), sa.DateTime(timezone=True)
    flags = (
        sa.case((s.c.known_child, 1), else_=0)
        + sa.case((s.c.gpc, 2), else_=0)
        + sa.case((s.c.restricted_at.is_not(None), 4), else_=0)
        + sa.func.coalesce(s.c.age_under, 0) * 8
    )
    subject = sa.select(
        s.c.id.label("sid"),
        sa.literal("s", text).label("tag"),
        s.c.tenant.label("v1"),
        s.c.kind.label("v2"),
        s.c.statement_version.label("v3"),
        s.c.status.label("v4"),
        s.c.jurisdiction.label("v5"),
        flags.label("num"),
        s.c.gpc_at.label("moment"),
        s.c.dnt_at.label("moment2"),
    ).where(mine(s.c.id))
    if with_tenant:
        subject = subject.where(s.c.tenant == sa.bindparam("tenant", type_=sa.String()))
    stated = (
        sa.select(
            r.c.subject_id,
            sa.literal("r", text),
            r.c.category,
            cf.c.purpose,
            r.c.collection_point,
            _null(text),
            _null(text),
            _null(number),
            _null(when),
            _null(when),
        )
        .select_from(r.outerjoin(cf, cf.c.record_id == r.c.id))
        .where(mine(r.c.subject_id))
    )
    events = sa.select(
        e.c.subject_id,
        sa.literal("c", text),
        e.c.choice,
        e.c.kind,
        _null(text),
        _null(text),
        _null(text),
        sa.cast(e.c.id, number),
        e.c.at,
        _null(when),
    ).where(
        mine(e.c.subject_id),
        e.c.counts | (e.c.kind == ConsentKind.NOTIFIED.value),
    )
    held = sa.select(
        h.c.subject_id,
        sa.literal("h", text),
        h.c.reason,
        _null(text),
        _null(text),
        _null(text),
        _null(text),
        sa.cast(h.c.id, number),
        h.c.until,
        _null(when),
    ).where(mine(h.c.subject_id), h.c.released_at.is_(None))
    vc = changes.version_changes
    waiting = sa.select(
        vc.c.subject_id,
        sa.literal("p", text),
        vc.c.to_version,
        _null(text),
        _null(text),
        _null(text),
        _null(text),
        sa.cast(vc.c.id, number),
        vc.c.due_at,
        _null(when),
    ).where(mine(vc.c.subject_id), vc.c.answer.is_(None), vc.c.applied_at.is_(None))
    refused = sa.select(
        vc.c.subject_id,
        sa.literal("k", text),
        vc.c.from_version,
        vc.c.to_version,
        _null(text),
        _null(text),
        _null(text),
        sa.cast(vc.c.id, number),
        _null(when),
        _null(when),
    ).where(mine(vc.c.subject_id), vc.c.answer == "refused")
    return sa.union_all(subject, stated, events, held, waiting, refused)


def load_state(
    connection: sa.Connection,
    subject_id: int,
    tenant: str | None,
    as_of: dt.datetime | None = None,
) -> SubjectState:
    """Read a subject's snapshot with one query; ``NotFound`` if not in ``tenant``.

    ``as_of`` is the time of the read on the ledger's clock (``SubjectState.as_of``).
    """
    query = snapshot_query(tenant is not None)
    rows = connection.execute(query, {"subject_id": subject_id, "tenant": tenant}).all()
    if not any(row.tag == "s" for row in rows):
        where = f" in tenant {tenant!r}" if tenant is not None else ""
        raise NotFound(f"no subject {subject_id}{where}")
    return _state(subject_id, rows, as_of)


def load_states(
    connection: sa.Connection, low: int, high: int, as_of: dt.datetime | None = None
) -> list[SubjectState]:
    """The snapshots of every subject with an id from ``low`` to ``high``, by id, read
    with one query."""
    rows = connection.execute(snapshot_query(False, many=True), {"low": low, "high": high})
    by_subject: dict[int, list[Any]] = {}
    for row in rows:
        by_subject.setdefault(int(row.sid), []).append(row)
    found = (sid for sid, mine in by_subject.items() if any(r.tag == "s" for r in mine))
    return [_state(sid, by_subject[sid], as_of) for sid in sorted(found)]


def _state(subject_id: int, rows: Sequence[Any], as_of: dt.datetime | None) -> SubjectState:
    """The snapshot a subject's rows of ``snapshot_query`` describe."""
    head = next(row for row in rows if row.tag == "s")
    collected: dict[str, set[str]] = {}
    points: dict[str, set[str]] = {}
    events: list[tuple[dt.datetime, int, str, ConsentState]] = []
    notified: dict[str, dt.datetime] = {}
    held: list[tuple[str, dt.datetime | None]] = []
    pending: tuple[int, str, dt.datetime | None] | None = None
    refused: list[tuple[int, str, str]] = []
    for row in rows:
        if row.tag == "r":
            collected.setdefault(row.v1, set())
            if row.v2:  # "" marks a record collected for no stated purpose
                collected[row.v1].add(row.v2)
            points.setdefault(row.v1, set()).add(row.v3 or "")
        elif row.tag == "c":
            at = utc(row.moment)
            if row.v2 == ConsentKind.NOTIFIED:
                notified[row.v1] = min(at, notified.get(row.v1, at))
            else:
                events.append(
                    (at, int(row.num), row.v1, WITHDRAWN if row.v2 == WITHDRAWN else GIVEN)
                )
        elif row.tag == "h":
            held.append((row.v1, utc(row.moment) if row.moment is not None else None))
        elif row.tag == "k":
            refused.append((int(row.num), row.v1, row.v2))
        elif row.tag == "p" and (pending is None or int(row.num) > pending[0]):
            pending = (int(row.num), row.v1, utc(row.moment) if row.moment else None)
    history: dict[str, list[tuple[dt.datetime, ConsentState]]] = {}
    for at, _id, choice, state in sorted(events):
        history.setdefault(choice, []).append((at, state))
    return SubjectState(
        tenant=head.v1,
        version=head.v3,
        kind=head.v2,
        subject_id=subject_id,
        status=head.v4,
        known_child=bool(int(head.num) & 1),
        gpc=bool(int(head.num) & 2),
        gpc_at=utc(head.moment) if head.moment is not None else None,
        jurisdiction=head.v5,
        restricted=bool(int(head.num) & 4),
        dnt_at=utc(head.moment2) if head.moment2 is not None else None,
        age_under=(int(head.num) >> 3) or None,
        consent={choice: items[-1][1] for choice, items in history.items()},
        history={choice: tuple(items) for choice, items in history.items()},
        notified=notified,
        collected={c: frozenset(p) for c, p in collected.items()},
        points={c: frozenset(p) for c, p in points.items()},
        holds=tuple(sorted(held, key=_hold_order)),
        as_of=as_of,
        pending=pending[1:] if pending is not None else None,
        refused=tuple((old, new) for _id, old, new in sorted(refused)),
    )


def _hold_order(hold: tuple[str, dt.datetime | None]) -> tuple[str, dt.datetime]:
    return (hold[0], hold[1] or dt.datetime.max.replace(tzinfo=dt.UTC))
