"""Notices of a material change (ES-17, PA-32): who is emailed, who is not contacted.

Estara emails a different use with a choice; people who opted out of all contact, or
were deleted, are not contacted and their data is not used the new way. Its rule has no
posting window, so nobody is moved to the new use without being asked.
"""

from __future__ import annotations

from collections.abc import Callable

from keepfaith.changes import answers, effective, publish
from keepfaith.ledger import Status, subjects
from keepfaith.ledger import changes as pending
from keepfaith.ledger import messages as outbox_rows
from keepfaith.messaging import addresses
from tests.changes.conftest import loaded, new_version
from tests.messaging.conftest import World, person

Mail = Callable[..., World]
NEW = "partner_offers"
EMAIL = "user.contact.email"


def estara_people(world: World) -> dict[str, subjects.Subject]:
    def one(address: str) -> subjects.Subject:
        return person(world.ledger, "estara", "visitor", "information_request", address)

    people = {name: one(f"{name}@example.org") for name in ("told", "quiet", "gone", "off")}
    with world.ledger.transaction() as tx:
        subjects.set_status(tx, people["gone"], Status.DELETED)
        digest = addresses.digest(world.settings.secret_key, "quiet@example.org")
        outbox_rows.suppress(tx, "estara", digest, outbox_rows.EVERY_PURPOSE, "opted out")
        subjects.set_status(tx, people["off"], Status.DEACTIVATED)
    return people


def test_ES_17_only_people_who_may_be_contacted_are_emailed(mail: Mail) -> None:
    world = mail("estara")
    people = estara_people(world)
    text = new_version("estara", "2026-01")
    with world.ledger.transaction(actor="dpo") as tx:
        done = publish.publish(tx, loaded(text), text)
    world.work()
    [notice] = world.sink.wait_for(1)
    assert notice.recipients == ("told@example.org",)
    assert "Refuse the new use" in notice.text and "Close your account" in notice.text
    with world.ledger.reading() as tx:
        assert pending.counts(tx, done.id) == {"email": 1, "post": 2}
        assert pending.of_subject(tx, people["gone"].id) == [], "deleted: nothing at all"
    world.ledger.clock.advance(days=400)  # type: ignore[attr-defined]
    effective.apply_all_due(world.ledger)
    for name in ("quiet", "gone", "off"):
        decision = world.engine.may(people[name], NEW, EMAIL)
        assert not decision.allowed, f"{name}: their data is not used the new way"
    assert world.engine.may(people["told"], NEW, EMAIL).allowed, "told, did not object"


def test_ES_17_a_refusal_keeps_the_old_terms_and_acceptance_applies_at_once(mail: Mail) -> None:
    world = mail("estara")
    yes = person(world.ledger, "estara", "visitor", "information_request", "yes@example.org")
    no = person(world.ledger, "estara", "visitor", "information_request", "no@example.org")
    text = new_version("estara", "2026-01")
    with world.ledger.transaction(actor="dpo") as tx:
        publish.publish(tx, loaded(text), text)
    world.work()
    world.sink.wait_for(2)
    with world.ledger.transaction() as tx:
        for who, answer in ((yes, "accepted"), (no, "refused")):
            change = answers.open_change(tx, "estara", who.id)
            assert change is not None
            answers.answer(tx, "estara", change.id, answer)
    assert world.engine.may(yes, NEW, EMAIL).allowed
    world.ledger.clock.advance(days=400)  # type: ignore[attr-defined]
    effective.apply_all_due(world.ledger)
    refused = world.engine.may(no, NEW, EMAIL)
    assert not refused.allowed and "partner_offers" in refused.reason
