"""Staff are reminded of a request before its deadline, once per deadline."""

from __future__ import annotations

from collections.abc import Callable

from keepfaith import rights
from keepfaith.ledger import statements
from keepfaith.ledger.cases import trail
from keepfaith.rights import reminders
from keepfaith.statement import load
from tests.conftest import EXAMPLES
from tests.messaging.conftest import World
from tests.rights.conftest import code_sent

Mail = Callable[..., World]
ADDRESS = "ann@example.com"


def reminders_sent(world: World, to: str) -> list[str]:
    world.work()
    return [m.text for m in world.sink.to(to) if "is due" in m.mail["Subject"]]


def test_staff_hear_of_a_request_days_before_its_deadline_once(mail: Mail) -> None:
    world = mail("eztalks")
    with world.ledger.transaction(actor="web") as tx:
        opened = rights.open(tx, world.settings, "eztalks", "access", ADDRESS)
        staff = reminders.staff_address(statements.get(tx, "eztalks"))
    assert staff is not None
    code = code_sent(world, ADDRESS)
    with world.ledger.transaction() as tx:
        case = rights.verify(tx, world.settings, "eztalks", opened.case.id, code)
    assert case.due_at is not None

    # 26 days in, the deadline is 4 days away: not yet (3 days is the setting's default).
    world.ledger.clock.advance(days=26)  # type: ignore[attr-defined]
    with world.ledger.transaction() as tx:
        assert reminders.remind(tx, "eztalks", world.settings.rights_remind_days) == []
    world.ledger.clock.advance(days=1)  # type: ignore[attr-defined]
    with world.ledger.transaction() as tx:
        (reminded,) = reminders.remind(tx, "eztalks", world.settings.rights_remind_days)
    assert reminded.id == case.id
    (text,) = reminders_sent(world, staff)
    assert f"request {case.id}" in text and f"{case.due_at:%Y-%m-%d}" in text
    assert ADDRESS not in text  # the reminder names the case, never the person

    # The next hour's run sends nothing more for the same deadline; the trail has one.
    with world.ledger.transaction() as tx:
        assert reminders.remind(tx, "eztalks", world.settings.rights_remind_days) == []
        events = [e for e in trail(tx, case) if e.event == reminders.REMINDED]
    assert [e.details["due_at"] for e in events] == [case.due_at.isoformat()]
    assert len(reminders_sent(world, staff)) == 1


def test_reminders_go_to_the_privacy_contact_else_the_first_with_an_email() -> None:
    modern = load(EXAMPLES / "modern" / "statement.yaml")  # privacy, support, dpo
    eztalks = load(EXAMPLES / "eztalks" / "statement.yaml")  # support, marketing
    assert reminders.staff_address(modern) == "privacy@larkspur.example"
    assert reminders.staff_address(eztalks) == "support@eztalks.com"
    bare = [c.model_copy(update={"email": None}) for c in eztalks.organisation.contacts]
    organisation = eztalks.organisation.model_copy(update={"contacts": tuple(bare)})
    assert (
        reminders.staff_address(eztalks.model_copy(update={"organisation": organisation})) is None
    )
