"""Complaints: a case on the statement's clock that escalates itself on the exact day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from keepfaith import jobs, rights
from keepfaith.exceptions import InvalidSubmission, NotFound, Refused
from keepfaith.ledger.cases import State, listing, trail
from keepfaith.rights import complaints
from tests.conftest import EXAMPLES
from tests.ledger.support import Clock, open_ledger
from tests.messaging.conftest import World

Mail = Callable[..., World]
ADDRESS = "ann@example.com"
BODY = "watchdog@body.example"


def complain(world: World, tenant: str = "estara", text: str = "You kept mailing me.") -> int:
    with world.ledger.transaction(actor="web") as tx:
        return complaints.open_complaint(tx, world.settings, tenant, ADDRESS, text).id


def sweep(world: World, tenant: str = "estara") -> list[int]:
    with world.ledger.transaction(actor="complaints") as tx:
        return [c.id for c in complaints.escalate_overdue(tx, tenant)]


def state(world: World, case_id: int, tenant: str = "estara") -> State:
    with world.ledger.reading() as tx:
        [case] = [c for c in listing(tx, tenant, kind="complaint") if c.id == case_id]
    return case.state


def clock_of(world: World) -> Clock:
    assert isinstance(world.ledger.clock, Clock)
    return world.ledger.clock


def test_an_unacknowledged_complaint_escalates_on_the_exact_day(mail: Mail) -> None:
    world = mail("estara")
    case_id = complain(world)
    # eStara promises an acknowledgement within 10 days.
    clock_of(world).advance(days=10, seconds=-1)
    assert sweep(world) == [] and state(world, case_id) == State.OPEN
    clock_of(world).advance(seconds=1)
    assert sweep(world) == [case_id] and state(world, case_id) == State.ESCALATED
    assert sweep(world) == []  # once
    world.work()
    [told] = world.sink.to(ADDRESS)
    assert "TRUSTe" in told.text and "truste.org" in told.text


def test_an_acknowledged_complaint_waits_for_its_resolution_deadline(
    mail: Mail, tmp_path: Path
) -> None:
    text = (EXAMPLES / "estara" / "statement.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  acknowledge_days: 10  # seed silent on a deadline\n",
        "  acknowledge_days: 10\n  resolve_days: 30\n  share_text_with_body: true\n",
    ).replace(
        "    url: http://www.truste.org/users/users_watchdog.php\n",
        f"    url: http://www.truste.org/users/users_watchdog.php\n    email: {BODY}\n",
    )
    path = tmp_path / "estara" / "statement.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    world = mail()
    world.ledger.close()
    world.ledger, _ = open_ledger(world.settings.database_url, [path])
    case_id = complain(world, text="Stop selling my address.")
    with world.ledger.transaction(actor="staff:ann") as tx:
        complaints.acknowledge(tx, "estara", case_id)
        with pytest.raises(Refused):
            complaints.acknowledge(tx, "estara", case_id)
    clock_of(world).advance(days=29)
    assert sweep(world) == []
    clock_of(world).advance(days=1)
    assert sweep(world) == [case_id]
    world.work()
    [to_body] = world.sink.to(BODY)
    assert f"Complaint {case_id}" in to_body.text and "Stop selling my address." in to_body.text
    with world.ledger.reading() as tx:
        [case] = listing(tx, "estara", kind="complaint")
        events = [e.event for e in trail(tx, case)]
    assert events == ["received", "acknowledged", "escalated"]
    assert trail_details(world, case_id)["why"] == "unresolved"
    world.ledger.close()


def trail_details(world: World, case_id: int) -> dict[str, object]:
    with world.ledger.reading() as tx:
        [case] = [c for c in listing(tx, "estara", kind="complaint") if c.id == case_id]
        return trail(tx, case)[-1].details


def test_staff_resolve_with_an_answer_the_person_reads(mail: Mail) -> None:
    world = mail("estara")
    case_id = complain(world)
    with world.ledger.transaction(actor="staff:ann") as tx:
        case = complaints.resolve(tx, "estara", case_id, "We removed you from every list.")
    assert case.state == State.RESOLVED and case.closed_at is not None
    clock_of(world).advance(days=11)
    assert sweep(world) == []
    world.work()
    assert "We removed you from every list." in world.sink.to(ADDRESS)[-1].text
    with world.ledger.transaction() as tx, pytest.raises(Refused):
        complaints.escalate(tx, "estara", case_id)


@pytest.mark.parametrize(
    ("field", "email", "text"),
    [
        ("email", "not an address", "x"),
        ("email", "ann@example.com\r\nBcc: x@example.com", "x"),
        ("text", ADDRESS, ""),
        ("text", ADDRESS, "x\0y"),
        ("text", ADDRESS, "x" * 10_001),
    ],
)
def test_bad_complaints_name_the_field_and_store_nothing(
    mail: Mail, field: str, email: str, text: str
) -> None:
    world = mail("estara")
    with world.ledger.transaction() as tx:
        with pytest.raises(InvalidSubmission) as bad:
            complaints.open_complaint(tx, world.settings, "estara", email, text)
        assert list(bad.value.errors) == [field]
        assert listing(tx, "estara", kind="complaint") == []


def test_a_request_is_not_a_complaint(mail: Mail) -> None:
    world = mail("eztalks")
    with world.ledger.transaction() as tx:
        with pytest.raises(InvalidSubmission):
            rights.open(tx, world.settings, "eztalks", "complaint", ADDRESS)
        opened = rights.open(tx, world.settings, "eztalks", "access", ADDRESS)
        with pytest.raises(NotFound):
            complaints.acknowledge(tx, "eztalks", opened.case.id)


def test_statement_dates_are_kept_on_the_case(mail: Mail) -> None:
    world = mail("estara")
    start = clock_of(world).now
    case_id = complain(world)
    with world.ledger.reading() as tx:
        [case] = [c for c in listing(tx, "estara", kind="complaint") if c.id == case_id]
    assert case.due_at == start + dt.timedelta(days=10)
    assert case.details["resolve_by"] is None and case.channel == "privacy_center"


def test_the_hourly_jobs_are_declared_and_escalate_every_tenant(mail: Mail) -> None:
    world = mail("estara", "parature")
    tasks = jobs.load()
    assert tasks[complaints.ESCALATE].period(world.settings) == 3600
    assert tasks["sharing.legal_notices"].period(world.settings) == 3600
    ids = [complain(world, tenant) for tenant in ("estara", "parature")]
    clock_of(world).advance(days=10)
    tasks[complaints.ESCALATE](jobs.Context(world.ledger, world.settings, 0, 1))
    assert [state(world, i, t) for i, t in zip(ids, ("estara", "parature"), strict=True)] == [
        State.ESCALATED,
        State.ESCALATED,
    ]
