"""Submitting at a collection point: what is refused, what is stored, and how."""

from __future__ import annotations

import datetime as dt

import pytest

from keepfaith import InvalidSubmission, NotFound, Refused
from keepfaith.collect.points import submit
from keepfaith.ledger import ConsentMethod, Ledger, consents, records, statements, subjects
from keepfaith.statement import Statement
from keepfaith.statement.schema import CollectionPoint, FormField
from tests.collect.conftest import NOW
from tests.ledger.support import read

SIGNUP = {"name": "Ann Example", "email": "ann@example.com", "card": "4111111111111111"}


def stored_counts(ledger: Ledger, tenant: str = "acme") -> tuple[int, int]:
    with ledger.transaction() as tx:
        people = subjects.of_tenant(tx, tenant)
        return len(people), sum(len(records.of(tx, s)) for s in people)


def test_a_valid_submission_stores_records_with_purposes_version_and_provenance(
    ledger: Ledger, statement: Statement
) -> None:
    done = submit(ledger, statement, "signup", SIGNUP, at=NOW)
    subject = read(ledger, subjects.get, "acme", done.subject_id or 0)
    held = {r.category: r for r in read(ledger, records.of, subject)}
    assert set(held) == {"user.name", "user.contact.email", "user.financial.credit_card"}
    email = held["user.contact.email"]
    assert email.value == "ann@example.com"
    assert email.purposes == ("account", "billing")
    assert email.statement_version == "2024-01"
    assert email.collection_point == "signup"
    assert email.provenance["collection_point"] == "signup"
    assert email.provenance["field"] == "email"
    assert held["user.financial.credit_card"].value == "4111111111111111"


def test_undeclared_and_missing_fields_are_refused_field_by_field_and_nothing_is_stored(
    ledger: Ledger, statement: Statement
) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        submit(ledger, statement, "signup", {"name": "Ann", "shoe_size": "42"})
    assert refused.value.errors == {
        "shoe_size": "not a field of signup: this point does not collect it",
        "email": "is required",
        "card": "is required",
    }
    assert stored_counts(ledger) == (0, 0)


def test_blank_required_field_is_missing(ledger: Ledger, statement: Statement) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        submit(ledger, statement, "signup", {**SIGNUP, "email": "   "})
    assert refused.value.errors == {"email": "is required"}


def test_a_field_value_must_be_text(ledger: Ledger, statement: Statement) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        submit(ledger, statement, "signup", {**SIGNUP, "name": ["a", "b"]})
    assert refused.value.errors == {"name": "must be text"}


@pytest.mark.parametrize(
    ("age", "refused"),
    [(12, True), (13, False), (dt.date(2011, 3, 2), True), (dt.date(2011, 3, 1), False)],
)
def test_the_age_gate_refuses_under_the_minimum_age_without_echoing_it(
    ledger: Ledger, statement: Statement, age: int | dt.date, refused: bool
) -> None:
    if not refused:
        assert submit(ledger, statement, "signup", SIGNUP, age=age, at=NOW).records
        return
    with pytest.raises(InvalidSubmission) as error:
        submit(ledger, statement, "signup", SIGNUP, age=age, at=NOW)
    assert list(error.value.errors) == ["age"]
    assert "13" in str(error.value) and str(age) not in str(error.value)
    assert stored_counts(ledger) == (0, 0)


def test_an_age_field_feeds_the_age_gate(ledger: Ledger, statement: Statement) -> None:
    fields = (
        *statement.collection_point("signup").fields,
        FormField(name="birth", category="user.demographic.date_of_birth"),
    )
    points = [
        p.model_copy(update={"fields": fields}) if p.id == "signup" else p
        for p in statement.collection_points
    ]
    changed = statement.model_copy(update={"collection_points": tuple(points)})
    with pytest.raises(InvalidSubmission) as error:
        submit(ledger, changed, "signup", {**SIGNUP, "birth": "2015-06-01"}, at=NOW)
    assert list(error.value.errors) == ["birth"]
    assert "2015" not in str(error.value)


def test_national_id_numbers_are_redacted_from_free_text_before_storage(
    ledger: Ledger, statement: Statement
) -> None:
    note = "my SSN is 123-45-6789, call me"
    done = submit(ledger, statement, "signup", {**SIGNUP, "note": note})
    assert done.redacted == ("note",)
    subject = read(ledger, subjects.get, "acme", done.subject_id or 0)
    (stored,) = read(ledger, records.of, subject, ["user.content.free_text"])
    assert stored.value == "my SSN is [redacted], call me"
    assert stored.provenance["redacted_national_ids"] == 1
    names = {r.value for r in read(ledger, records.of, subject, ["user.name"])}
    assert names == {"Ann Example"}


def test_a_widget_accepts_technical_categories_only(ledger: Ledger, statement: Statement) -> None:
    done = submit(ledger, statement, "voice_widget", {"ip": "192.0.2.1", "browser": "Firefox"})
    assert len(done.records) == 2
    with pytest.raises(InvalidSubmission) as refused:
        submit(ledger, statement, "voice_widget", {"ip": "192.0.2.1", "email": "a@b.example"})
    assert list(refused.value.errors) == ["email"]


def test_a_widget_refuses_a_declared_non_technical_field(
    ledger: Ledger, statement: Statement
) -> None:
    widget = statement.collection_point("voice_widget")
    fields = (*widget.fields, FormField(name="name", category="user.name"))
    points = [
        p.model_copy(update={"fields": fields}) if p.id == "voice_widget" else p
        for p in statement.collection_points
    ]
    changed = statement.model_copy(update={"collection_points": tuple(points)})
    with pytest.raises(InvalidSubmission) as refused:
        submit(ledger, changed, "voice_widget", {"ip": "192.0.2.1", "name": "Ann"})
    assert refused.value.errors == {
        "name": "an embedded widget collects technical data (browser, IP) only"
    }


