"""A refusal is scoped to the uses the change altered (ES-17, PA-32).

The person refusing is kept on the old terms *for the changed use*: the new use is
refused, while what the change left alone follows the new version (here a processor the
new version adds for an existing purpose), in ``may()`` and in the audience alike.
"""

from __future__ import annotations

from collections.abc import Callable

from keepfaith.changes import answers, effective, publish
from keepfaith.ledger import subjects
from tests.changes.conftest import loaded, new_version
from tests.messaging.conftest import World, person

Mail = Callable[..., World]
NEW_USE = "partner_offers"
EMAIL = "user.contact.email"
MAILER = """
  - id: mailer
    name: Our email service provider
    kind: processor
    categories: [user.contact.email]
    purposes: [answer_information_request]
    basis: required
    under_contract: true
    clauses: [ES-11]
"""


def refused_and_accepted(world: World) -> dict[str, subjects.Subject]:
    people = {
        who: person(world.ledger, "estara", "visitor", "information_request", f"{who}@x.org")
        for who in ("no", "yes", "new")
    }
    text = new_version("estara", "2026-01").replace("\nrecipients:\n", "\nrecipients:" + MAILER, 1)
    with world.ledger.transaction(actor="dpo") as tx:
        publish.publish(tx, loaded(text), text)
    world.work()
    world.sink.wait_for(3)
    with world.ledger.transaction() as tx:
        for who, choice in (("no", "refused"), ("yes", "accepted")):
            change = answers.open_change(tx, "estara", people[who].id)
            assert change is not None
            answers.answer(tx, "estara", change.id, choice)
    return people


def test_a_refusal_keeps_only_the_changed_use_on_the_old_terms(mail: Mail) -> None:
    world = mail("estara")
    people = refused_and_accepted(world)
    engine, no = world.engine, people["no"]
    refused = engine.may(no, NEW_USE, EMAIL)
    assert not refused.allowed and NEW_USE in refused.reason, "the new use: old terms"
    shared = engine.may(no, "answer_information_request", EMAIL, recipient="mailer")
    assert shared.allowed, "what the change left alone: the new terms"
    assert engine.may(people["yes"], NEW_USE, EMAIL).allowed
    with world.ledger.reading() as tx:
        assert subjects.get(tx, "estara", no.id).statement_version == "2026-01"
    assert engine.state(no).refused == (("2003-12", "2026-01"),)
    world.ledger.clock.advance(days=400)  # type: ignore[attr-defined]
    effective.apply_all_due(world.ledger)
    assert not engine.may(no, NEW_USE, EMAIL).allowed, "still refused once others moved"


def test_the_audience_agrees_with_may_after_a_refusal(mail: Mail) -> None:
    world = mail("estara")
    people = refused_and_accepted(world)
    engine = world.engine
    with world.ledger.reading() as tx:
        for purpose, recipient in ((NEW_USE, None), ("answer_information_request", "mailer")):
            query = engine.audience("estara", purpose, EMAIL, recipient)
            chosen = {int(i) for i in tx.connection.execute(query).scalars()}
            for who, someone in people.items():
                allowed = engine.may(someone, purpose, EMAIL, recipient).allowed
                assert (someone.id in chosen) == allowed, (who, purpose)
        refusing = engine.audience("estara", NEW_USE, EMAIL)
        assert people["no"].id not in set(tx.connection.execute(refusing).scalars())
        assert people["yes"].id in set(tx.connection.execute(refusing).scalars())
