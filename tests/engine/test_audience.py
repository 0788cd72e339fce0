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
