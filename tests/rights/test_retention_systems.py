"""The daily retention reaches the company's databases: chinook's invoices older than the
statement's period go (with their lines), fresh ones and a held customer's stay."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from keepfaith import rights
from keepfaith.connectors import maps, scan
from keepfaith.ledger import Status, holds, records, statements, subjects
from keepfaith.rights import retention, work
from keepfaith.statement.schema import RetentionRule
from tests.connectors.test_erasure import CHINOOK_ROWS, with_erasure
from tests.ledger.support import Clock
from tests.messaging.conftest import World
from tests.rights.test_work import customer

Mail = Callable[..., World]


@pytest.fixture(autouse=True)
def _close_systems() -> Iterator[None]:
    yield
    work.close()


def counts(url: str, cutoff: str) -> tuple[int, int, int, int]:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        one = lambda sql: int(c.execute(sa.text(sql), {"d": cutoff}).scalar_one())  # noqa: E731
        found = (
            one("SELECT count(*) FROM Invoice WHERE datetime(InvoiceDate) < :d"),
            one("SELECT count(*) FROM Invoice WHERE datetime(InvoiceDate) >= :d"),
            one("SELECT count(*) FROM Invoice WHERE CustomerId = 17 "
                "AND datetime(InvoiceDate) < :d"),
            one("SELECT count(*) FROM InvoiceLine l WHERE NOT EXISTS "
                "(SELECT 1 FROM Invoice i WHERE i.InvoiceId = l.InvoiceId)"),
        )  # fmt: skip
    engine.dispose()
    return found


@pytest.mark.parametrize("known_by", ["case", "record"])
def test_the_job_expires_old_invoices_and_keeps_a_held_customers(
    mail: Mail, sqlite_copy: str, known_by: str
) -> None:
    """The held customer is known by a request, or only by the address the ledger holds
    for them: either way their invoices stay."""
    world = mail("parature", connectors={"chinook": sqlite_copy})
    dataset_map = with_erasure(scan(sqlite_copy, "chinook").map, CHINOOK_ROWS)
    tables = tuple(
        t.model_copy(update={"retention_column": "InvoiceDate"}) if t.name == "Invoice" else t
        for t in dataset_map.tables
    )
    dataset_map = dataset_map.model_copy(update={"tables": tables})
    invoice = dataset_map.table("Invoice")
    assert invoice is not None
    categories = sorted({k for c in invoice.columns for k in c.categories if k.startswith("user")})
    clock = world.ledger.clock
    assert isinstance(clock, Clock)
    clock.advance(seconds=(dt.datetime(2026, 12, 2, tzinfo=dt.UTC) - clock()).total_seconds())
    with world.ledger.transaction() as tx:
        maps.store(tx, "parature", dataset_map, [])
        now = tx.now()
        cutoff = dt.datetime(2023, 6, 24, tzinfo=dt.UTC)
        rule = RetentionRule(categories=tuple(categories), days=(now - cutoff).days)
        current = statements.get(tx, "parature")
        statements.publish(
            tx,
            current.model_copy(update={"version": current.version + "-kept", "retention": (rule,)}),
        )
        email = customer(sqlite_copy)[0]
        person = subjects.add(tx, "parature", "customer")
        holds.add(tx, person, "fraud-prevention")
        if known_by == "case":
            rights.open(tx, world.settings, "parature", "delete", email, channel="staff",
                        subject_id=person.id)  # fmt: skip
        else:
            records.add(tx, person, "user.contact.email", email, collection_point="contact_form")
    at = (now - dt.timedelta(days=(now - cutoff).days)).strftime("%Y-%m-%d %H:%M:%S")
    old, fresh, held, _ = counts(sqlite_copy, at)
    assert old > held > 0
    with world.ledger.transaction(actor="retention") as tx:
        removed = retention.apply_systems(tx, world.settings, "parature")
    assert removed["chinook"]["Invoice"] == old - held
    assert removed["chinook"]["InvoiceLine"] > 0
    assert counts(sqlite_copy, at) == (held, fresh, held, 0)
    entries = [e for e in world.ledger.audit_entries() if e.action == "retention.expired"]
    assert [json.loads(e.details) for e in entries] == [removed["chinook"]]
    assert email not in entries[0].details
    with world.ledger.transaction(actor="retention") as tx:
        assert retention.apply_systems(tx, world.settings, "parature") == {}


def test_a_closed_account_is_erased_once_its_period_passed(mail: Mail, sqlite_copy: str) -> None:
    world = mail("parature", connectors={"chinook": sqlite_copy})
    dataset_map = with_erasure(scan(sqlite_copy, "chinook").map, CHINOOK_ROWS)
    clock = world.ledger.clock
    assert isinstance(clock, Clock)
    email, invoices = customer(sqlite_copy)
    assert invoices > 0
    with world.ledger.transaction() as tx:
        maps.store(tx, "parature", dataset_map, [])
        rule = RetentionRule(categories=("user",), days=30, after="account_closed")
        current = statements.get(tx, "parature")
        statements.publish(
            tx,
            current.model_copy(
                update={"version": current.version + "-closed", "retention": (rule,)}
            ),
        )
        person = subjects.add(tx, "parature", "customer")
        rights.open(tx, world.settings, "parature", "delete", email, channel="staff",
                    subject_id=person.id)  # fmt: skip
        subjects.set_status(tx, person, Status.DEACTIVATED)
    clock.advance(seconds=86_400 * 29)
    with world.ledger.transaction(actor="retention") as tx:
        assert retention.apply_systems(tx, world.settings, "parature") == {}
    assert customer(sqlite_copy)[1] == invoices  # not yet: 29 days of 30
    clock.advance(seconds=86_400 * 2)
    with world.ledger.transaction(actor="retention") as tx:
        removed = retention.apply_systems(tx, world.settings, "parature")
    assert removed["chinook"]["Invoice"] == invoices
    engine = sa.create_engine(sqlite_copy)
    with engine.connect() as c:
        assert (
            c.execute(sa.text("SELECT count(*) FROM Invoice WHERE CustomerId = 17")).scalar() == 0
        )
        assert (
            c.execute(
                sa.text("SELECT count(*) FROM Customer WHERE Email = :e"), {"e": email}
            ).scalar()
            == 0
        )
    engine.dispose()
