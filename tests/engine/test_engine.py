"""The engine over a real ledger: snapshots, tenants, versions, uses, disclosures."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa

import keepfaith
from keepfaith.engine import Engine
from keepfaith.exceptions import NotFound
from keepfaith.ledger import (
    Ledger,
    Subject,
    consents,
    holds,
    records,
    statements,
    subjects,
)
from tests.ledger.support import RULES, Clock

EMAIL, NAME = "user.contact.email", "user.name"


def customer(ledger: Ledger, tenant: str = "rules", point: str = "signup") -> Subject:
    with ledger.transaction() as tx:
        subject = subjects.add(tx, tenant, "customer")
        records.add(tx, subject, EMAIL, "ann@example.com", collection_point=point)
        records.add(tx, subject, NAME, "Ann", collection_point=point)
    return subject


@pytest.mark.parametrize(
    ("method", "evidence", "allowed"),
    [
        ("default", {}, False),
        ("explicit", {"pre_ticked": True}, False),
        ("explicit", {"checkbox": "newsletter"}, True),
        ("reply_email", {}, True),
        ("staff", {"note": "asked by phone"}, True),
    ],
)
def test_only_an_explicit_choice_is_consent(
    ledger: Ledger, engine: Engine, method: str, evidence: dict[str, object], allowed: bool
) -> None:
    subject = customer(ledger)
    with ledger.transaction() as tx:
        consents.record(tx, subject, "newsletter", method=method, evidence=evidence)
    assert engine.may(subject, "newsletter", [EMAIL]).allowed is allowed


def test_may_loads_the_snapshot_in_one_query(ledger: Ledger, engine: Engine) -> None:
    subject = customer(ledger)
    with ledger.transaction() as tx:
        consents.record(tx, subject, "newsletter")
        holds.add(tx, subject, "legal")
    engine.may(subject, "account", EMAIL)  # plans the question
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(ledger.engine, "before_cursor_execute", count)
    try:
        decision = engine.may(subject, "newsletter", [EMAIL, NAME])
    finally:
        sa.event.remove(ledger.engine, "before_cursor_execute", count)
    assert decision.allowed
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    state = engine.state(subject)
    assert state.consent == {"newsletter": "given"} and state.holds == (("legal", None),)
    assert state.collected[EMAIL] == frozenset({"account", "billing"})


def test_no_decision_crosses_tenants(ledger: Ledger, engine: Engine) -> None:
    acme = customer(ledger, "acme")
    refused = engine.may(acme, "follow_up", [EMAIL])  # a purpose only ``rules`` declares
    assert not refused.allowed and "not declared" in refused.reason
    with pytest.raises(NotFound):
        engine.may(Subject(acme.id, "rules", "customer", "1"), "account", [EMAIL])
    with pytest.raises(NotFound):  # a bare id guessed from another tenant
        engine.may(acme.id, "account", [EMAIL], tenant="rules")
    assert engine.may(acme.id, "follow_up", [EMAIL], tenant="acme").reason == refused.reason
    rules_state = engine.state(customer(ledger))
    elsewhere = dataclasses.replace(rules_state, tenant="acme")
    assert not engine.decide(elsewhere, "account", [EMAIL]).allowed
    assert acme.id not in set(engine.audience_ids("rules", "account", [EMAIL]))


def test_consent_at_a_past_time(ledger: Ledger, engine: Engine, clock: Clock) -> None:
    subject = customer(ledger)
    before = clock.advance(hours=1)
    with ledger.transaction() as tx:
        clock.advance(hours=1)
        consents.record(tx, subject, "newsletter")
    during = clock.advance(hours=1)
    with ledger.transaction() as tx:
        clock.advance(hours=1)
        consents.record(tx, subject, "newsletter", kind="withdrawn", method="link")
    assert [engine.may(subject, "newsletter", EMAIL, at=t).allowed for t in (before, during)] == [
        False,
        True,
    ]
    assert not engine.may(subject, "newsletter", EMAIL).allowed
    assert list(engine.audience_ids("rules", "newsletter", [EMAIL], at=during)) == [subject.id]
    assert list(engine.audience_ids("rules", "newsletter", [EMAIL])) == []


def test_each_subject_is_decided_under_its_own_version(ledger: Ledger, engine: Engine) -> None:
    subject = customer(ledger)
    text = RULES.read_text(encoding="utf-8").replace('version: "1"', 'version: "2"')
    text = text.replace(
        "purposes:\n  - {id: account",
        "purposes:\n  - {id: survey_invites, "
        "name: Invites, basis: opt_out, categories: [user.contact.email]}\n"
        "  - {id: account",
    )
    with ledger.transaction() as tx:
        statements.publish(tx, keepfaith.loads(text), text)
    assert "not declared" in engine.may(subject, "survey_invites", EMAIL).reason
    with ledger.transaction() as tx:
        moved = subjects.set_statement_version(tx, subject, "2")
    assert moved.statement_version == "2"
    later = engine.may(moved, "survey_invites", EMAIL)  # ES-03: a new use of old data
    assert not later.allowed and "not collected for" in later.reason
    with ledger.transaction() as tx:
        consents.record(tx, moved, "survey_invites", kind="notified", method="link")
    assert engine.may(moved, "survey_invites", EMAIL).allowed


def test_use_appends_an_audit_entry_only_when_allowed(ledger: Ledger, engine: Engine) -> None:
    subject = customer(ledger)
    before = len(ledger.audit_entries())
    assert not engine.use(subject, "newsletter", [EMAIL]).allowed
    assert len(ledger.audit_entries()) == before
    allowed = engine.use(subject, "account", [EMAIL], recipient="mailer")
    [entry] = ledger.audit_entries(after=before)
    assert entry.action == "use" and entry.object_id == str(subject.id)
    assert entry.detail() == {
        "purpose": "account",
        "categories": [EMAIL],
        "recipient": "mailer",
        "clauses": list(allowed.clauses),
    }
    assert "ann@example.com" not in entry.details


def test_project_keeps_only_what_the_recipient_may_receive(ledger: Ledger, engine: Engine) -> None:
    subject = customer(ledger)
    with ledger.transaction() as tx:
        records.add(tx, subject, "user.financial.credit_card", "4111", collection_point="signup")
        held = records.of(tx, subject)
    assert {r.category for r in engine.project(held, "mailer")} == {EMAIL, NAME}
    assert {r.category for r in engine.project(held, "partners")} == {EMAIL}
    assert engine.project(held, "nobody") == []


def test_a_hold_keeps_legal_uses_of_a_deleted_subject(
    ledger: Ledger, engine: Engine, clock: Clock
) -> None:
    subject = customer(ledger)
    with ledger.transaction() as tx:
        holds.add(tx, subject, "legal", until=clock.now + dt.timedelta(days=10))
        subjects.set_status(tx, subject, "deleted")
    assert engine.may(subject, "legal_keep", [NAME], at=clock.now).allowed
    assert not engine.may(subject, "account", [NAME], at=clock.now).allowed
    assert not engine.may(
        subject, "legal_keep", [NAME], at=clock.now + dt.timedelta(days=11)
    ).allowed
