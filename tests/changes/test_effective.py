"""Per-person effective dates (PA-32), with the test clock, on both databases.

Parature's rule: a materially different use is emailed with a choice, and applies at
the earliest of the person's acknowledgement, 15 days after the email, or 30 days after
posting for people without an email; a refusal keeps the old terms (ES-17).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keepfaith.changes import answers, effective, publish
from keepfaith.exceptions import InvalidToken, Refused
from keepfaith.ledger import Status, subjects
from keepfaith.ledger import changes as pending
from keepfaith.ledger import messages as outbox_rows
from keepfaith.ledger.changes import Answer
from tests.changes.conftest import loaded, new_version
from tests.messaging.conftest import World, person

Mail = Callable[..., World]
NEW = "partner_offers"
EMAIL = "user.contact.email"


def publish_v2(world: World, name: str = "parature", version: str = "2026") -> None:
    text = new_version(name, version)
    with world.ledger.transaction(actor="dpo@parature.test") as tx:
        publish.publish(tx, loaded(text), text)


def allowed(world: World, subject: subjects.Subject) -> bool:
    return world.engine.may(subject, NEW, EMAIL).allowed


def days(world: World, n: float) -> None:
    world.ledger.clock.advance(days=n)  # type: ignore[attr-defined]


def test_the_diff_is_shown_first_and_publishing_records_who_when_and_the_text(
    mail: Mail,
) -> None:
    world = mail("parature")
    text = new_version("parature", "2026")
    with world.ledger.reading() as tx:
        shown = publish.preview(tx, loaded(text))
    assert (shown.old_version, shown.new_version) == ("2010", "2026")
    [change] = shown.material
    assert "partner_offers" in change.description and change.material
    assert shown.plan is not None and shown.plan.clauses == ("PA-32",)
    publish_v2(world)
    with world.ledger.reading() as tx:
        [done] = pending.publications_of(tx, "parature")
        kept = [v for v in publish.statements.versions(tx, "parature") if v.version == "2026"]
    assert done.published_by == "dpo@parature.test"
    assert done.published_at == world.ledger.clock()
    assert (done.from_version, done.material) == ("2010", 1)
    assert kept[0].text == text


def test_publishing_the_same_version_again_is_refused_and_changes_nothing(mail: Mail) -> None:
    world = mail("parature")
    publish_v2(world)
    with pytest.raises(Refused, match="already the published version"):
        publish_v2(world)


def test_each_person_moves_on_their_own_date(mail: Mail) -> None:
    world = mail("parature")
    ack = person(world.ledger, "parature", "customer", "registration", "ack@example.org")
    ignore = person(world.ledger, "parature", "customer", "registration", "ign@example.org")
    refuse = person(world.ledger, "parature", "customer", "registration", "ref@example.org")
    with world.ledger.transaction() as tx:
        unmailed = subjects.add(tx, "parature", "customer")  # no address: posting only
    publish_v2(world)
    world.work()
    assert len(world.sink.wait_for(3)) == 3
    everyone = (ack, ignore, refuse, unmailed)
    assert not any(allowed(world, s) for s in everyone), "nobody is on the new terms yet"

    days(world, 3)
    with world.ledger.transaction() as tx:
        change = answers.open_change(tx, "parature", ack.id)
        assert change is not None
        answers.answer(tx, "parature", change.id, Answer.ACCEPTED)
        mine = answers.open_change(tx, "parature", refuse.id)
        assert mine is not None
        answers.answer(tx, "parature", mine.id, "refused")
    assert allowed(world, ack), "acknowledged on day 3: under the new version from day 3"
    assert not allowed(world, ignore) and not allowed(world, unmailed)

    days(world, 11.9)  # day 14.9
    assert not allowed(world, ignore)
    days(world, 0.2)  # day 15.1
    assert allowed(world, ignore), "ignored the email: under the new version from day 15"
    assert not allowed(world, unmailed)

    days(world, 14.8)  # day 29.9
    assert not allowed(world, unmailed)
    days(world, 0.2)  # day 30.1
    assert allowed(world, unmailed), "no email: under the new version 30 days after posting"
    assert not allowed(world, refuse), "refused: the old terms for the changed use"

    assert effective.apply_all_due(world.ledger) == 2
    with world.ledger.reading() as tx:
        versions = {s.id: s.statement_version for s in subjects.of_tenant(tx, "parature")}
    # The refusal is scoped: on the new version, the changed use kept on the old terms.
    assert versions == {ack.id: "2026", ignore.id: "2026", refuse.id: "2026", unmailed.id: "2026"}
    assert world.engine.state(refuse).refused == (("2010", "2026"),)
    assert not allowed(world, refuse), "refused: still the old terms for the changed use"
    assert allowed(world, ignore) and not allowed(world, refuse)


def test_a_notice_that_bounced_leaves_the_person_on_the_posting_clock(mail: Mail) -> None:
    """PA-32: 15 days after the email, but 30 after posting for someone it never reached."""
    world = mail("parature")
    reached = person(world.ledger, "parature", "customer", "registration", "ok@example.org")
    bounced = person(world.ledger, "parature", "customer", "registration", "gone@example.org")
    publish_v2(world)
    world.work()
    assert len(world.sink.wait_for(2)) == 2
    with world.ledger.transaction() as tx:
        change = pending.open_of_subject(tx, bounced.id)
        assert change is not None and change.message_id is not None
        outbox_rows.mark_bounced(tx, change.message_id, "the mailbox returned the message")
    days(world, 1)
    assert effective.apply_all_due(world.ledger) == 0  # the hourly job: nobody due yet
    with world.ledger.reading() as tx:
        moved = pending.open_of_subject(tx, bounced.id)
    assert moved is not None and moved.channel == "post"

    days(world, 14.1)  # day 15.1
    assert allowed(world, reached) and not allowed(world, bounced)
    days(world, 15)  # day 30.1
    assert allowed(world, bounced), "never reached by email: under the new version at day 30"


def test_the_notice_carries_accept_refuse_and_close_links_that_work(mail: Mail) -> None:
    world = mail("parature")
    ann = person(world.ledger, "parature", "customer", "registration", "ann@example.org")
    publish_v2(world)
    world.work()
    [notice] = world.sink.wait_for(1)
    assert "partner_offers" in notice.text
    link = next(w for w in notice.text.split() if "?answer=closed" in w)
    token = link.split("/changes/")[1].split("?")[0]
    with world.ledger.transaction() as tx:
        answers.answer_by_link(tx, world.settings.secret_key, "parature", token, "closed")
    with world.ledger.reading() as tx:
        assert subjects.get(tx, "parature", ann.id).status == Status.DEACTIVATED
    days(world, 20)
    assert not allowed(world, ann)
    for forged in (token[:-1] + ("0" if token[-1] != "0" else "1"), "1-abc", "x\x00", ""):
        with world.ledger.transaction() as tx, pytest.raises(InvalidToken):
            answers.answer_by_link(tx, world.settings.secret_key, "parature", forged, "accepted")


def test_an_unknown_answer_is_refused_and_changes_nothing(mail: Mail) -> None:
    world = mail("parature")
    ann = person(world.ledger, "parature", "customer", "registration", "ann@example.org")
    publish_v2(world)
    with world.ledger.reading() as tx:
        change = answers.open_change(tx, "parature", ann.id)
    assert change is not None
    for bad in ("yes", "ACCEPTED", "accepted\x00", ""):
        with world.ledger.transaction() as tx, pytest.raises(Refused):
            answers.answer(tx, "parature", change.id, bad)
    with world.ledger.reading() as tx:
        assert pending.get(tx, change.id).open
