"""A legal disclosure the statement promises to tell the person of: told through the
outbox once the request's gag period has ended, once, and not before."""

from __future__ import annotations

from collections.abc import Callable

from keepfaith import sharing
from keepfaith.ledger import legal_requests
from tests.ledger.support import Clock
from tests.messaging.conftest import World, person

Mail = Callable[..., World]
ADDRESS = "lee@example.com"


def notices(world: World) -> int:
    with world.ledger.transaction(actor="legal-notices") as tx:
        return sharing.send_notices(tx, "modern")


def test_the_person_is_told_when_the_gag_period_ends(mail: Mail) -> None:
    world = mail("modern")
    lee = person(world.ledger, "modern", "user", "signup", ADDRESS)
    with world.ledger.transaction(actor="staff:dpo") as tx:
        answered = sharing.answer(
            tx,
            world.engine,
            "modern",
            requester="Superior Court",
            kind="court_order",
            basis="court_order",
            categories=["user.contact.email"],
            reference="Order 2026/17",
            subject=lee,
            gag_days=30,
        )
    assert answered.request.notify and answered.request.gag_until is not None
    clock = world.ledger.clock
    assert isinstance(clock, Clock)
    clock.advance(days=30, seconds=-1)
    assert notices(world) == 0
    assert sharing.told_to_person(world.ledger, "modern", lee.id) == []
    clock.advance(seconds=1)
    assert notices(world) == 1
    assert notices(world) == 0  # once
    world.work()
    [told] = world.sink.to(ADDRESS)
    assert "Superior Court" in told.text and "Order 2026/17" in told.text
    with world.ledger.reading() as tx:
        [kept] = legal_requests.of(tx, "modern")
    assert kept.notified_at == clock.now
    assert [d.reference for d in sharing.told_to_person(world.ledger, "modern", lee.id)] == [
        "Order 2026/17"
    ]


def test_no_notice_where_the_statement_promises_none(mail: Mail) -> None:
    world = mail("parature")
    ann = person(world.ledger, "parature", "customer", "correspondence", ADDRESS)
    with world.ledger.transaction(actor="staff:dpo") as tx:
        answered = sharing.answer(
            tx,
            world.engine,
            "parature",
            requester="Police",
            kind="warrant",
            basis="law_enforcement",
            categories=["user.name"],
            subject=ann,
        )
    assert not answered.request.notify
    with world.ledger.transaction() as tx:
        assert sharing.send_notices(tx, "parature") == 0
