"""The sealed audit: every change has a keyed entry; tampering of each kind is named.

Each tamper runs as someone with write access to the database but not the audit key
would: straight SQL on the tables, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.exceptions import AuditChainBroken
from keepfaith.ledger import (
    Ledger,
    Subject,
    audit,
    consents,
    holds,
    preferences,
    records,
    subjects,
)
from keepfaith.ledger.audit import audit_entries as entries
from keepfaith.ledger.audit import audit_seals as seals
from keepfaith.ledger.consents import consent_events, consent_state
from keepfaith.ledger.records import collected_for
from keepfaith.ledger.records import records as record_rows
from keepfaith.ledger.verify import verify
from tests.ledger.support import AUDIT_KEY

PERSONAL = "ann.secret@example.com"
Tamper = Callable[[sa.Connection], None]


@pytest.fixture(autouse=True)
def _cli_audit_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the audit key from the environment, as a deployment's would."""
    monkeypatch.setenv("KEEPFAITH_AUDIT_KEY", AUDIT_KEY)


def fill(ledger: Ledger) -> Subject:
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
    return subject


def problems(ledger: Ledger, witness: dict[str, object] | None = None) -> list[str]:
    return [str(problem) for problem in verify(ledger, witness).problems]


def tamper(ledger: Ledger, change: Tamper) -> None:
    with ledger.engine.begin() as connection:
        change(connection)


def test_every_change_has_a_keyed_entry_without_personal_values(ledger: Ledger) -> None:
    fill(ledger)
    log = ledger.audit_entries()
    assert len(log) == 10
    assert [e.action for e in log][:4] == ["publish", "add", "add", "add"]
    assert log[1].actor == "tester" and log[1].tenant == "acme"
    assert log[2].detail()["category"] == "user.contact.email"
    assert not any(PERSONAL in e.details or "Ann" in e.details for e in log)
    assert all(e.seal is None for e in log)
    assert ledger.verify_audit() == 10
    made = ledger.seal_audit()
    assert made is not None and made.id == 1 and made.entries == 10
    assert ledger.seal_audit() is None  # nothing new to seal
    assert {e.seal for e in ledger.audit_entries()} == {1}
    assert ledger.verify_audit() == 10


def test_entries_of_one_connection_form_a_lane_numbered_without_gaps(ledger: Ledger) -> None:
    fill(ledger)
    lanes: dict[str, list[int]] = {}
    for entry in ledger.audit_entries():
        lanes.setdefault(entry.lane, []).append(entry.lane_seq)
    for numbers in lanes.values():
        assert numbers == list(range(1, len(numbers) + 1))


def test_a_failed_transaction_leaves_no_gap(ledger: Ledger) -> None:
    subject = fill(ledger)
    with pytest.raises(RuntimeError), ledger.transaction() as tx:
        preferences.put(tx, subject, "language", "fr")
        raise RuntimeError("the caller gave up")
    with ledger.transaction() as tx:
        preferences.put(tx, subject, "language", "de")
    assert problems(ledger) == []


# ------------------------------------------------------------------ tampering with entries


def _where(position: int) -> sa.ColumnElement[bool]:
    return entries.c.position == position


def _positions(c: sa.Connection) -> list[int]:
    return list(c.execute(sa.select(entries.c.position).order_by(entries.c.position)).scalars())


def _change(nth: int) -> Tamper:
    def change(c: sa.Connection) -> None:
        c.execute(entries.update().where(_where(_positions(c)[nth])).values(actor="someone else"))

    return change


def _delete(nth: int) -> Tamper:
    def delete(c: sa.Connection) -> None:
        c.execute(entries.delete().where(_where(_positions(c)[nth])))

    return delete


def _insert(sealed: bool) -> Tamper:
    """Copy an entry's content under a new position, with a made-up MAC."""

    def insert(c: sa.Connection) -> None:
        row = dict(c.execute(sa.select(entries).where(_where(_positions(c)[3]))).one()._mapping)
        forged = {**row, "position": max(_positions(c)) + 1, "lane_seq": row["lane_seq"] + 100}
        forged["action"], forged["mac"] = "forged", "f" * 64
        c.execute(entries.insert().values(**{**forged, "seal": 1 if sealed else None}))

    return insert


def _swap(first: int, second: int) -> Tamper:
    """Swap two entries' places, keeping every row's own content and MAC."""

    def swap(c: sa.Connection) -> None:
        positions = _positions(c)
        a, b = positions[first], positions[second]
        rows = {r.position: dict(r._mapping) for r in c.execute(sa.select(entries))}
        c.execute(entries.delete().where(entries.c.position.in_([a, b])))
        c.execute(entries.insert(), [{**rows[b], "position": a}, {**rows[a], "position": b}])

    return swap