def _with_point(statement: Statement, point: CollectionPoint) -> Statement:
    return statement.model_copy(update={"collection_points": (*statement.collection_points, point)})


def test_a_detached_point_stores_records_linked_to_no_one(
    database_url: str, statement: Statement
) -> None:
    feedback = CollectionPoint(
        id="feedback",
        kind="form",
        name="Feedback",
        subjects=("visitor",),
        fields=(FormField(name="text", category="user.content.free_text", free_text=True),),
        purposes=("account",),
        detached=True,
    )
    changed = _with_point(statement, feedback).model_copy(update={"version": "2024-02"})
    with Ledger(database_url) as ledger:
        ledger.migrate()
        with ledger.transaction() as tx:
            statements.publish(tx, changed)
        done = submit(ledger, changed, "feedback", {"text": "Nice site"})
        assert done.subject_id is None
        with ledger.transaction() as tx:
            assert subjects.of_tenant(tx, "acme") == []
            (record,) = records.detached(tx, "acme")
        assert record.subject_id is None and record.value == "Nice site"


def test_a_single_use_point_is_refused(ledger: Ledger, statement: Statement) -> None:
    friend = CollectionPoint(
        id="email_page",
        kind="form",
        name="Email this page",
        subjects=("visitor",),
        fields=(FormField(name="to", category="user.contact.email", required=True),),
        purposes=("account",),
        single_use=True,
    )
    with pytest.raises(Refused, match="single-use"):
        submit(ledger, _with_point(statement, friend), "email_page", {"to": "f@example.com"})
    assert stored_counts(ledger) == (0, 0)


def test_an_unknown_point_is_not_found(ledger: Ledger, statement: Statement) -> None:
    with pytest.raises(NotFound):
        submit(ledger, statement, "nope", {})


def test_a_ticked_consent_box_is_an_explicit_consent_event(
    ledger: Ledger, statement: Statement
) -> None:
    done = submit(ledger, statement, "signup", SIGNUP, consents={"newsletter": "on"})
    assert done.consented == ("newsletter",)
    subject = read(ledger, subjects.get, "acme", done.subject_id or 0)
    (event,) = read(ledger, consents.history, subject)
    assert (event.choice, event.method, event.counts) == (
        "newsletter",
        ConsentMethod.EXPLICIT,
        True,
    )
    assert event.evidence["collection_point"] == "signup"


@pytest.mark.parametrize("value", [False, "", None, "off", 0])
def test_an_unticked_box_gives_no_consent(
    ledger: Ledger, statement: Statement, value: object
) -> None:
    done = submit(ledger, statement, "signup", SIGNUP, consents={"newsletter": value})
    subject = read(ledger, subjects.get, "acme", done.subject_id or 0)
    assert read(ledger, consents.history, subject) == []


def test_a_value_sent_as_a_default_is_recorded_but_is_not_consent(
    ledger: Ledger, statement: Statement
) -> None:
    done = submit(ledger, statement, "signup", SIGNUP, consents={"newsletter": "default"})
    assert done.consented == ()
    subject = read(ledger, subjects.get, "acme", done.subject_id or 0)
    (event,) = read(ledger, consents.history, subject)
    assert (event.method, event.counts) == (ConsentMethod.DEFAULT, False)


def test_consent_only_for_the_points_own_purposes(ledger: Ledger, statement: Statement) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        submit(ledger, statement, "signup", SIGNUP, consents={"account": True})
    assert list(refused.value.errors) == ["consent.account"]
    assert stored_counts(ledger) == (0, 0)


def test_records_are_added_to_a_known_subject(ledger: Ledger, statement: Statement) -> None:
    first = submit(ledger, statement, "signup", SIGNUP)
    subject = read(ledger, subjects.get, "acme", first.subject_id or 0)
    again = submit(ledger, statement, "signup", {**SIGNUP, "note": "hello"}, subject=subject)
    assert again.subject_id == subject.id
    assert stored_counts(ledger) == (1, 7)


def test_a_known_child_is_refused(ledger: Ledger, statement: Statement) -> None:
    first = submit(ledger, statement, "signup", SIGNUP)
    with ledger.transaction() as tx:
        child = subjects.set_known_child(tx, subjects.get(tx, "acme", first.subject_id or 0))
    with pytest.raises(InvalidSubmission) as refused:
        submit(ledger, statement, "signup", SIGNUP, subject=child)
    assert list(refused.value.errors) == ["age"]
    assert stored_counts(ledger) == (1, 3)


def test_an_empty_submission_is_refused(ledger: Ledger, statement: Statement) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        submit(ledger, statement, "voice_widget", {"browser": ""})
    assert refused.value.errors == {"ip": "is required"}
    optional_only = statement.collection_point("voice_widget").model_copy(
        update={"fields": (FormField(name="browser", category="user.device.browser"),)}
    )
    points = [optional_only if p.id == "voice_widget" else p for p in statement.collection_points]
    changed = statement.model_copy(update={"collection_points": tuple(points)})
    with pytest.raises(InvalidSubmission) as refused:
        submit(ledger, changed, "voice_widget", {})
    assert list(refused.value.errors) == ["fields"]


def test_a_wrong_kind_is_reported_with_the_field_errors(
    ledger: Ledger, statement: Statement
) -> None:
    """One answer names every problem, so the person fixes them in one go."""
    with pytest.raises(InvalidSubmission) as refused:
        submit(ledger, statement, "signup", {"name": "Ann"}, subject_kind="robot")
    assert set(refused.value.errors) == {"email", "card", "subject_kind"}
    assert stored_counts(ledger) == (0, 0)
