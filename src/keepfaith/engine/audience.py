"""Audience selection: the subjects a planned question allows, as one SQL query.

Now: every distinct profile of the tenant (``keepfaith.ledger.allowances``) is decided
by the rules themselves, ``Plan.decide``, and the query selects the allowances rows of
the allowed profiles, one narrow row per subject, so the audience is exactly the set of
people ``may()`` allows. At a past time: the query says in SQL what ``Plan.decide`` says
in Python, rule for rule, over the records and the consent history
(``records_audience``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from keepfaith.engine.rules import Plan
from keepfaith.ledger.allowances import allowances
from keepfaith.ledger.consents import consent_events, consent_state
from keepfaith.ledger.holds import holds
from keepfaith.ledger.records import collected_for, records
from keepfaith.ledger.rows import ConsentKind
from keepfaith.ledger.snapshot import ACTIVE, GIVEN, WITHDRAWN
from keepfaith.ledger.subjects import subjects as s
from keepfaith.statement.schema import Basis

Condition = sa.ColumnElement[bool]


def current_audience(
    tenant: str, allowed: Sequence[int], held: Sequence[int], now: dt.datetime
) -> sa.Select[Any]:
    """``SELECT subject_id FROM allowances`` of ``tenant`` whose profile is ``allowed``,
    or ``held`` (allowed only while a hold lasts) with a hold that lasts past ``now``.

    The profile ids are written into the query, not bound one parameter each, so that a
    tenant with very many profiles stays within the databases' parameter limits.
    """
    a = allowances
    chosen: Condition = _among(a.c.profile_id, allowed)
    if held:
        chosen = sa.or_(chosen, sa.and_(_among(a.c.profile_id, held), a.c.held_until > now))
    return sa.select(a.c.subject_id).where(a.c.tenant == tenant, chosen)


def _among(column: sa.ColumnElement[Any], ids: Sequence[int]) -> Condition:
    if not ids:
        return sa.false()
    return column.in_(sa.bindparam(None, list(ids), expanding=True, literal_execute=True))


def records_audience(
    tenant: str, plans: Iterable[Plan], moment: dt.datetime, at: dt.datetime | None
) -> sa.Select[Any]:
    """``SELECT id FROM subjects`` of ``tenant`` allowed by any plan (one per version),
    decided in SQL from the records and consent tables: at ``at`` from the consent
    history, or (``at=None``) from the current consent state at ``moment``.

    ``Engine.audience`` uses it for a past time; for the present it answers from the
    allowances, and this query remains the check (and the benchmark's baseline) that
    reaches the same set the long way, with correlated probes per subject and category.
    """
    conditions = [_version(plan, at, moment) for plan in plans if plan.static is None]
    allowed = sa.or_(*conditions) if conditions else sa.false()
    return sa.select(s.c.id).where(s.c.tenant == tenant, allowed)


def _version(plan: Plan, at: dt.datetime | None, moment: dt.datetime) -> Condition:
    """One statement version's plan; with jurisdictions, each person under their own."""
    if plan.variants is None:
        return _plan(plan, at, moment)
    places = list(plan.variants)
    elsewhere = sa.or_(s.c.jurisdiction.is_(None), s.c.jurisdiction.not_in(places))
    return sa.or_(
        sa.and_(elsewhere, _plan(plan, at, moment)),
        *(sa.and_(s.c.jurisdiction == j, _plan(v, at, moment)) for j, v in plan.variants.items()),
    )


def _plan(plan: Plan, at: dt.datetime | None, moment: dt.datetime) -> Condition:
    p = plan.purpose
    assert p is not None
    # Cheap and selective first: SQL evaluates AND from the left, and a positive consent
    # is an uncorrelated ``id IN (...)`` the database can drive the whole query from.
    active: list[Condition] = [s.c.status == ACTIVE.value]
    if plan.opt_in or plan.cookie_check:
        active.append(_given(p.id, at))
    elif plan.choice_check:
        active.append(~_withdrawn(p.id, at))
    if plan.gpc_check:
        active.append(~_gpc(at))
    if plan.restrict_check:
        active.append(s.c.restricted_at.is_(None) | _given(p.id, at))
    if plan.dnt_check:
        active.append(~_dnt(at))
    if plan.minor_check:
        active.append(~_minor(plan) | _given(p.id, at))
    r = plan.recipient
    if r is not None and plan.recipient_check:
        gpc = r.gpc_objects and plan.gpc_honoured
        if plan.recipient_via_purpose:
            choices = (plan.recipient_choice, p.id)
            active.extend(_basis_latest(r.basis, choices, gpc, at))
        else:
            active.extend(_basis(r.basis, plan.recipient_choice, gpc, at))
    if plan.non_commercial_points:
        active.append(
            ~_records(
                records.c.category.in_(plan.categories),
                records.c.collection_point.in_(plan.non_commercial_points),
            )
        )
    for category in plan.categories if plan.must_come_from else ():
        active.append(
            _records(
                records.c.category == category,
                records.c.collection_point.in_(plan.must_come_from),
            )
        )
    new_use = _given(p.id, at)
    if plan.opt_out:
        new_use = new_use | (_notified(p.id, at) & ~_withdrawn(p.id, at))
    for category in plan.categories:
        active.append(_stated_for(category, p.id) | new_use)
    held = sa.and_(s.c.status != ACTIVE.value, _held(moment)) if plan.hold_purpose else sa.false()
    return sa.and_(
        s.c.statement_version == plan.compiled.version,
        sa.not_(s.c.known_child),
        sa.or_(sa.and_(*active), held),
    )


def _dnt(at: dt.datetime | None) -> Condition:
    """A Do Not Track signal stands (at ``at``: it had arrived by then)."""
    if at is None:
        return s.c.dnt_at.is_not(None)
    return s.c.dnt_at <= at


def _minor(plan: Plan) -> Condition:
    """Known to be under the age of a rule making sale and sharing opt-in where they are."""
    rules = []
    for under, where in plan.compiled.minor_sale:
        young = sa.and_(s.c.age_under.is_not(None), s.c.age_under <= under)
        if where:
            young = sa.and_(young, s.c.jurisdiction.is_(None) | s.c.jurisdiction.in_(where))
        rules.append(young)
    return sa.or_(*rules) if rules else sa.false()


def _stated_for(category: str, purpose: str) -> Condition:
    """A record of the category collected for the purpose, or no record of it at all.

    Both are seeks in the covering ``(subject_id, category, purpose)`` index of
    ``collected_for`` (every record has a row there); the usual case, data collected
    for the purpose, is decided by the first one.
    """
    cf = collected_for
    mine = (cf.c.subject_id == s.c.id, cf.c.category == category)
    return _exists(*mine, cf.c.purpose == purpose) | ~_exists(*mine)


def _basis(basis: Basis, choice: str, gpc_objects: bool, at: dt.datetime | None) -> list[Condition]:
    conditions: list[Condition] = []
    if basis is Basis.OPT_IN:
        conditions.append(_given(choice, at))
    elif basis is Basis.OPT_OUT:
        conditions.append(~_withdrawn(choice, at))
    if gpc_objects:
        conditions.append(~_gpc(at))
    return conditions


def _basis_latest(
    basis: Basis, choices: tuple[str, str], gpc_objects: bool, at: dt.datetime | None
) -> list[Condition]:
    """Like ``_basis``, on whichever of two choices was made last (a recipient's, and
    the sharing purpose that names it; the recipient's wins a tie, as in ``Plan``)."""
    latest = sa.func.coalesce(_latest_of(choices, at), "")
    conditions: list[Condition] = [latest != WITHDRAWN]
    if basis is Basis.OPT_IN:
        conditions.append(latest.in_([GIVEN, "reaffirmed"]))
    if gpc_objects:
        conditions.append(~_gpc(at))
    return conditions


def _gpc(at: dt.datetime | None) -> Condition:
    """A Global Privacy Control signal stands (at ``at``: it had arrived by then)."""
    if at is None:
        return s.c.gpc
    return sa.and_(s.c.gpc, sa.or_(s.c.gpc_at.is_(None), s.c.gpc_at <= at))


def _latest_of(choices: tuple[str, str], at: dt.datetime | None) -> sa.ScalarSelect[Any]:
    """The state of the latest counting choice among ``choices`` (the first wins ties)."""
    if at is None:
        c = consent_state
        return (
            sa.select(c.c.state)
            .where(c.c.subject_id == s.c.id, c.c.choice.in_(choices))
            .order_by(c.c.at.desc(), sa.case((c.c.choice == choices[0], 0), else_=1))
            .limit(1)
            .scalar_subquery()
        )
    e = consent_events
    return (
        sa.select(e.c.kind)
        .where(e.c.subject_id == s.c.id, e.c.choice.in_(choices), e.c.counts, e.c.at <= at)
        .order_by(e.c.at.desc(), sa.case((e.c.choice == choices[0], 0), else_=1), e.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _exists(*where: Condition) -> sa.Exists:
    """``EXISTS (SELECT 1 ...)``: with ``SELECT *`` SQLite may read the table rows
    rather than answer from a covering index."""
    return sa.select(sa.literal(1)).where(*where).exists()


def _records(*where: Condition) -> sa.Exists:
    return _exists(records.c.subject_id == s.c.id, *where)


def _given(choice: str, at: dt.datetime | None) -> Condition:
    if at is None:
        return _state(choice, GIVEN.value)
    return sa.func.coalesce(_latest(choice, at), "").in_(
        [ConsentKind.GIVEN.value, ConsentKind.REAFFIRMED.value]
    )


def _withdrawn(choice: str, at: dt.datetime | None) -> Condition:
    if at is None:
        return _state(choice, WITHDRAWN.value)
    return sa.func.coalesce(_latest(choice, at), "") == WITHDRAWN.value


def _state(choice: str, state: str) -> Condition:
    """Latest consent state, as an uncorrelated set: hashed or index-driven, not per row."""
    return s.c.id.in_(
        sa.select(consent_state.c.subject_id).where(
            consent_state.c.choice == choice, consent_state.c.state == state
        )
    )


def _latest(choice: str, at: dt.datetime) -> sa.ScalarSelect[Any]:
    """The kind of the latest counting consent event for a choice at a time (or NULL:
    callers coalesce it, since ``NOT (NULL = 'withdrawn')`` is not true)."""
    e = consent_events
    return (
        sa.select(e.c.kind)
        .where(e.c.subject_id == s.c.id, e.c.choice == choice, e.c.counts, e.c.at <= at)
        .order_by(e.c.at.desc(), e.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _notified(choice: str, at: dt.datetime | None) -> Condition:
    e = consent_events
    where = [e.c.subject_id == s.c.id, e.c.choice == choice, e.c.kind == ConsentKind.NOTIFIED.value]
    if at is not None:
        where.append(e.c.at <= at)
    return _exists(*where)


def _held(moment: dt.datetime) -> Condition:
    return _exists(
        holds.c.subject_id == s.c.id,
        holds.c.released_at.is_(None),
        sa.or_(holds.c.until.is_(None), holds.c.until > moment),
    )
