"""Finding people by address through keyed digests: kept in step with their records."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.ledger import Keyring, Ledger, lookups, records, subjects
from tests.ledger.support import KEY, Clock


def person(ledger: Ledger, email: str) -> int:
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")
        records.add(tx, subject, "user.contact.email", email, collection_point="signup")
        records.add(tx, subject, "user.name", "Ann Example", collection_point="signup")
    return subject.id


def find(ledger: Ledger, value: str, kind: str = "email") -> list[int]:
    with ledger.reading() as tx:
        return lookups.find(tx, "acme", kind, value)


def test_an_address_finds_its_person_whatever_its_case_and_spaces(ledger: Ledger) -> None:
    ann = person(ledger, "Ann@Example.com")
    bob = person(ledger, "bob@example.com")
    assert find(ledger, " ann@example.COM ") == [ann]
    assert find(ledger, "bob@example.com") == [bob]
    assert find(ledger, "carol@example.com") == []
    assert find(ledger, "not an address") == []


def test_the_index_holds_no_address_and_only_indexed_categories(ledger: Ledger) -> None:
    person(ledger, "ann@example.com")
    with ledger.reading() as tx:
        rows = tx.connection.execute(sa.select(lookups.subject_lookups)).all()
    assert [row.category for row in rows] == ["user.contact.email"]
    assert "ann" not in str([tuple(row) for row in rows])


def test_a_correction_an_erasure_and_an_anonymisation_change_the_index(ledger: Ledger) -> None:
    ann = person(ledger, "ann@example.com")
    with ledger.transaction() as tx:
        subject = subjects.get(tx, "acme", ann)
        [email] = records.of(tx, subject, ["user.contact.email"])
        records.correct(tx, email, "ann@new.example")
    assert find(ledger, "ann@example.com") == []
    assert find(ledger, "ann@new.example") == [ann]
    with ledger.transaction() as tx:
        records.delete(tx, subjects.get(tx, "acme", ann), ["user.contact.email"])
    assert find(ledger, "ann@new.example") == []
    bob = person(ledger, "bob@example.com")
    with ledger.transaction() as tx:
        records.anonymise(tx, subjects.get(tx, "acme", bob), keep=["user.contact.email"])
    assert find(ledger, "bob@example.com") == []


def test_another_key_finds_nothing_until_reindexed(database_url: str, ledger: Ledger) -> None:
    ann = person(ledger, "ann@example.com")
    other = Ledger(database_url, keys=Keyring({"k1": KEY}), clock=Clock(), lookup_key="rotated!")
    try:
        assert find(other, "ann@example.com") == []
        with other.transaction() as tx:
            assert lookups.reindex(tx, "acme") == 1
        assert find(other, "ann@example.com") == [ann]
        assert find(ledger, "ann@example.com") == []
    finally:
        other.close()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+1 (555) 010-0199", "+15550100199"),
        ("555 0100", "5550100"),
        ("12", None),
        ("", None),
    ],
)
def test_phone_numbers_meet_in_one_form(given: str, expected: str | None) -> None:
    assert lookups.normalised(lookups.Kind.PHONE, given) == expected


def test_the_command_rebuilds_the_index(ledger: Ledger) -> None:
    ann = person(ledger, "ann@example.com")
    with ledger.engine.begin() as connection:
        connection.execute(lookups.subject_lookups.delete())
    assert find(ledger, "ann@example.com") == []
    result = CliRunner().invoke(
        app, ["ledger", "rebuild-lookups", "--database-url", ledger.database_url]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "indexed 1 records\n"
    assert find(ledger, "ann@example.com") == [ann]
    assert lookups.rebuild(ledger, "acme") == 1  # again, one tenant: the same rows
    assert find(ledger, "ann@example.com") == [ann]
