"""Every change appends a hashed entry; tampering of each kind is found, first entry first."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.exceptions import AuditChainBroken
from keepfaith.ledger import Ledger, Subject, consents, holds, preferences, records, subjects
from keepfaith.ledger.audit import audit_entries as entries

PERSONAL = "ann.secret@example.com"


def fill(ledger: Ledger) -> None:
    """Publish (done by the fixture), then nine more changes: ten entries in all."""
    with ledger.transaction(actor="tester") as tx:
        subject = subjects.add(tx, "acme", "customer")
        records.add(tx, subject, "user.contact.email", PERSONAL, collection_point="signup")
        records.add(tx, subject, "user.name", "Ann Secret", collection_point="signup")
    with ledger.transaction() as tx:
        consents.record(tx, subject, "newsletter")
        preferences.put(tx, subject, "language", "en")
        holds.add(tx, subject, "legal")
        subjects.set_gpc(tx, subject)
        consents.record(tx, subject, "newsletter", kind="withdrawn", method="link")
        subjects.set_status(tx, subject, "deactivated")


def test_every_change_is_chained_without_personal_values(ledger: Ledger) -> None:
    fill(ledger)
    chain = ledger.audit_entries()
    assert [e.position for e in chain] == list(range(1, 11))
    assert [e.action for e in chain][:4] == ["publish", "add", "add", "add"]
    assert chain[1].actor == "tester" and chain[1].tenant == "acme"
    assert all(b.previous == a.hash for a, b in itertools.pairwise(chain))
    assert chain[2].detail()["category"] == "user.contact.email"
    assert not any(PERSONAL in e.details or "Ann" in e.details for e in chain)
    assert ledger.verify_audit() == 10


def _alter(c: sa.Connection) -> None:
    c.execute(entries.update().where(entries.c.position == 4).values(actor="someone else"))


def _remove(c: sa.Connection) -> None:
    c.execute(entries.delete().where(entries.c.position == 4))


def _reorder(c: sa.Connection) -> None:
    """Swap entries 4 and 5, renumbering them so positions still run 1..n."""
    rows = {r.position: dict(r._mapping) for r in c.execute(sa.select(entries))}
    c.execute(entries.delete().where(entries.c.position.in_([4, 5])))
    c.execute(entries.insert(), [{**rows[5], "position": 4}, {**rows[4], "position": 5}])


def _remove_and_renumber(c: sa.Connection) -> None:
    c.execute(entries.delete().where(entries.c.position == 4))
    for position in range(5, 11):
        c.execute(
            entries.update().where(entries.c.position == position).values(position=position - 1)
        )


def _cut_tail(c: sa.Connection) -> None:
    c.execute(entries.delete().where(entries.c.position >= 9))


def _rehash_altered(c: sa.Connection) -> None:
    """Alter entry 4 and recompute its own hash: the next entry's link still breaks."""
    from keepfaith.ledger.audit import AuditEntry, entry_hash

    row = c.execute(sa.select(entries).where(entries.c.position == 4)).one()
    forged = AuditEntry(**{**row._mapping, "action": "forged"})
    c.execute(
        entries.update()
        .where(entries.c.position == 4)
        .values(action="forged", hash=entry_hash(4, forged, row.previous))
    )


@pytest.mark.parametrize(
    ("tamper", "position", "reason"),
    [
        (_alter, 4, "altered"),
        (_remove, 4, "removed"),
        (_reorder, 4, "reordered"),
        (_remove_and_renumber, 4, "removed or reordered"),
        (_cut_tail, 9, "removed"),
        (_rehash_altered, 5, "removed or reordered"),
    ],
)
def test_tampering_is_found_at_the_first_bad_entry(
    ledger: Ledger, tamper: Callable[[sa.Connection], None], position: int, reason: str
) -> None:
    fill(ledger)
    with ledger.engine.begin() as connection:
        tamper(connection)
    with pytest.raises(AuditChainBroken, match=reason) as caught:
        ledger.verify_audit()
    assert caught.value.position == position
    result = CliRunner().invoke(app, ["audit", "verify", "--database-url", ledger.database_url])
    assert result.exit_code == 1
    assert f"entry {position}" in result.output


def test_cli_reports_an_intact_chain(ledger: Ledger) -> None:
    fill(ledger)
    result = CliRunner().invoke(app, ["audit", "verify", "--database-url", ledger.database_url])
    assert result.exit_code == 0, result.output
    assert "10 entries" in result.output


def test_concurrent_units_of_work_keep_one_unbroken_chain(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        people = [subjects.add(tx, "acme", "customer") for _ in range(4)]
    before = len(ledger.audit_entries())

    def work(subject: Subject) -> None:
        for number in range(8):
            with ledger.transaction(actor=f"worker-{subject.id}") as tx:
                preferences.put(tx, subject, "n", number)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, people))
    assert ledger.verify_audit() == before + 32


def test_concurrent_first_entries_start_one_chain(database_url: str) -> None:
    """Before the first entry there is no head row to lock: the first appenders still
    line up behind each other."""
    with Ledger(database_url) as fresh:
        fresh.migrate()

        def work(number: int) -> None:
            with fresh.transaction(actor=f"worker-{number}") as tx:
                tx.audit("test", "nothing", number)

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(work, range(6)))
        assert fresh.verify_audit() == 6
