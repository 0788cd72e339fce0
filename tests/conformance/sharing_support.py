"""Helpers of the sharing and complaint clauses: a legal request, a transfer, a complaint
left to its clock, each through ``keepfaith.sharing`` and ``keepfaith.rights``."""

from __future__ import annotations

from typing import Any

import pytest

from keepfaith import sharing
from keepfaith.engine import Decision, Engine
from keepfaith.exceptions import NotAllowed
from keepfaith.ledger import Disclosure, Subject, disclosures
from keepfaith.ledger.cases import State, listing, trail
from keepfaith.rights import complaints
from tests.ledger.support import Clock
from tests.messaging.conftest import World

COMPLAINANT = "ann@example.com"


def disclose(
    engine: Engine,
    subject: Subject,
    recipient: str,
    purpose: str,
    categories: list[str],
    *,
    country: str | None = None,
) -> Decision:
    """Disclose through ``keepfaith.sharing`` (logged if allowed); the engine's decision."""
    with engine.ledger.transaction(actor="app") as tx:
        done = sharing.disclose(
            tx, engine, subject, recipient, purpose, categories, country=country
        )
    return done.decision


def legally(
    engine: Engine,
    tenant: str,
    subject: Subject,
    basis: str,
    requester: str,
    categories: list[str],
    *,
    reference: str | None = None,
) -> Decision:
    """A legal request answered through ``keepfaith.sharing``; the engine's decision."""
    try:
        with engine.ledger.transaction(actor="staff:dpo") as tx:
            answered = sharing.answer(
                tx,
                engine,
                tenant,
                requester=requester,
                kind="court_order",
                basis=basis,
                categories=categories,
                reference=reference,
                subject=subject,
            )
    except NotAllowed as refused:
        return Decision(False, str(refused), refused.clauses)
    return answered.decision


def anonymously(engine: Engine, tenant: str, recipient: str, categories: list[str]) -> Decision:
    with engine.ledger.transaction(actor="app") as tx:
        return sharing.disclose_anonymous(tx, engine, tenant, recipient, categories)


def legal(engine: Engine, tenant: str, subject: Subject, basis: str, **values: Any) -> Disclosure:
    """A legal request on ``basis`` answered; the disclosure logged for it."""
    values = {"requester": "District court", "kind": "court_order", **values}
    with engine.ledger.transaction(actor="staff:dpo") as tx:
        answered = sharing.answer(
            tx, engine, tenant, subject=subject, basis=basis, categories=["user.name"], **values
        )
    assert answered.disclosure.legal_request_id == answered.request.id
    return answered.disclosure


def refused_legally(
    engine: Engine, tenant: str, subject: Subject, basis: str, **values: Any
) -> tuple[str, ...]:
    """The clauses a refused legal request names; nothing is logged."""
    with pytest.raises(NotAllowed) as refused:
        legal(engine, tenant, subject, basis, **values)
    with engine.ledger.reading() as tx:
        assert disclosures.of(tx, tenant, subject) == []
    return refused.value.clauses


def transfer(
    engine: Engine, subject: Subject, recipient: str, purpose: str, country: str
) -> sharing.Disclosed:
    with engine.ledger.transaction(actor="app") as tx:
        return sharing.disclose(
            tx,
            engine,
            subject,
            recipient,
            purpose,
            ["user.name", "user.contact.email"],
            country=country,
        )


def complaint_escalated_on_its_day(world: World, tenant: str, days: int) -> str:
    """A complaint nobody acknowledges: open the day before its deadline, escalated on it.
    Returns what the person was told."""
    with world.ledger.transaction(actor="web") as tx:
        case = complaints.open_complaint(tx, world.settings, tenant, COMPLAINANT, "Stop it.")
    clock = world.ledger.clock
    assert isinstance(clock, Clock)
    clock.advance(days=days, seconds=-1)
    with world.ledger.transaction(actor="complaints") as tx:
        assert complaints.escalate_overdue(tx, tenant) == []
    clock.advance(seconds=1)
    with world.ledger.transaction(actor="complaints") as tx:
        [escalated] = complaints.escalate_overdue(tx, tenant)
    assert escalated.id == case.id and escalated.state == State.ESCALATED
    with world.ledger.reading() as tx:
        [kept] = listing(tx, tenant, kind="complaint")
        last = trail(tx, kept)[-1]
    assert last.event == "escalated" and last.details["why"] == "unacknowledged"
    world.work()
    [told] = world.sink.to(COMPLAINANT)
    return told.text
