"""One fact, three places: the privacy center, the consent receipts and ``may()`` agree.

For random people of the five examples, random choices made the ways people make them
(ticking a box at collection, the privacy center, a link, a Global Privacy Control
signal, the cookie banner) and random questions, what the privacy center shows for a
choice, what the latest receipt of it says and what the engine decides never disagree
(issue 8).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepfaith.collect import consent as choices
from keepfaith.collect.cookie_choice import optional_categories, record_cookie_choice
from keepfaith.collect.cookies import cookie_section_version
from keepfaith.collect.receipts import receipt
from keepfaith.engine import Engine
from keepfaith.engine.compile import CompiledStatement, gpc_purposes
from keepfaith.exceptions import InvalidSubmission
from keepfaith.ledger import (
    ConsentKind,
    ConsentMethod,
    Keyring,
    Ledger,
    Subject,
    consents,
    records,
    statements,
    subjects,
)
from keepfaith.statement import Statement
from keepfaith.statement.schema import CollectionKind
from tests.conftest import EXAMPLES
from tests.ledger.support import KEY, Clock, open_ledger

SEEDS = ("estara", "starclicks", "parature", "digium", "eztalks")
POLICY = "https://example.org/privacy"
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[Ledger, Engine, Clock]]:
    clock = Clock()
    paths = [EXAMPLES / name / "statement.yaml" for name in SEEDS]
    ledger, statements = open_ledger(database_url, paths, keys=Keyring({"k1": KEY}), clock=clock)
    yield ledger, Engine(ledger, statements), clock
    ledger.close()


def _points(statement: Statement) -> list[Any]:
    return [
        p
        for p in statement.collection_points
        if not (p.detached or p.single_use or p.kind is CollectionKind.WIDGET)
    ]


@functools.cache
def _statement(seed: str) -> Statement:
    from keepfaith.statement import load

    return load(EXAMPLES / seed / "statement.yaml")


@st.composite
def people(draw: st.DrawFn) -> dict[str, Any]:
    """A seed, a collection point with some of its fields, and what the person did."""
    seed = draw(st.sampled_from(SEEDS))
    statement = _statement(seed)
    point = draw(st.sampled_from(_points(statement)))
    fields = draw(st.lists(st.sampled_from(point.fields), min_size=1, max_size=4, unique=True))
    offered = [c.id for c in choices.choices(statement)]
    acts = st.one_of(
        st.tuples(st.just("center"), st.sampled_from(offered), st.booleans())
        if offered
        else st.nothing(),
        st.tuples(st.just("link"), st.sampled_from(offered), st.just(False))
        if offered
        else st.nothing(),
        st.tuples(st.just("tick"), st.sampled_from(point.consent_for), st.just(True))
        if point.consent_for
        else st.nothing(),
        st.tuples(st.just("gpc"), st.just(""), st.just(True)),
    )
    # Names only, so that a failing example prints short (the statement is reloaded).
    return {
        "seed": seed,
        "point": point.id,
        "categories": sorted({f.category for f in fields}),
        "acts": draw(st.lists(acts, max_size=6)),
    }


def _act(
    ledger: Ledger, statement: Statement, subject: Subject, act: tuple[str, str, bool]
) -> None:
    what, choice, on = act
    if what == "gpc":
        with ledger.transaction() as tx:
            choices.record_gpc(tx, subject)
    elif what == "tick":
        # A box ticked at a collection point by a known person (collect.points.submit with
        # subject=): refused whole while a GPC signal stands against the purpose.
        with ledger.transaction() as tx:
            person = subjects.get(tx, subject.tenant, subject.id)
            if person.gpc and choice in gpc_purposes(statement, person.jurisdiction):
                return
            evidence = {"control": "checkbox", "pre_ticked": False}
            consents.record(tx, subject, choice, evidence=evidence)
    else:
        method = ConsentMethod.EXPLICIT if what == "center" else ConsentMethod.LINK
        # A GPC-blocked choice turned on is refused whole: nothing is recorded.
        with contextlib.suppress(InvalidSubmission):
            choices.change(ledger, statement, subject, {choice: on}, method=method)


@given(person=people())
@SETTINGS
def test_privacy_center_receipts_and_engine_agree(
    world: tuple[Ledger, Engine, Clock], person: dict[str, Any]
) -> None:
    ledger, engine, clock = world
    statement = _statement(person["seed"])
    point = statement.collection_point(person["point"])
    with ledger.transaction() as tx:
        subject = subjects.add(tx, statement.id, point.subjects[0])
        for category in person["categories"]:
            records.add(tx, subject, category, "x", collection_point=point.id)
    for act in person["acts"]:
        clock.advance(minutes=1)
        _act(ledger, statement, subject, act)
    assert_agreement(ledger, engine, statement, subject)


@given(
    seed=st.sampled_from([s for s in SEEDS if s != "starclicks"]),
    answers=st.lists(
        st.tuples(
            st.sets(st.sampled_from(["functional", "analytics", "advertising"])), st.booleans()
        ),
        min_size=1,
        max_size=3,
    ),
)
@SETTINGS
def test_the_cookie_banner_privacy_center_and_engine_agree(
    world: tuple[Ledger, Engine, Clock], seed: str, answers: list[tuple[set[str], bool]]
) -> None:
    ledger, engine, clock = world
    with ledger.reading() as tx:
        statement = statements.get(tx, seed)
    optional = optional_categories(statement)
    visitor = None
    recorded = None
    for accepted, gpc in answers:
        clock.advance(minutes=1)
        recorded = record_cookie_choice(
            ledger,
            statement,
            accepted=sorted(accepted & set(optional)),
            version=cookie_section_version(statement),
            secret_key="s" * 32,
            policy_url=POLICY,
            visitor=visitor,
            gpc=gpc,
        )
        visitor = recorded.visitor
    assert recorded is not None
    if recorded.subject_id is None:
        return  # no optional cookie declared: nothing stored, nothing to agree on
    with ledger.reading() as tx:
        subject = subjects.get(tx, seed, recorded.subject_id)
    shown = {s.choice.id: s.on for s in choices.current(ledger, statement, subject)}
    for category in optional:
        assert shown[choices.COOKIE_PREFIX + category] == (category in recorded.accepted)
    assert_agreement(ledger, engine, statement, subject)


# --------------------------------------------------------------------------- the checks


def assert_agreement(
    ledger: Ledger, engine: Engine, statement: Statement, subject: Subject
) -> None:
    compiled = engine.compiled(statement.id, subject.statement_version)
    with ledger.reading() as tx:
        held = {r.category: r for r in records.of(tx, subject)}
    latest = _latest_events(ledger, subject)
    for state in choices.current(ledger, statement, subject):
        item = state.choice
        for purpose in item.purposes:
            cookie_data = item.id.startswith(choices.COOKIE_PREFIX)
            asked = _fair_categories(compiled, purpose, held, cookie_data)
            decisions = [engine.may(subject, purpose, (c,)) for c in asked]
            if state.on:
                assert all(d.allowed for d in decisions), (item.id, purpose, decisions)
            elif not cookie_data:
                assert not any(d.allowed for d in decisions), (item.id, purpose, decisions)
            _assert_shares_agree(engine, compiled, subject, purpose, asked)
        if not state.on and item.id.startswith(choices.COOKIE_PREFIX):
            refused = [
                p
                for p in item.purposes
                for c in sorted(compiled.purposes[p].cookie_categories)
                if not engine.may(subject, p, (c,)).allowed
            ]
            assert refused or not any(compiled.purposes[p].cookie_categories for p in item.purposes)
        if len(item.purposes) == 1 and item.purposes[0] in latest:
            said = receipt(statement, latest[item.purposes[0]], policy_url=POLICY)
            termination = said["services"][0]["purposes"][0]["termination"]
            assert termination.startswith("withdrawn") == (state.state == "withdrawn"), item.id


def _latest_events(ledger: Ledger, subject: Subject) -> dict[str, Any]:
    latest = {}
    with ledger.reading() as tx:
        history = consents.history(tx, subject)
    for event in history:
        if event.counts and event.kind is not ConsentKind.NOTIFIED:
            latest[event.choice] = event
    return latest


def _fair_categories(
    compiled: CompiledStatement, purpose: str, held: dict[str, Any], cookie_data: bool
) -> list[str]:
    """The categories on which the choice alone decides: declared for the purpose, not
    held from elsewhere for other purposes, not barred from commercial use, and on the
    side of the cookie (or not) that the choice governs."""
    p = compiled.purposes[purpose]
    fair = []
    for category in sorted(p.categories):
        record = held.get(category)
        if record is not None and purpose not in record.purposes:
            continue  # purpose limitation decides, not the choice
        if p.commercial and not compiled.categories[category].commercial_use:
            continue
        if (
            p.commercial
            and record is not None
            and record.collection_point in compiled.non_commercial_points
        ):
            continue
        through_cookie = category in p.cookie_categories
        if (
            p.cookie_categories
            and through_cookie != cookie_data
            and p.cookie_categories != p.categories
        ):
            continue
        fair.append(category)
    return fair


def _assert_shares_agree(
    engine: Engine, compiled: CompiledStatement, subject: Subject, purpose: str, asked: list[str]
) -> None:
    """A sharing purpose answers the same with and without the recipients it names."""
    if not compiled.purposes[purpose].sharing:
        return
    for r in compiled.recipients.values():
        if purpose in r.purposes and r.basis.value in ("opt_in", "opt_out"):
            for category in asked:
                if category in r.categories:
                    alone = engine.may(subject, purpose, (category,)).allowed
                    shared = engine.may(subject, purpose, (category,), r.id).allowed
                    assert alone == shared, (purpose, r.id, category)


def test_the_property_runs_on_every_example() -> None:
    """The strategies reach every seed (a guard against a filter that empties one)."""
    from keepfaith.statement import load

    for seed in SEEDS:
        assert _points(load(EXAMPLES / seed / "statement.yaml")), seed
    assert dt.timedelta(minutes=1)
