"""A subject as the engine sees it: an in-memory snapshot, loaded with one query.

Decisions are a pure function of a compiled statement and a ``SubjectState``; the
snapshot holds everything that function reads (status, child flag, consent per choice,
GPC, the purposes each category was collected for and where, holds) and nothing else:
no personal values.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from keepfaith.clock import utc, utcnow
from keepfaith.exceptions import NotFound
from keepfaith.ledger.consents import consent_events
from keepfaith.ledger.holds import holds
from keepfaith.ledger.records import collected_for, records
from keepfaith.ledger.rows import ConsentKind, ConsentState, Status
from keepfaith.ledger.subjects import subjects

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


@functools.cache
def snapshot_query(with_tenant: bool) -> sa.CompoundSelect[Any]:
    """One UNION ALL query returning every row the snapshot needs, tagged by kind.

    Built once (per form) with bound parameters ``subject_id`` and ``tenant``, so that
    SQLAlchemy's statement cache serves every later call without rebuilding it.
    """
    subject_id = sa.bindparam("subject_id", type_=sa.BigInteger())
    text, number, when = sa.String(), sa.Integer(), sa.DateTime(timezone=True)
    flags = (
        sa.case((subjects.c.known_child, 1), else_=0)
        + sa.case((subjects.c.gpc, 2), else_=0)
        + sa.case((subjects.c.restricted_at.is_not(None), 4), else_=0)
        + sa.func.coalesce(subjects.c.age_under, 0) * 8
    )
    subject = sa.select(
        sa.literal("s", text).label("tag"),
        subjects.c.tenant.label("v1"),
        subjects.c.kind.label("v2"),
        subjects.c.statement_version.label("v3"),
        subjects.c.status.label("v4"),
        subjects.c.jurisdiction.label("v5"),
        flags.label("num"),
        subjects.c.gpc_at.label("moment"),
        subjects.c.dnt_at.label("moment2"),
    ).where(subjects.c.id == subject_id)
    if with_tenant:
        subject = subject.where(subjects.c.tenant == sa.bindparam("tenant", type_=sa.String()))
    stated = (
        sa.select(
            sa.literal("r", text),
            records.c.category,
            collected_for.c.purpose,
            records.c.collection_point,
            _null(text),
            _null(text),
            _null(number),
            _null(when),
            _null(when),
        )
        .select_from(records.outerjoin(collected_for, collected_for.c.record_id == records.c.id))
        .where(records.c.subject_id == subject_id)
    )
    events = sa.select(
        sa.literal("c", text),
        consent_events.c.choice,
        consent_events.c.kind,
        _null(text),
        _null(text),
        _null(text),
        sa.cast(consent_events.c.id, number),
        consent_events.c.at,
        _null(when),
    ).where(
        consent_events.c.subject_id == subject_id,
        consent_events.c.counts | (consent_events.c.kind == ConsentKind.NOTIFIED.value),
    )
    held = sa.select(
        sa.literal("h", text),
        holds.c.reason,
        _null(text),
        _null(text),
        _null(text),
        _null(text),
        sa.cast(holds.c.id, number),
        holds.c.until,
        _null(when),
    ).where(holds.c.subject_id == subject_id, holds.c.released_at.is_(None))
    return sa.union_all(subject, stated, events, held)


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
    head = next((row for row in rows if row.tag == "s"), None)
    if head is None:
        where = f" in tenant {tenant!r}" if tenant is not None else ""
        raise NotFound(f"no subject {subject_id}{where}")
    collected: dict[str, set[str]] = {}
    points: dict[str, set[str]] = {}
    events: list[tuple[dt.datetime, int, str, str]] = []
    notified: dict[str, dt.datetime] = {}
    held: list[tuple[str, dt.datetime | None]] = []
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
    history: dict[str, list[tuple[dt.datetime, str]]] = {}
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
        holds=tuple(held),
        as_of=as_of,
    )