def _recompute_unkeyed(c: sa.Connection) -> None:
    """Change an entry and recompute its MAC with the development key (the wrong key)."""
    row = dict(c.execute(sa.select(entries).where(_where(_positions(c)[4]))).one()._mapping)
    forged = audit.AuditEntry(**{**row, "action": "forged"})
    mac = audit.entry_mac(audit.DEVELOPMENT_KEY, forged.lane, forged.lane_seq, forged)
    c.execute(entries.update().where(_where(row["position"])).values(action="forged", mac=mac))


def _move_to_unsealed(c: sa.Connection) -> None:
    c.execute(entries.update().where(_where(_positions(c)[2])).values(seal=None))


def _rewrite_seal(c: sa.Connection) -> None:
    c.execute(seals.update().where(seals.c.id == 1).values(root="0" * 64))


@pytest.mark.parametrize(
    ("sealed", "change", "names"),
    [
        (True, _change(3), "entry 4: content does not match its MAC"),
        (False, _change(3), "entry 4: content does not match its MAC"),
        (True, _recompute_unkeyed, "entry 5: content does not match its MAC"),
        (False, _recompute_unkeyed, "entry 5: content does not match its MAC"),
        (True, _delete(4), "seal 1: sealed 10 entries, 9 are left"),
        (True, _delete(4), "entry 6: follows number 4 of its lane: 1 entry before it deleted"),
        (False, _delete(4), "entry 6: follows number 4 of its lane: 1 entry before it deleted"),
        (True, _insert(sealed=True), "entry 11: content does not match its MAC"),
        (True, _insert(sealed=True), "seal 1: sealed 10 entries, 11 are left"),
        (False, _insert(sealed=False), "entry 11: content does not match its MAC"),
        (True, _swap(3, 4), "seal 1: its entries do not match its root"),
        (True, _swap(3, 4), "(reordered)"),
        (False, _swap(3, 4), "(reordered)"),
        (True, _move_to_unsealed, "seal 1: sealed 10 entries, 9 are left"),
        (True, _rewrite_seal, "seal 1: does not match its MAC"),
    ],
)
def test_tampering_with_entries_is_named(
    ledger: Ledger, sealed: bool, change: Tamper, names: str
) -> None:
    fill(ledger)
    if sealed:
        ledger.seal_audit()
    tamper(ledger, change)
    found = problems(ledger)
    assert any(names in problem for problem in found), found
    with pytest.raises(AuditChainBroken) as caught:
        ledger.verify_audit()
    assert len(caught.value.problems) == len(found)
    result = CliRunner().invoke(app, ["audit", "verify", "--database-url", ledger.database_url])
    assert result.exit_code == 1
    assert names.split(":")[0] in result.output


# ------------------------------------------------------------------ seals and witnesses


def test_a_rewound_head_shows_against_the_last_witness(ledger: Ledger, tmp_path: Path) -> None:
    subject = fill(ledger)
    ledger.seal_audit()
    with ledger.transaction() as tx:
        preferences.put(tx, subject, "language", "fr")
    witness_file = tmp_path / "witness.json"
    runner = CliRunner()
    url = ["--database-url", ledger.database_url]
    made = runner.invoke(app, ["audit", "witness", "--out", str(witness_file), *url])
    assert made.exit_code == 0, made.output
    assert json.loads(witness_file.read_text())["seal"] == 2
    ok = runner.invoke(app, ["audit", "verify", "--witness", str(witness_file), *url])
    assert ok.exit_code == 0, ok.output
    assert "11 entries, 2 seals, 0 not sealed yet" in ok.output

    def cut(c: sa.Connection) -> None:  # seal 2 and what it sealed, as if never written
        c.execute(entries.delete().where(entries.c.seal == 2))
        c.execute(seals.delete().where(seals.c.id == 2))

    tamper(ledger, cut)
    assert problems(ledger) == []  # consistent in itself: only the witness can tell
    witness = json.loads(witness_file.read_text())
    assert problems(ledger, witness) == [
        "seal 2: is in the witness but gone: the head was rewound to 1"
    ]
    rewound = runner.invoke(app, ["audit", "verify", "--witness", str(witness_file), *url])
    assert rewound.exit_code == 1
    assert "rewound" in rewound.output


def test_seals_chain_and_a_deleted_middle_seal_is_named(ledger: Ledger) -> None:
    subject = fill(ledger)
    for language in ("fr", "de", "it"):
        ledger.seal_audit()
        with ledger.transaction() as tx:
            preferences.put(tx, subject, "language", language)
    ledger.seal_audit()
    tamper(ledger, lambda c: c.execute(seals.delete().where(seals.c.id == 2)))
    found = problems(ledger)
    assert "seal 3: follows seal 1: seals before it deleted" in found
    assert "seal 2: is missing, but entries name it (seals cut off)" in found


def test_a_bad_witness_file_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    bad = tmp_path / "witness.json"
    bad.write_text("not json\x00")
    result = CliRunner().invoke(
        app, ["audit", "verify", "--witness", str(bad), "--database-url", ledger.database_url]
    )
    assert result.exit_code == 2
    assert "is not a witness" in result.output


