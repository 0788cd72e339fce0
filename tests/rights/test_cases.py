"""Intake and verification: on by default, bounded, expiring, merged, revealing nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from keepfaith import rights
from keepfaith.exceptions import ExpiredToken, InvalidSubmission, InvalidToken, Refused
from keepfaith.ledger import statements
from keepfaith.ledger.cases import State, listing, trail
from keepfaith.rights import clock
from tests.messaging.conftest import World
from tests.rights.conftest import code_sent

Mail = Callable[..., World]
ADDRESS = "ann@example.com"


def open_case(world: World, kind: str = "access", address: str = ADDRESS) -> rights.Opened:
    with world.ledger.transaction(actor="web") as tx:
        return rights.open(tx, world.settings, "eztalks", kind, address)


def test_a_request_is_verified_by_the_code_the_outbox_delivered(mail: Mail) -> None:
    world = mail("eztalks")
    opened = open_case(world)
    assert opened.case.state == State.UNVERIFIED
    code = code_sent(world, ADDRESS)
    with world.ledger.transaction() as tx:
        case = rights.verify(tx, world.settings, "eztalks", opened.case.id, code)
    assert case.verified and case.verified_by == "email_code" and case.state == State.OPEN
    # 30 days from receipt, as eztalks' statement says.
    assert case.due_at == case.received_at + dt.timedelta(days=30)


def test_wrong_codes_are_bounded_and_counted(mail: Mail) -> None:
    world = mail("eztalks")
    opened = open_case(world)
    code_sent(world, ADDRESS)
    for left in range(rights.cases.ATTEMPTS - 1, -1, -1):
        with world.ledger.transaction() as tx:
            case = rights.verify(tx, world.settings, "eztalks", opened.case.id, "000000x")
        assert not case.verified and case.attempts_left == left
    with world.ledger.transaction() as tx, pytest.raises(Refused, match="too many"):
        rights.verify(tx, world.settings, "eztalks", opened.case.id, "123456")


def test_an_expired_code_verifies_nothing(mail: Mail) -> None:
    world = mail("eztalks")
    opened = open_case(world)
    code = code_sent(world, ADDRESS)
    world.ledger.clock.advance(hours=rights.cases.VERIFY_HOURS + 1)  # type: ignore[attr-defined]
    with world.ledger.transaction() as tx, pytest.raises(ExpiredToken):
        rights.verify(tx, world.settings, "eztalks", opened.case.id, code)


def test_the_signed_link_verifies_and_a_tampered_one_does_not(mail: Mail) -> None:
    world = mail("eztalks")
    open_case(world)
    world.work()
    text = world.sink.to(ADDRESS)[-1].text
    token = text.split("token=", 1)[1].split()[0]
    with world.ledger.transaction() as tx, pytest.raises(InvalidToken):
        rights.verify_link(tx, world.settings, "eztalks", token[:-2] + "xx")
    with world.ledger.transaction() as tx:
        assert rights.verify_link(tx, world.settings, "eztalks", token).verified


def test_a_second_request_of_the_same_person_is_merged(mail: Mail) -> None:
    world = mail("eztalks")
    first = open_case(world)
    second = open_case(world, address="Ann@EXAMPLE.com")
    assert second.merged and second.case.id == first.case.id
    with world.ledger.reading() as tx:
        assert [e.event for e in trail(tx, first.case)][-1] == "merged"


@pytest.mark.parametrize(
    ("kind", "address", "field"),
    [
        ("erase-all", ADDRESS, "kind"),
        ("portability", ADDRESS, "kind"),  # eztalks does not offer it
        ("access", "not an address", "email"),
        ("access", "ann\0@example.com", "email"),
        ("access", "a" * 5000 + "@example.com", "email"),
        ("access", None, "email"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    mail: Mail, kind: str, address: object, field: str
) -> None:
    world = mail("eztalks")
    with world.ledger.transaction() as tx, pytest.raises(InvalidSubmission) as error:
        rights.open(tx, world.settings, "eztalks", kind, address)
    assert set(error.value.errors) == {field}
    with world.ledger.reading() as tx:
        assert listing(tx, "eztalks") == []


def test_the_answer_to_intake_is_the_same_for_anyone(mail: Mail) -> None:
    world = mail("eztalks")
    known = open_case(world, address="held@example.com")
    unknown = open_case(world, address="nobody@example.com")
    assert (known.case.state, known.merged) == (unknown.case.state, unknown.merged)


def test_staff_may_extend_once_with_a_reason_told_to_the_person(mail: Mail) -> None:
    world = mail("modern")
    with world.ledger.transaction() as tx:
        # modern promises an extension but no deadline: give it one, as a new version.
        current = statements.get(tx, "modern")
        statement = current.model_copy(
            update={
                "version": current.version + "-days",
                "rights": current.rights.model_copy(update={"response_days": 30}),
            }
        )
        statements.publish(tx, statement)
    with world.ledger.transaction() as tx:
        opened = rights.open(tx, world.settings, "modern", "delete", ADDRESS)
    days = statement.rights.extension_days
    assert days is not None and opened.case.due_at is not None
    with world.ledger.transaction() as tx, pytest.raises(InvalidSubmission) as error:
        rights.extend(tx, "modern", opened.case.id, "  ")
    assert set(error.value.errors) == {"reason"}
    with world.ledger.transaction() as tx:
        case = rights.extend(tx, "modern", opened.case.id, "Your data is in 3 systems.")
    assert case.due_at == opened.case.due_at + dt.timedelta(days=days)
    with world.ledger.transaction() as tx, pytest.raises(Refused, match="extended already"):
        rights.extend(tx, "modern", opened.case.id, "again")
    world.work()
    notices = [m.text for m in world.sink.to(ADDRESS) if "take longer" in m.mail["Subject"]]
    assert len(notices) == 1 and "Your data is in 3 systems." in notices[0]
    assert f"{case.due_at:%Y-%m-%d}" in notices[0]


def test_business_days_skip_weekends() -> None:
    friday = dt.datetime(2026, 12, 4, 9, tzinfo=dt.UTC)
    assert clock.add_days(friday, 1, clock.BUSINESS).weekday() == 0
    assert clock.add_days(friday, 5, clock.BUSINESS) == friday + dt.timedelta(days=7)
    assert clock.add_days(friday, 5) == friday + dt.timedelta(days=5)
