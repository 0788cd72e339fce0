"""The ledger stores what the statement declares, per tenant, and refuses the rest."""

from __future__ import annotations

import dataclasses
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from keepfaith.exceptions import NotFound, Refused
from keepfaith.ledger import ConsentKind, ConsentMethod, Ledger, Status
from keepfaith.ledger.tables import consent_state
from keepfaith.statement import loads
from tests.ledger.support import MINIMAL, RULES, Clock, open_ledger


def test_subject_gets_the_current_version_and_a_declared_kind(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        subject = tx.add_subject("acme", "customer", reference="c-1")
        assert subject.statement_version == "2024-01"
        assert tx.subject_by_reference("acme", "c-1") == tx.subject("acme", subject.id)
        with pytest.raises(Refused, match="kind 'robot'"):
            tx.add_subject("acme", "robot")
        with pytest.raises(NotFound, match="no published statement"):
            tx.add_subject("nobody", "customer")


def test_record_keeps_provenance_purposes_and_version(ledger: Ledger, clock: Clock) -> None:
    with ledger.transaction() as tx:
        subject = tx.add_subject("acme", "customer")
        stored = tx.add_record(subject, "user.name", "Ann", collection_point="signup")
        imported = tx.add_record(
            subject,
            "user.name",
            "Ann B.",
            source="Business registry",
            purposes=["account"],
            provenance={"url": "https://registry.example/123"},
        )
    [first, second] = ledger.records(subject)
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
        subject = tx.add_subject("acme", "customer")
        with pytest.raises(Refused, match=message):
            tx.add_record(subject, category, "x", **options)  # type: ignore[arg-type]


def test_detached_record_has_no_subject(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        record = tx.add_record(
            None, "user.content.free_text", "Nice site", tenant="acme", collection_point="signup"
        )
        assert record.subject_id is None
        assert [r.id for r in tx.detached_records("acme")] == [record.id]
        with pytest.raises(Refused, match="tenant"):
            tx.add_record(None, "user.name", "x", collection_point="signup")


def test_status_child_and_gpc_flags(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        subject = tx.add_subject("acme", "customer")
        assert tx.set_status(subject, "deactivated").status is Status.DEACTIVATED
        assert tx.set_known_child(subject).known_child is True
        assert tx.set_gpc(subject).gpc is True
        tx.set_status(subject, Status.DELETED)
        with pytest.raises(Refused, match="deleted"):
            tx.add_record(subject, "user.name", "x", collection_point="signup")


def test_consent_history_is_append_only_and_default_does_not_count(
    ledger: Ledger, clock: Clock
) -> None:
    with ledger.transaction() as tx:
        subject = tx.add_subject("acme", "customer")
        tx.consent(subject, "newsletter", method="default")
        tx.consent(subject, "newsletter", evidence={"pre_ticked": True})
        clock.advance(days=1)
        tx.consent(
            subject, "newsletter", method=ConsentMethod.EXPLICIT, evidence={"form": "signup"}
        )
        clock.advance(days=1)
        tx.consent(subject, "newsletter", kind=ConsentKind.WITHDRAWN, method="link")
        with pytest.raises(Refused, match="purpose 'unknown'"):
            tx.consent(subject, "unknown")
        with pytest.raises(Refused, match="one purpose or one recipient"):
            tx.consent(subject)
    history = ledger.consent_history(subject)
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
        subject = tx.add_subject("acme", "customer")
        tx.set_preference(subject, "language", "fr")
        tx.set_preference(subject, "language", "de")
        assert tx.preferences(subject) == {"language": "de"}
        hold = tx.add_hold(subject, "legal", until=until)
        with pytest.raises(Refused, match="hold reason 'whim'"):
            tx.add_hold(subject, "whim")
        tx.release_hold(hold)
        [stored] = tx.holds(subject)
        assert stored.until == until and stored.released_at == clock.now
        tx.record_disclosure(
            "acme",
            subject,
            "Court",
            ["user.name"],
            "court_order",
            country="US",
            reference="case 42",
        )
        [entry] = tx.disclosures("acme", subject)
        assert (entry.recipient, entry.categories, entry.reference) == (
            "Court",
            ("user.name",),
            "case 42",
        )


def test_correct_delete_and_anonymise(ledger: Ledger) -> None:
    with ledger.transaction() as tx:
        subject = tx.add_subject("acme", "customer")
        name = tx.add_record(subject, "user.name", "Ann", collection_point="signup")
        tx.add_record(subject, "user.contact.email", "ann@example.com", collection_point="signup")
        tx.add_record(subject, "user.content.free_text", "hello", collection_point="signup")
        assert tx.correct_record(name, "Anne").value == "Anne"
        assert [r.value for r in tx.records(subject, ["user.name"])] == ["Anne"]
        assert tx.delete_records(subject, ["user.contact.email"]) == 1
        assert tx.anonymise(subject, keep=["user.content.free_text"]) == 1
        assert tx.records(subject) == []
        [anonymous] = tx.detached_records("acme")
        assert anonymous.anonymous and anonymous.subject_id is None


def test_no_read_crosses_tenants(database_url: str) -> None:
    ledger, _ = open_ledger(database_url, [MINIMAL, RULES])
    with ledger.transaction() as tx:
        acme = tx.add_subject("acme", "customer", reference="same")
        other = tx.add_subject("rules", "customer", reference="same")
        tx.add_record(acme, "user.name", "Ann", collection_point="signup")
        with pytest.raises(NotFound):
            tx.subject("rules", acme.id)
        forged = dataclasses.replace(other, id=acme.id)
        assert tx.records(forged) == []
        with pytest.raises(NotFound):
            tx.consent(forged, "newsletter")
        assert tx.subject_by_reference("rules", "same").id == other.id
        assert [s.id for s in tx.subjects("rules")] == [other.id]
        with pytest.raises(NotFound):
            tx.record_disclosure("rules", acme, "x", ["user.name"], "court_order")
    ledger.close()


def test_publishing_again_is_idempotent_but_never_rewrites(ledger: Ledger) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    with ledger.transaction() as tx:
        statement = tx.statement("acme")
        assert tx.publish(statement, text).version == "2024-01"
        with pytest.raises(Refused, match="already published"):
            tx.publish(statement, text + "\n# changed\n")
        assert [v.version for v in tx.statement_versions("acme")] == ["2024-01"]


def test_a_failed_unit_of_work_leaves_nothing(ledger: Ledger) -> None:
    before = len(ledger.audit_entries())
    with pytest.raises(Refused), ledger.transaction() as tx:
        tx.add_subject("acme", "customer")
        tx.add_subject("acme", "robot")
    with ledger.transaction() as tx:
        assert tx.subjects("acme") == []
    assert len(ledger.audit_entries()) == before


def test_concurrent_consent_for_one_choice_never_collides(ledger: Ledger) -> None:
    """Two requests giving the same consent at once both land; neither fails on the key."""
    with ledger.transaction() as tx:
        subject = tx.add_subject("acme", "customer")

    def give(kind: ConsentKind) -> None:
        with ledger.transaction() as tx:
            tx.consent(subject, "newsletter", kind=kind)

    kinds = [ConsentKind.GIVEN, ConsentKind.WITHDRAWN] * 4
    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        list(pool.map(give, kinds))  # re-raises any worker's error
    assert len(ledger.consent_history(subject, "newsletter")) == len(kinds)
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
        tx.publish(loads(text), source_text=other)
