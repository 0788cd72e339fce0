"""The ledger stores what the statement declares, per tenant, and refuses the rest."""

from __future__ import annotations

import dataclasses
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from keepfaith.exceptions import NotFound, Refused
from keepfaith.ledger import (
    ConsentKind,
    ConsentMethod,
    Ledger,
    Status,
    consents,
    disclosures,
    holds,
    preferences,
    records,
    statements,
    subjects,
)
from keepfaith.ledger.consents import consent_state
from keepfaith.statement import loads
from tests.ledger.support import MINIMAL, RULES, Clock, open_ledger, read


def test_subject_gets_the_current_version_and_a_declared_kind(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer", reference="c-1")
        assert subject.statement_version == "2024-01"
        assert subjects.by_reference(tx, "acme", "c-1") == subjects.get(tx, "acme", subject.id)
        with pytest.raises(Refused, match="kind 'robot'"):
            subjects.add(tx, "acme", "robot")
        with pytest.raises(NotFound, match="no published statement"):
            subjects.add(tx, "nobody", "customer")


def test_record_keeps_provenance_purposes_and_version(ledger: Ledger, clock: Clock) -> None:
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")
        stored = records.add(tx, subject, "user.name", "Ann", collection_point="signup")
        imported = records.add(
            tx,
            subject,
            "user.name",
            "Ann B.",
            source="Business registry",
            purposes=["account"],
            provenance={"url": "https://registry.example/123"},
        )
    [first, second] = read(ledger, records.of, subject)
    assert first == stored
    assert first.purposes == ("account", "billing")
    assert first.collection_point == "signup" and first.collected_at == clock.now
    assert second.source == "Business registry" and second.purposes == ("account",)
    assert second.provenance == {"url": "https://registry.example/123"}
    assert imported.statement_version == "2024-01"


@pytest.mark.parametrize(
    ("category", "options", "message"),
    [
        ("user.unknown", {"collection_point": "signup"}, "not declared"),
        ("user.name", {"collection_point": "nowhere"}, "collection point 'nowhere'"),
        ("user.device.ip_address", {"collection_point": "signup"}, "does not collect"),
        ("user.name", {"collection_point": "signup", "purposes": ["newsletter"]}, "not stated"),
        ("user.name", {"source": "registry", "purposes": ["invented"]}, "not stated"),
        ("user.name", {}, "collection point or its outside source"),
    ],
)
def test_record_refused_when_not_declared(
    ledger: Ledger, category: str, options: dict[str, object], message: str
) -> None:
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")
        with pytest.raises(Refused, match=message):
            records.add(tx, subject, category, "x", **options)  # type: ignore[arg-type]


def test_detached_record_has_no_subject(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        record = records.add(
            tx,
            None,
            "user.content.free_text",
            "Nice site",
            tenant="acme",
            collection_point="signup",
        )
        assert record.subject_id is None
        assert [r.id for r in records.detached(tx, "acme")] == [record.id]
        with pytest.raises(Refused, match="tenant"):
            records.add(tx, None, "user.name", "x", collection_point="signup")


def test_status_child_and_gpc_flags(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")
        assert subjects.set_status(tx, subject, "deactivated").status is Status.DEACTIVATED
        assert subjects.set_known_child(tx, subject).known_child is True
        assert subjects.set_gpc(tx, subject).gpc is True
        subjects.set_status(tx, subject, Status.DELETED)
        with pytest.raises(Refused, match="deleted"):
            records.add(tx, subject, "user.name", "x", collection_point="signup")


def test_consent_history_is_append_only_and_default_does_not_count(
    ledger: Ledger, clock: Clock
) -> None:
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")
        consents.record(tx, subject, "newsletter", method="default")
        consents.record(tx, subject, "newsletter", evidence={"pre_ticked": True})
        clock.advance(days=1)
        consents.record(
            tx, subject, "newsletter", method=ConsentMethod.EXPLICIT, evidence={"form": "signup"}
        )
        clock.advance(days=1)
        consents.record(tx, subject, "newsletter", kind=ConsentKind.WITHDRAWN, method="link")
        with pytest.raises(Refused, match="purpose 'unknown'"):
            consents.record(tx, subject, "unknown")
        with pytest.raises(Refused, match="one purpose or one recipient"):
            consents.record(tx, subject)
    history = read(ledger, consents.history, subject)
    assert [(e.kind.value, e.method.value, e.counts) for e in history] == [
        ("given", "default", False),
        ("given", "explicit", False),
        ("given", "explicit", True),
        ("withdrawn", "link", True),
    ]
    assert history[2].evidence == {"form": "signup"}


def test_preferences_holds_and_disclosures(ledger: Ledger, clock: Clock) -> None:
    until = clock.now + dt.timedelta(days=30)
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")
        preferences.put(tx, subject, "language", "fr")
        preferences.put(tx, subject, "language", "de")
        assert preferences.of(tx, subject) == {"language": "de"}
        hold = holds.add(tx, subject, "legal", until=until)
        with pytest.raises(Refused, match="hold reason 'whim'"):
            holds.add(tx, subject, "whim")
        holds.release(tx, hold)
        [stored] = holds.of(tx, subject)
        assert stored.until == until and stored.released_at == clock.now
        disclosures.record(
            tx,
            "acme",
            subject,
            "Court",
            ["user.name"],
            "court_order",
            country="US",
            reference="case 42",
        )
        [entry] = disclosures.of(tx, "acme", subject)
        assert (entry.recipient, entry.categories, entry.reference) == (
            "Court",
            ("user.name",),
            "case 42",
        )


def test_correct_delete_and_anonymise(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")
        name = records.add(tx, subject, "user.name", "Ann", collection_point="signup")
        records.add(tx, subject, "user.contact.email", "ann@example.com", collection_point="signup")
        records.add(tx, subject, "user.content.free_text", "hello", collection_point="signup")
        assert records.correct(tx, name, "Anne").value == "Anne"
        assert [r.value for r in records.of(tx, subject, ["user.name"])] == ["Anne"]
        assert records.delete(tx, subject, ["user.contact.email"]) == 1
        assert records.anonymise(tx, subject, keep=["user.content.free_text"]) == 1
        assert records.of(tx, subject) == []
        [anonymous] = records.detached(tx, "acme")
        assert anonymous.anonymous and anonymous.subject_id is None


def test_no_read_crosses_tenants(database_url: str) -> None:
    ledger, _ = open_ledger(database_url, [MINIMAL, RULES])
    with ledger.transaction() as tx:
        acme = subjects.add(tx, "acme", "customer", reference="same")
        other = subjects.add(tx, "rules", "customer", reference="same")
        records.add(tx, acme, "user.name", "Ann", collection_point="signup")
        with pytest.raises(NotFound):
            subjects.get(tx, "rules", acme.id)
        forged = dataclasses.replace(other, id=acme.id)
        assert records.of(tx, forged) == []
        with pytest.raises(NotFound):
            consents.record(tx, forged, "newsletter")
        assert subjects.by_reference(tx, "rules", "same").id == other.id
        assert [s.id for s in subjects.of_tenant(tx, "rules")] == [other.id]
        with pytest.raises(NotFound):
            disclosures.record(tx, "rules", acme, "x", ["user.name"], "court_order")
    ledger.close()


def test_publishing_again_is_idempotent_but_never_rewrites(ledger: Ledger) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    with ledger.transaction() as tx:
        statement = statements.get(tx, "acme")
        assert statements.publish(tx, statement, text).version == "2024-01"
        with pytest.raises(Refused, match="already published"):
            statements.publish(tx, statement, text + "\n# changed\n")
        assert [v.version for v in statements.versions(tx, "acme")] == ["2024-01"]


def test_a_failed_unit_of_work_leaves_nothing(ledger: Ledger) -> None:
    before = len(ledger.audit_entries())
    with pytest.raises(Refused), ledger.transaction() as tx:
        subjects.add(tx, "acme", "customer")
        subjects.add(tx, "acme", "robot")
    with ledger.transaction() as tx:
        assert subjects.of_tenant(tx, "acme") == []
    assert len(ledger.audit_entries()) == before


def test_concurrent_consent_for_one_choice_never_collides(ledger: Ledger) -> None:
    """Two requests giving the same consent at once both land; neither fails on the key."""
    with ledger.transaction() as tx:
        subject = subjects.add(tx, "acme", "customer")

    def give(kind: ConsentKind) -> None:
        with ledger.transaction() as tx:
            consents.record(tx, subject, "newsletter", kind=kind)

    kinds = [ConsentKind.GIVEN, ConsentKind.WITHDRAWN] * 4
    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        list(pool.map(give, kinds))  # re-raises any worker's error
    assert len(read(ledger, consents.history, subject, "newsletter")) == len(kinds)
    with ledger.engine.connect() as connection:
        rows = connection.execute(
            sa.select(consent_state.c.state).where(consent_state.c.subject_id == subject.id)
        ).all()
    assert len(rows) == 1 and rows[0].state in {"given", "withdrawn"}


def test_publish_refuses_another_statements_text(ledger: Ledger) -> None:
    """The stored text is what decisions load later, so it must be the statement's own."""
    text = MINIMAL.read_text(encoding="utf-8")
    other = text.replace("id: acme", "id: other", 1)
    assert other != text
    with ledger.transaction() as tx, pytest.raises(Refused, match="declares other"):
        statements.publish(tx, loads(text), source_text=other)
