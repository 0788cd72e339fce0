"""``audience`` is one SQL query, and selects exactly the subjects ``may()`` allows."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import sqlalchemy as sa

import keepfaith
from keepfaith.engine import Engine
from keepfaith.ledger import Ledger, Subject, consents, holds, records, statements, subjects
from tests.ledger.support import RULES, START, Clock

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
            sizes.add(len(expected))
        assert len(sizes) > 3  # the population really varies the answers
    finally:
        ledger.close()
