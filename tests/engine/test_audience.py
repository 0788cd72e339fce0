"""``audience`` is one SQL query, and selects exactly the subjects ``may()`` allows.

Now, it reads the allowances (one row per subject, kept in every unit of work that
changes a subject); the records-and-consents query reaches the same set the long way,
and ``rebuild`` recomputes the same rows from the records.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import keepfaith
from keepfaith.cli import app
from keepfaith.clock import utc
from keepfaith.engine import Engine
from keepfaith.ledger import (
    Ledger,
    Subject,
    allowances,
    consents,
    holds,
    records,
    statements,
    subjects,
)
from tests.ledger.support import RULES, START, Clock, read

EMAIL, NAME, LOCATION = "user.contact.email", "user.name", "user.location"
POINTS = {
    "signup": [EMAIL, NAME],
    "inquiry": [EMAIL, NAME],
    "survey": [EMAIL],
    "app": [LOCATION],
    "webinar": [EMAIL, NAME],
}
CHOICES = [
    "newsletter",
    "ads",
    "product_news",
    "follow_up",
    "routing",
    "recipient:affiliates",
    "recipient:partners",
]
QUESTIONS = [
    ("account", (EMAIL,), None),
    ("account", (EMAIL, NAME), "mailer"),
    ("follow_up", (EMAIL,), None),
    ("newsletter", (EMAIL,), None),
    ("newsletter", (EMAIL, NAME), "affiliates"),
    ("ads", (EMAIL,), None),
    ("ads", (EMAIL,), "partners"),
    ("product_news", (EMAIL,), "partners"),
    ("product_news", (EMAIL,), None),
    ("research", (EMAIL,), None),
    ("routing", (LOCATION,), "dc"),
    ("webinar", (EMAIL,), "host"),
    ("legal_keep", (NAME,), None),
    ("sell", (EMAIL,), None),
    ("profiling", (EMAIL,), None),
]


def populate(ledger: Ledger, clock: Clock, count: int) -> list[Subject]:
    """Subjects with every combination the rules look at, drawn with a fixed seed."""
    rng = random.Random(20240301)
    second = RULES.read_text(encoding="utf-8").replace('version: "1"', 'version: "2"')
    second = second.replace(
        "basis: opt_out, categories: [user.contact.email], commercial",
        "basis: opt_in, categories: [user.contact.email], commercial",
    )
    people = []
    with ledger.transaction() as tx:
        for number in range(count):
            if number == count // 2:
                statements.publish(
                    tx, keepfaith.loads(second), second
                )  # later subjects get version 2
            subject = subjects.add(tx, "rules", rng.choice(["customer", "visitor"]))
            for point in rng.sample(sorted(POINTS), rng.randint(0, 2)):
                for category in POINTS[point]:
                    records.add(tx, subject, category, "x", collection_point=point)
            if rng.random() < 0.2:
                records.add(tx, subject, NAME, "x", source="registry", purposes=[])
            for choice in rng.sample(CHOICES, rng.randint(0, 4)):
                kind = rng.choice(["given", "withdrawn", "notified", "reaffirmed"])
                method = rng.choice(["explicit", "default", "link", "gpc"])
                options = {"recipient": choice[10:]} if choice.startswith("recipient:") else {}
                consents.record(
                    tx,
                    subject,
                    None if options else choice,
                    kind=kind,
                    method=method,
                    at=START + dt.timedelta(days=rng.randint(-5, 5)),
                    **options,
                )
            if rng.random() < 0.15:
                holds.add(
                    tx, subject, "legal", until=rng.choice([None, START - dt.timedelta(days=1)])
                )
            if rng.random() < 0.15:
                subject = subjects.set_status(tx, subject, rng.choice(["deactivated", "deleted"]))
            if rng.random() < 0.1:
                subject = subjects.set_known_child(tx, subject)
            if rng.random() < 0.2:
                subject = subjects.set_gpc(tx, subject)
            people.append(subject)
    return people


@pytest.mark.parametrize("at", [None, START])
def test_audience_equals_may_over_a_varied_population(
    ledger: Ledger, engine: Engine, clock: Clock, at: dt.datetime | None
) -> None:
    people = populate(ledger, clock, 120)
    for purpose, categories, recipient in QUESTIONS:
        expected = {
            p.id for p in people if engine.may(p, purpose, categories, recipient, at).allowed
        }
        chosen = set(engine.audience_ids("rules", purpose, categories, recipient, at))
        assert chosen == expected, (purpose, categories, recipient)
        assert ids(
            ledger, engine.records_audience("rules", purpose, categories, recipient, at)
        ) == (expected)
    sizes = [len(list(engine.audience_ids("rules", q[0], q[1], q[2], at))) for q in QUESTIONS]
    assert len({size for size in sizes}) > 4  # the population really varies the answers


def test_audience_is_a_single_select(ledger: Ledger, engine: Engine) -> None:
    query = engine.audience("rules", "newsletter", [EMAIL])
    assert isinstance(query, sa.Select)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(ledger.engine, "before_cursor_execute", count)
    try:
        with ledger.engine.connect() as connection:
            connection.execute(query).all()
    finally:
        sa.event.remove(ledger.engine, "before_cursor_execute", count)
    assert len(statements) == 1


def ids(ledger: Ledger, query: sa.Select[Any]) -> set[int]:
    with ledger.engine.connect() as connection:
        return {int(i) for i in connection.execute(query).scalars()}


def agree(ledger: Ledger, engine: Engine, people: list[Subject]) -> None:
    """The audience of every question is what ``may()`` says of each person now."""
    for purpose, categories, recipient in QUESTIONS:
        expected = {p.id for p in people if engine.may(p, purpose, categories, recipient).allowed}
        assert set(engine.audience_ids("rules", purpose, categories, recipient)) == expected, (
            purpose,
            recipient,
        )


def rows(ledger: Ledger) -> dict[int, tuple[str, dt.datetime | None]]:
    """Each subject's allowances row: its profile's facts and when its holds end."""
    a, profiles = allowances.allowances, allowances.allowance_profiles
    query = sa.select(a.c.subject_id, profiles.c.facts, a.c.held_until).join(
        profiles, profiles.c.id == a.c.profile_id
    )
    with ledger.engine.connect() as connection:
        return {
            int(row.subject_id): (row.facts, row.held_until and utc(row.held_until))
            for row in connection.execute(query)
        }


def test_every_change_keeps_the_rows_and_the_audience_true(
    ledger: Ledger, engine: Engine, clock: Clock
) -> None:
    people = populate(ledger, clock, 60)
    rng = random.Random(7)
    for person in rng.sample(people, 30):  # one unit of work per change, as requests do
        clock.advance(minutes=1)
        with ledger.transaction() as tx:
            change = rng.choice(["withdraw", "give", "status", "hold", "release", "erase"])
            if change in ("withdraw", "give"):
                kind = "withdrawn" if change == "withdraw" else "given"
                consents.record(tx, person, "newsletter", kind=kind)
            elif change == "status":
                subjects.set_status(tx, person, rng.choice(["active", "deactivated"]))
            elif change == "hold":
                holds.add(tx, person, "legal", until=clock.now + dt.timedelta(days=2))
            elif change == "release":
                for hold in holds.of(tx, person):
                    holds.release(tx, hold)
            else:
                records.delete(tx, person, [EMAIL])
    people = [read(ledger, subjects.get, "rules", p.id) for p in people]
    agree(ledger, engine, people)
    clock.advance(days=3)  # the holds just added end: legal_keep loses those people
    agree(ledger, engine, people)


def test_the_rows_rebuilt_from_the_records_equal_the_maintained_ones(
    ledger: Ledger, engine: Engine, clock: Clock
) -> None:
    people = populate(ledger, clock, 80)
    maintained = rows(ledger)
    assert set(maintained) == {p.id for p in people}
    with ledger.engine.begin() as connection:
        connection.execute(allowances.allowances.delete())
    assert rows(ledger) == {}
    assert allowances.rebuild(ledger, batch=7) == len(people)
    assert rows(ledger) == maintained
    assert allowances.rebuild(ledger, "rules") == len(people)  # again: the same rows
    assert rows(ledger) == maintained
    agree(ledger, engine, people)


def test_the_command_rebuilds_the_rows(ledger: Ledger, clock: Clock) -> None:
    people = populate(ledger, clock, 20)
    maintained = rows(ledger)
    with ledger.engine.begin() as connection:
        connection.execute(allowances.allowances.delete())
    result = CliRunner().invoke(
        app, ["ledger", "rebuild-allowances", "--database-url", ledger.database_url]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"rebuilt the allowances of {len(people)} subjects\n"
    assert rows(ledger) == maintained


def test_a_rolled_back_change_leaves_its_row_and_profile_behind(
    ledger: Ledger, engine: Engine
) -> None:
    with ledger.transaction() as tx:
        ann = subjects.add(tx, "rules", "customer")
    before = rows(ledger)
    cached = dict(ledger.caches["allowance_profiles"])
    with pytest.raises(RuntimeError), ledger.transaction() as tx:
        subjects.set_known_child(tx, ann)
        consents.record(tx, ann, "newsletter")
        raise RuntimeError("stop")
    assert rows(ledger) == before
    assert ledger.caches["allowance_profiles"] == cached
    agree(ledger, engine, [ann])


def test_writers_adding_the_same_new_profile_at_once_both_commit(ledger: Ledger) -> None:
    barrier = threading.Barrier(4)

    def add(_: int) -> int:
        with ledger.transaction() as tx:
            # Together until the first write (SQLite then lets one writer at a time).
            barrier.wait(timeout=10)
            subject = subjects.add(tx, "rules", "customer")
            consents.record(tx, subject, "newsletter")
            return subject.id

    with ThreadPoolExecutor(max_workers=4) as pool:
        added = list(pool.map(add, range(4)))  # re-raises any worker's error
    found = rows(ledger)
    assert len({found[i][0] for i in added}) == 1


PARATURE_CHOICES = [
    "affiliate_sharing",
    "recipient:affiliates",
    "partner_sharing",
    "recipient:partners",
    "ad_serving",
    "behavioural_advertising",
    "site_analytics",
]
PARATURE_QUESTIONS = [
    ("ad_serving", ("user.device.cookie_id",), None),
    ("site_analytics", ("user.device.cookie_id",), "analytics_provider"),
    ("behavioural_advertising", ("user.device.cookie_id",), "fetchback"),
    ("affiliate_sharing", (NAME, EMAIL), "affiliates"),
    ("affiliate_sharing", (NAME,), None),
    ("partner_sharing", (NAME,), "partners"),
    ("partner_sharing", (NAME,), None),
    ("respond_to_requests", (NAME,), None),
]


@pytest.mark.parametrize("at", [None, START])
def test_audience_equals_may_for_cookies_sharing_purposes_and_gpc_times(
    database_url: str, at: dt.datetime | None
) -> None:
    """Issue 8's rules: cookie consent whatever the basis, consent to a sharing purpose
    counting for its recipient (the later choice wins), GPC from its time on."""
    from tests.conftest import EXAMPLES
    from tests.ledger.support import open_ledger

    clock = Clock(START - dt.timedelta(days=3))
    ledger, published = open_ledger(
        database_url, [EXAMPLES / "parature" / "statement.yaml"], clock=clock
    )
    engine = Engine(ledger, published)
    rng = random.Random(20261201)
    people = []
    try:
        with ledger.transaction() as tx:
            for _ in range(80):
                subject = subjects.add(tx, "parature", "customer")
                point = rng.choice(["contact_form", "third_party_cookies", "registration"])
                declared = statements.get(tx, "parature").collection_point(point)
                for field in declared.fields[:4]:
                    records.add(tx, subject, field.category, "x", collection_point=point)
                for choice in rng.sample(PARATURE_CHOICES, rng.randint(0, 4)):
                    options = {"recipient": choice[10:]} if choice.startswith("recipient:") else {}
                    consents.record(
                        tx,
                        subject,
                        None if options else choice,
                        kind=rng.choice(["given", "withdrawn"]),
                        at=START + dt.timedelta(hours=rng.randint(-48, 48)),
                        **options,
                    )
                if rng.random() < 0.3:
                    clock.now = START + dt.timedelta(hours=rng.randint(-48, 48))
                    subject = subjects.set_gpc(tx, subject)
                people.append(subject)
        for purpose, categories, recipient in PARATURE_QUESTIONS:
            expected = {
                p.id for p in people if engine.may(p, purpose, categories, recipient, at).allowed
            }
            chosen = set(engine.audience_ids("parature", purpose, categories, recipient, at))
            assert chosen == expected, (purpose, categories, recipient)
            long_way = engine.records_audience("parature", purpose, categories, recipient, at)
            assert ids(ledger, long_way) == expected, (purpose, categories, recipient)
            assert 0 < len(expected) < len(people), (purpose, recipient)
    finally:
        ledger.close()


MODERN_QUESTIONS = [
    ("product_news", (EMAIL,), None),
    ("account_security", (EMAIL,), None),
    ("audience_matching", ("user.contact.email.hashed",), "ad_partner"),
    ("ad_measurement", ("user.device.cookie_id",), None),
    ("vital_emergencies", ("user.device.ip_address",), None),
    ("provide_service", (EMAIL,), "workplace"),
]


@pytest.mark.parametrize("at", [None, START])
def test_audience_equals_may_per_jurisdiction_restriction_and_minors(
    database_url: str, at: dt.datetime | None
) -> None:
    """Issue 15's rules: each person under their jurisdiction's plan, restriction,
    objection, the minors' opt-in, GPC where honoured."""
    from tests.conftest import EXAMPLES
    from tests.ledger.support import open_ledger

    clock = Clock(START - dt.timedelta(days=3))
    ledger, published = open_ledger(
        database_url, [EXAMPLES / "modern" / "statement.yaml"], clock=clock
    )
    engine = Engine(ledger, published)
    rng = random.Random(15)
    people = []
    try:
        with ledger.transaction() as tx:
            for _ in range(90):
                subject = subjects.add(tx, "modern", "user")
                for category, point in (
                    (EMAIL, "signup"),
                    ("user.device.cookie_id", "site_trackers"),
                    ("user.device.ip_address", "server_logs"),
                ):
                    if rng.random() < 0.8:
                        records.add(tx, subject, category, "x", collection_point=point)
                records.add(
                    tx,
                    subject,
                    "user.contact.email.hashed",
                    "h",
                    source="derived",
                    purposes=["audience_matching"],
                )
                place = rng.choice([None, "eea", "uk", "california"])
                if place:
                    subject = subjects.set_jurisdiction(tx, subject, place)
                for choice in rng.sample(
                    [
                        "product_news",
                        "account_security",
                        "audience_matching",
                        "ad_measurement",
                        "recipient:ad_partner",
                    ],
                    rng.randint(0, 3),
                ):
                    options = {"recipient": choice[10:]} if choice.startswith("recipient:") else {}
                    consents.record(
                        tx,
                        subject,
                        None if options else choice,
                        kind=rng.choice(["given", "withdrawn"]),
                        at=START + dt.timedelta(hours=rng.randint(-48, 48)),
                        **options,
                    )
                if rng.random() < 0.2:
                    subject = subjects.set_restricted(tx, subject)
                if rng.random() < 0.2:
                    subject = subjects.set_age_under(tx, subject, 16)
                if rng.random() < 0.2:
                    clock.now = START + dt.timedelta(hours=rng.randint(-48, 48))
                    subject = subjects.set_gpc(tx, subject)
                if rng.random() < 0.2:
                    subject = subjects.set_dnt(tx, subject)
                people.append(subject)
        sizes = set()
        for purpose, categories, recipient in MODERN_QUESTIONS:
            expected = {
                p.id for p in people if engine.may(p, purpose, categories, recipient, at).allowed
            }
            chosen = set(engine.audience_ids("modern", purpose, categories, recipient, at))
            assert chosen == expected, (purpose, categories, recipient)
            long_way = engine.records_audience("modern", purpose, categories, recipient, at)
            assert ids(ledger, long_way) == expected, (purpose, categories, recipient)
            sizes.add(len(expected))
        assert len(sizes) > 3  # the population really varies the answers
    finally:
        ledger.close()
