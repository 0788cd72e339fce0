"""Business transfers (PA-22): everyone told, with the choice to change or deactivate;
a deactivation is honoured before the transfer date, and refused after it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from keepfaith.changes import transfer
from keepfaith.exceptions import InvalidToken, Refused
from keepfaith.ledger import Status, subjects
from tests.messaging.conftest import World, person

Mail = Callable[..., World]


def announce(world: World, days: int = 30) -> transfer.BusinessTransfer:
    when = world.ledger.clock() + dt.timedelta(days=days)
    with world.ledger.transaction(actor="ceo") as tx:
        return transfer.announce(tx, "parature", "Acme Holdings", when)


def test_PA_22_everyone_is_told_and_a_deactivation_before_the_date_is_honoured(
    mail: Mail,
) -> None:
    world = mail("parature")
    ann = person(world.ledger, "parature", "customer", "registration", "ann@example.org")
    bob = person(world.ledger, "parature", "customer", "registration", "bob@example.org")
    with world.ledger.transaction() as tx:
        gone = subjects.add(tx, "parature", "customer")
        subjects.set_status(tx, gone, Status.DELETED)
    done = announce(world)
    assert done.announced_by == "ceo"
    world.work()
    notices = world.sink.wait_for(2)
    assert sorted(n.recipients[0] for n in notices) == ["ann@example.org", "bob@example.org"]
    bobs = next(n for n in notices if n.recipients == ("bob@example.org",))
    assert "Acme Holdings" in bobs.text and "/privacy-center" in bobs.text
    link = next(w for w in bobs.text.split() if "/transfer/" in w)
    token = link.rsplit("/", 1)[1]
    world.ledger.clock.advance(days=29)  # type: ignore[attr-defined]
    with world.ledger.transaction() as tx:
        transfer.deactivate(tx, world.settings.secret_key, "parature", token)
        assert transfer.handed_over(tx, done.id) == [ann.id]
    assert not world.engine.may(bob, "administer_account", "user.name", "acquirer").allowed
    with world.ledger.transaction() as tx, pytest.raises(InvalidToken):
        transfer.deactivate(tx, world.settings.secret_key, "parature", token[:-2] + "zz")


def test_a_deactivation_after_the_transfer_date_is_refused(mail: Mail) -> None:
    world = mail("parature")
    ann = person(world.ledger, "parature", "customer", "registration", "ann@example.org")
    done = announce(world, days=10)
    token = transfer.deactivate_token(world.settings.secret_key, done.id, ann.id)
    world.ledger.clock.advance(days=10)  # type: ignore[attr-defined]
    with world.ledger.transaction() as tx, pytest.raises(Refused, match="taken place"):
        transfer.deactivate(tx, world.settings.secret_key, "parature", token)
    with world.ledger.reading() as tx:
        assert subjects.get(tx, "parature", ann.id).status == Status.ACTIVE


@pytest.mark.parametrize("acquirer", ["", "  ", "x" * 256, "Acme\x00"])
def test_a_transfer_without_a_proper_acquirer_or_date_is_refused(mail: Mail, acquirer: str) -> None:
    world = mail("parature")
    with world.ledger.transaction() as tx, pytest.raises(Refused):
        transfer.announce(tx, "parature", acquirer, world.ledger.clock() + dt.timedelta(days=3))
    with world.ledger.transaction() as tx, pytest.raises(Refused):
        transfer.announce(tx, "parature", "Acme", world.ledger.clock())
