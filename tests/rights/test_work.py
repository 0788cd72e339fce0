"""A case's work end to end: verified, run as jobs against chinook, answered by mail."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from keepfaith import rights
from keepfaith.connectors import maps, scan
from keepfaith.connectors.datamap import Erasure
from keepfaith.ledger import holds, records, statements, subjects
from keepfaith.ledger.cases import State, get, trail
from keepfaith.rights import work
from tests.conftest import ROOT
from tests.connectors.test_erasure import CHINOOK_ROWS, with_erasure
from tests.jobs.test_workers import wait_for
from tests.messaging.conftest import World
from tests.rights import tasks
from tests.rights.conftest import code_sent

Mail = Callable[..., World]
KEEPFAITH = Path(sys.executable).with_name("keepfaith")


@pytest.fixture(autouse=True)
def _close_systems() -> Iterator[None]:
    yield
    work.close()


def chinook_world(mail: Mail, url: str, tenant: str) -> World:
    world = mail(tenant, connectors={"chinook": url})
    dataset_map = with_erasure(scan(url, "chinook").map, CHINOOK_ROWS)
    with world.ledger.transaction() as tx:
        maps.store(tx, tenant, dataset_map, [])
    return world


def customer(url: str, customer_id: int = 17) -> tuple[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        email = connection.execute(
            sa.text("SELECT Email FROM Customer WHERE CustomerId = :c"), {"c": customer_id}
        ).scalar_one()
        invoices = connection.execute(
            sa.text("SELECT count(*) FROM Invoice WHERE CustomerId = :c"), {"c": customer_id}
        ).scalar_one()
    engine.dispose()
    return email, invoices


def verified(world: World, tenant: str, kind: str, email: str) -> rights.Case:
    with world.ledger.transaction(actor="web") as tx:
        opened = rights.open(tx, world.settings, tenant, kind, email)
    code = code_sent(world, email)
    with world.ledger.transaction(actor="web") as tx:
        return rights.verify(tx, world.settings, tenant, opened.case.id, code)


def answered(world: World, case: rights.Case) -> rights.Case:
    with world.ledger.reading() as tx:
        return get(tx, case.tenant, case.id)


def test_know_is_answered_yes_or_no_only_after_verification(mail: Mail, sqlite_copy: str) -> None:
    world = chinook_world(mail, sqlite_copy, "eztalks")
    email, _ = customer(sqlite_copy)
    with world.ledger.transaction(actor="web") as tx:
        pending = rights.open(tx, world.settings, "eztalks", "know", email).case
    world.work()
    assert answered(world, pending).state == State.UNVERIFIED  # nothing ran yet
    held = verified(world, "eztalks", "know", email)
    nobody = verified(world, "eztalks", "know", "nobody@example.com")
    world.work()
    assert answered(world, held).answer == {"held": True}
    assert answered(world, nobody).answer == {"held": False}
    said = [m.text for m in world.sink.to(email) if m.mail["Subject"] == "Your request"]
    assert len(said) == 1 and "We hold personal data about you." in said[0]


def test_an_access_copy_holds_exactly_the_rows_and_names_purpose_and_source(
    mail: Mail, sqlite_copy: str
) -> None:
    world = chinook_world(mail, sqlite_copy, "eztalks")
    email, invoices = customer(sqlite_copy)
    case = verified(world, "eztalks", "access", email)
    world.work()
    assert answered(world, case).state == State.OPEN  # eztalks' staff handle access
    with world.ledger.transaction(actor="staff") as tx:
        rights.approve(tx, "eztalks", case.id)
    world.work()
    done = answered(world, case)
    assert done.state == State.DONE and done.answer is not None
    assert done.answer["rows"]["chinook"]["Invoice"] == invoices
    ready = [m.text for m in world.sink.to(email) if m.mail["Subject"] == "Your copy is ready"]
    token = ready[-1].split("token=", 1)[1].split()[0]
    archive = zipfile.ZipFile(
        io.BytesIO(work.export_zip(world.ledger, world.settings, "eztalks", token))
    )
    rows = json.loads(archive.read("chinook/Invoice.json"))
    assert len(rows) == invoices and {r["CustomerId"] for r in rows} == {17}
    assert archive.read("chinook/Invoice.csv").decode().count("\n") == invoices + 1
    summary = archive.read("summary.html").decode()
    assert "user.contact.email" in summary and "chinook.Customer" in summary
    with world.ledger.reading() as tx:
        statement = statements.get(tx, "eztalks")
    assert any(p.name in summary for p in statement.purposes)
    with pytest.raises(rights.cases.InvalidSubmission.__mro__[2]):  # a tampered link
        work.export_zip(world.ledger, world.settings, "eztalks", token[:-3] + "abc")


def test_erasure_answers_what_it_erased_and_the_archive_note(mail: Mail, sqlite_copy: str) -> None:
    world = chinook_world(mail, sqlite_copy, "parature")
    email, invoices = customer(sqlite_copy)
    assert invoices > 0
    with world.ledger.transaction(actor="staff") as tx:
        case = rights.open(
            tx, world.settings, "parature", "delete", email, channel="staff", vouched_by_staff=True
        ).case
        assert case.verified_by == "staff"
        rights.approve(tx, "parature", case.id)
    world.work()
    done = answered(world, case)
    assert done.state == State.DONE and done.answer is not None
    assert done.answer["erased"]["chinook"]["deleted"]["Invoice"] == invoices
    with world.ledger.reading() as tx:
        note = statements.get(tx, "parature").rights.archive_note
    assert note and done.answer["archive_note"] == note
    assert customer_count(sqlite_copy, 17) == 0


def test_a_hold_keeps_the_data_and_the_answer_says_why(mail: Mail, sqlite_copy: str) -> None:
    world = chinook_world(mail, sqlite_copy, "parature")
    email, invoices = customer(sqlite_copy)
    with world.ledger.transaction(actor="staff") as tx:
        person = subjects.add(tx, "parature", "customer")
        records.add(tx, person, "user.contact.email", email, collection_point="contact_form")
        holds.add(tx, person, "fraud-prevention")
        case = rights.open(
            tx, world.settings, "parature", "delete", email, channel="staff", subject_id=person.id
        ).case
        rights.approve(tx, "parature", case.id)
    world.work()
    done = answered(world, case)
    assert done.answer is not None
    kept = done.answer["kept"]
    assert (
        "chinook.Invoice" in kept and "We need it to prevent fraud." in kept["chinook.Invoice"][0]
    )
    _, left = customer(sqlite_copy)
    assert left == invoices  # the invoices stay
    told = [m.text for m in world.sink.to(email) if m.mail["Subject"] == "Your request"]
    assert told and "prevent fraud" in told[-1]


def test_a_hold_keeps_only_the_categories_its_reason_declares(mail: Mail, sqlite_copy: str) -> None:
    """A fraud-prevention hold the statement scopes to financial data keeps the invoices
    (their totals are financial) and erases the person's contact details: the customer
    row the invoices need stays, pseudonymised, and the answer names only the invoices."""
    world = mail("parature", connectors={"chinook": sqlite_copy})
    financial = {("Invoice", "Total"): ("user.financial",)}
    strategies = {**CHINOOK_ROWS, "Invoice": {**CHINOOK_ROWS["Invoice"], "Total": Erasure.KEEP}}
    dataset_map = with_erasure(scan(sqlite_copy, "chinook").map, strategies, financial)
    with world.ledger.transaction() as tx:
        maps.store(tx, "parature", dataset_map, [])
        current = statements.get(tx, "parature")
        scoped = tuple(
            h.model_copy(update={"categories": ("user.financial",)})
            if h.reason == "fraud-prevention"
            else h
            for h in current.rights.holds
        )
        rights_section = current.rights.model_copy(update={"holds": scoped})
        statements.publish(
            tx,
            current.model_copy(
                update={"version": current.version + "-holds", "rights": rights_section}
            ),
        )
    email, invoices = customer(sqlite_copy)
    with world.ledger.transaction(actor="staff") as tx:
        person = subjects.add(tx, "parature", "customer")
        holds.add(tx, person, "fraud-prevention")
        case = rights.open(
            tx, world.settings, "parature", "delete", email, channel="staff", subject_id=person.id
        ).case
        rights.approve(tx, "parature", case.id)
    world.work()
    done = answered(world, case)
    assert done.answer is not None
    assert set(done.answer["kept"]) == {"chinook.Invoice"}
    assert "We need it to prevent fraud." in done.answer["kept"]["chinook.Invoice"][0]
    engine = sa.create_engine(sqlite_copy)
    with engine.connect() as connection:
        left = connection.execute(
            sa.text("SELECT Email, FirstName FROM Customer WHERE CustomerId = 17")
        ).one()
        kept = connection.execute(
            sa.text("SELECT count(*) FROM Invoice WHERE CustomerId = 17")
        ).scalar_one()
    engine.dispose()
    assert kept == invoices  # the invoices stay, still pointing at their customer
    assert left.Email != email  # whose contact details are gone


def customer_count(url: str, customer_id: int) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT count(*) FROM Customer WHERE CustomerId = :c"), {"c": customer_id}
        ).scalar_one()
    engine.dispose()
    return int(found)


def worker(world: World, marker: Path, *options: str) -> subprocess.Popen[bytes]:
    settings = world.settings
    env: dict[str, Any] = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KEEPFAITH_DATABASE_URL": settings.database_url,
        "KEEPFAITH_AUDIT_KEY": settings.audit_key,
        "KEEPFAITH_SECRET_KEY": settings.secret_key,
        "KEEPFAITH_CONNECTORS": json.dumps(
            {k: v.get_secret_value() for k, v in settings.connectors.items()}
        ),
        "KEEPFAITH_JOB_MODULES": f'["{tasks.MODULE}"]',
        "KEEPFAITH_JOBS_STALL_SECONDS": str(settings.jobs_stall_seconds),
        "KEEPFAITH_JOBS_POLL_SECONDS": "0.2",
        "KEEPFAITH_MAIL_FROM": settings.mail_from,
        "KEEPFAITH_SMTP_HOST": "127.0.0.1",
        "KEEPFAITH_SMTP_PORT": str(settings.smtp_port),
        "KEEPFAITH_SMTP_SECURITY": "none",
        tasks.MARKER: str(marker),
    }
    return subprocess.Popen(
        [str(KEEPFAITH), "jobs", "work", *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_worker_killed_mid_erasure_leaves_the_person_whole_then_erases_them(
    mail: Mail, sqlite_copy: str, tmp_path: Path
) -> None:
    world = chinook_world(mail, sqlite_copy, "parature")
    email, invoices = customer(sqlite_copy)
    with world.ledger.transaction(actor="staff") as tx:
        case = rights.open(
            tx, world.settings, "parature", "delete", email, channel="staff", vouched_by_staff=True
        ).case
        rights.approve(tx, "parature", case.id)
    marker = tmp_path / "paused.txt"
    first = worker(world, marker)
    try:
        wait_for(marker.exists, timeout=60)  # InvoiceLine and Invoice deleted, not committed
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.communicate(timeout=10)
    assert customer(sqlite_copy) == (email, invoices)  # untouched
    assert answered(world, case).state == State.OPEN
    import time

    time.sleep(world.settings.jobs_stall_seconds + 0.5)
    second = worker(world, marker, "--burst")
    _, errors = second.communicate(timeout=120)
    assert second.returncode == 0, errors.decode()
    assert customer_count(sqlite_copy, 17) == 0
    done = answered(world, case)
    assert done.state == State.DONE
    with world.ledger.reading() as tx:
        erased = [e for e in trail(tx, done) if e.event == "erased"]
    assert len(erased) == 1  # the killed run recorded nothing