def test_the_wrong_key_fails_every_entry(ledger: Ledger) -> None:
    fill(ledger)
    ledger.seal_audit()
    other = Ledger(ledger.database_url, audit_key="a" * 44)
    found = [str(p) for p in verify(other).problems]
    other.close()
    assert sum("does not match its MAC" in p for p in found) == 11  # 10 entries, 1 seal


# ------------------------------------------------------------------ rows against entries


def _flip_consent_state(c: sa.Connection) -> None:
    c.execute(consent_state.update().values(state="given"))


def _rewrite_consent_event(c: sa.Connection) -> None:
    last = c.execute(sa.select(sa.func.max(consent_events.c.id))).scalar_one()
    c.execute(consent_events.update().where(consent_events.c.id == last).values(kind="given"))


def _backdate_consent_event(c: sa.Connection) -> None:
    first = c.execute(sa.select(sa.func.min(consent_events.c.id))).scalar_one()
    c.execute(
        consent_events.update()
        .where(consent_events.c.id == first)
        .values(at=sa.func.current_timestamp())
    )


def _insert_consent_event(c: sa.Connection) -> None:
    row = dict(c.execute(sa.select(consent_events).limit(1)).one()._mapping)
    del row["id"]
    c.execute(consent_events.insert().values(**row))


def _delete_consent_event(c: sa.Connection) -> None:
    first = c.execute(sa.select(sa.func.min(consent_events.c.id))).scalar_one()
    c.execute(consent_events.delete().where(consent_events.c.id == first))


def _recategorise_record(c: sa.Connection) -> None:
    first = c.execute(sa.select(sa.func.min(record_rows.c.id))).scalar_one()
    c.execute(record_rows.update().where(record_rows.c.id == first).values(category="user.name"))


def _delete_record(c: sa.Connection) -> None:
    first = c.execute(sa.select(sa.func.min(record_rows.c.id))).scalar_one()
    c.execute(collected_for.delete().where(collected_for.c.record_id == first))
    c.execute(record_rows.delete().where(record_rows.c.id == first))


def _insert_record(c: sa.Connection) -> None:
    row = dict(c.execute(sa.select(record_rows).limit(1)).one()._mapping)
    del row["id"]
    c.execute(record_rows.insert().values(**row))


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (_flip_consent_state, "for newsletter: is given, but the audit entries say withdrawn"),
        (_rewrite_consent_event, "on kind"),
        (_backdate_consent_event, "on at"),
        (_insert_consent_event, "has no audit entry"),
        (_delete_consent_event, "is gone, though entry"),
        (_recategorise_record, "disagrees with its audit entries on category"),
        (_delete_record, "is gone, though no audit entry deleted it"),
        (_insert_record, "has no audit entry"),
    ],
)
def test_rows_that_disagree_with_their_entries_are_named(
    ledger: Ledger, change: Tamper, names: str
) -> None:
    fill(ledger)
    ledger.seal_audit()
    assert problems(ledger) == []
    tamper(ledger, change)
    found = problems(ledger)
    assert len(found) == 1 and names in found[0], found


def test_erasure_and_anonymisation_agree_with_their_entries(ledger: Ledger) -> None:
    subject = fill(ledger)
    with ledger.transaction() as tx:
        other = subjects.add(tx, "acme", "customer")
        records.add(tx, other, "user.contact.email", "bo@example.com", collection_point="signup")
        records.add(tx, other, "user.name", "Bo", collection_point="signup")
        records.delete(tx, subject, ["user.name"])
        records.anonymise(tx, other, keep=["user.name"])
    assert problems(ledger) == []


# ------------------------------------------------------------------ writers side by side


def test_concurrent_units_of_work_write_side_by_side(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        people = [subjects.add(tx, "acme", "customer") for _ in range(4)]
    before = len(ledger.audit_entries())

    def work(subject: Subject) -> None:
        for number in range(8):
            with ledger.transaction(actor=f"worker-{subject.id}") as tx:
                preferences.put(tx, subject, "n", number)
            if number % 3 == 0:
                ledger.seal_audit()  # sealers run among the writers

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, people))
    ledger.seal_audit()
    assert ledger.verify_audit() == before + 32
    assert all(e.seal is not None for e in ledger.audit_entries())


def test_the_first_entries_of_a_fresh_ledger_need_no_head(database_url: str) -> None:
    with Ledger(database_url) as fresh:
        fresh.migrate()

        def work(number: int) -> None:
            with fresh.transaction(actor=f"worker-{number}") as tx:
                tx.audit("test", "nothing", number)

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(work, range(6)))
        assert fresh.verify_audit() == 6


def test_a_backlog_is_sealed_in_batches_oldest_first(ledger: Ledger) -> None:
    fill(ledger)
    with ledger.engine.begin() as connection:
        made = [audit.seal(connection, ledger.audit_key, ledger.clock(), limit=4) for _ in "abcd"]
    assert [seal.entries if seal else None for seal in made] == [4, 4, 2, None]
    assert [e.seal for e in ledger.audit_entries()] == [1] * 4 + [2] * 4 + [3] * 2
    assert problems(ledger) == []
