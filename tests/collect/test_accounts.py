"""People's own sign-in and profile editing, and staff-handled correction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from keepfaith import AccessDenied, InvalidSubmission, Refused
from keepfaith.collect import accounts
from keepfaith.collect.points import submit
from keepfaith.ledger import Ledger, Subject, records, statements, subjects
from keepfaith.ledger.logins import person_logins
from keepfaith.statement import Statement
from keepfaith.statement.schema import FormField, Handling, Right, RightKind, Verification
from tests.collect.conftest import SECRET
from tests.ledger.support import read

SIGNUP = {"name": "Ann", "email": "Ann@Example.com", "card": "4111111111111111"}
PASSWORD = "a long enough password"


def self_service(statement: Statement) -> Statement:
    rights = statement.rights.model_copy(
        update={
            "verification": (Verification.LOGIN,),
            "requests": (Right(kind=RightKind.CORRECT, handling=Handling.SELF_SERVICE),),
        }
    )
    return statement.model_copy(update={"rights": rights})


@pytest.fixture
def person(ledger: Ledger, statement: Statement) -> Subject:
    done = submit(ledger, statement, "signup", {**SIGNUP, "note": "hello"})
    return read(ledger, subjects.get, "acme", done.subject_id or 0)


def test_login_only_where_the_statement_offers_it(
    ledger: Ledger, statement: Statement, person: Subject
) -> None:
    with pytest.raises(Refused, match="does not offer"):
        accounts.set_password(ledger, statement, SECRET, person, "ann@example.com", PASSWORD)


def test_a_person_sets_a_password_for_their_own_address_and_signs_in(
    ledger: Ledger, statement: Statement, person: Subject
) -> None:
    offered = self_service(statement)
    with pytest.raises(InvalidSubmission) as refused:
        accounts.set_password(ledger, offered, SECRET, person, "someone@else.example", PASSWORD)
    assert list(refused.value.errors) == ["login"]
    with pytest.raises(InvalidSubmission) as refused:
        accounts.set_password(ledger, offered, SECRET, person, "ann@example.com", "short")
    assert list(refused.value.errors) == ["password"]
    accounts.set_password(ledger, offered, SECRET, person, " ann@example.COM ", PASSWORD)
    signed_in = accounts.sign_in(ledger, offered, SECRET, "ANN@example.com", PASSWORD)
    assert signed_in.id == person.id
    for login, password in [("ann@example.com", "wrong password"), ("bob@x.example", PASSWORD)]:
        with pytest.raises(AccessDenied, match="wrong email address or password"):
            accounts.sign_in(ledger, offered, SECRET, login, password)


def test_no_email_address_is_stored_for_a_login(
    ledger: Ledger, statement: Statement, person: Subject
) -> None:
    accounts.set_password(
        ledger, self_service(statement), SECRET, person, "ann@example.com", PASSWORD
    )
    with ledger.engine.connect() as connection:
        (row,) = connection.execute(sa.select(person_logins)).all()
    assert "ann" not in str(tuple(row)).lower() and PASSWORD not in str(tuple(row))


def test_a_password_field_becomes_the_login_and_is_never_stored(
    ledger: Ledger, statement: Statement
) -> None:
    signup = statement.collection_point("signup")
    fields = (*signup.fields, FormField(name="password", category="user.authorization.password"))
    points = [
        signup.model_copy(update={"fields": fields}) if p.id == "signup" else p
        for p in statement.collection_points
    ]
    categories = (
        *statement.categories,
        statement.categories[0].model_copy(
            update={"id": "user.authorization.password", "name": "Password"}
        ),
    )
    changed = self_service(statement).model_copy(
        update={"collection_points": tuple(points), "categories": categories, "version": "2"}
    )
    with ledger.transaction() as tx:
        statements.publish(tx, changed)
    with pytest.raises(InvalidSubmission) as refused:
        submit(ledger, changed, "signup", {**SIGNUP, "password": "short"}, secret_key=SECRET)
    assert refused.value.errors == {"password": "must be at least 10 characters"}
    done = submit(ledger, changed, "signup", {**SIGNUP, "password": PASSWORD}, secret_key=SECRET)
    subject = read(ledger, subjects.get, "acme", done.subject_id or 0)
    (kept,) = read(ledger, records.of, subject, ["user.authorization.password"])
    assert kept.value is None
    shown = {entry.category for entry in accounts.profile(ledger, changed, subject)}
    assert "user.authorization.password" not in shown
    with pytest.raises(InvalidSubmission):
        accounts.edit_profile(ledger, changed, subject, {kept.id: "plain text"})
    assert accounts.sign_in(ledger, changed, SECRET, "ann@example.com", PASSWORD).id == subject.id


def test_self_service_editing_follows_the_statement(
    ledger: Ledger, statement: Statement, person: Subject
) -> None:
    (name,) = read(ledger, records.of, person, ["user.name"])
    with pytest.raises(Refused, match="made by our staff"):
        accounts.edit_profile(ledger, statement, person, {name.id: "Annie"})
    offered = self_service(statement)
    assert all(entry.editable for entry in accounts.profile(ledger, offered, person))
    accounts.edit_profile(ledger, offered, person, {name.id: "Annie"})
    assert [r.value for r in read(ledger, records.of, person, ["user.name"])] == ["Annie"]
    with pytest.raises(InvalidSubmission) as refused:
        accounts.edit_profile(ledger, offered, person, {99999: "x", name.id: " "})
    assert refused.value.errors == {
        "99999": "is not one of your records",
        str(name.id): "must not be empty",
    }


def test_staff_correct_with_a_trail_and_redaction(
    ledger: Ledger, statement: Statement, person: Subject
) -> None:
    (note,) = read(ledger, records.of, person, ["user.content.free_text"])
    accounts.correct_by_staff(
        ledger, statement, person, {note.id: "SSN 123-45-6789"}, actor="staff:user:7"
    )
    assert [r.value for r in read(ledger, records.of, person, ["user.content.free_text"])] == [
        "SSN [redacted]"
    ]
    trail = [e for e in ledger.audit_entries() if e.actor == "staff:user:7"]
    assert [e.action for e in trail] == ["correct", "correct_request"]
    assert "6789" not in str([e.details for e in trail])
