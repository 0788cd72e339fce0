"""A person's choices: which the statement gives, where they stand, and changing them."""

from __future__ import annotations

import pytest

from keepfaith import InvalidSubmission, NotFound
from keepfaith.collect import consent
from keepfaith.collect.points import submit
from keepfaith.ledger import ConsentKind, ConsentMethod, Ledger, Subject, consents, subjects
from keepfaith.statement import Statement
from keepfaith.statement.schema import Cookie, CookieCategory, CookieDuration, CookieParty
from tests.collect.conftest import NOW
from tests.ledger.support import read

SIGNUP = {"name": "Ann", "email": "ann@example.com", "card": "4111111111111111"}


@pytest.fixture
def person(ledger: Ledger, statement: Statement) -> Subject:
    done = submit(ledger, statement, "signup", SIGNUP)
    return read(ledger, subjects.get, "acme", done.subject_id or 0)


def test_choices_are_preference_center_purposes_and_optional_cookie_categories(
    statement: Statement,
) -> None:
    analytics = Cookie(
        name="_stats",
        party=CookieParty.THIRD,
        duration=CookieDuration.PERSISTENT,
        purpose="newsletter",
        category=CookieCategory.ANALYTICS,
    )
    changed = statement.model_copy(update={"cookies": (*statement.cookies, analytics)})
    found = [(c.id, c.opt_in, c.purposes) for c in consent.choices(changed)]
    # The session cookie is necessary: no choice. The opt-in newsletter is one.
    assert found == [
        ("newsletter", True, ("newsletter",)),
        ("cookie:analytics", True, ("newsletter",)),
    ]
    with pytest.raises(NotFound):
        consent.choice(statement, "account")


def test_a_new_person_has_made_no_choice(
    ledger: Ledger, statement: Statement, person: Subject
) -> None:
    (state,) = consent.current(ledger, statement, person)
    assert (state.choice.id, state.on, state.state, state.changed_at) == (
        "newsletter",
        False,
        "not_set",
        None,
    )


def test_each_change_is_a_consent_event_with_method_and_evidence(
    ledger: Ledger, statement: Statement, person: Subject
) -> None:
    consent.change(
        ledger, statement, person, {"newsletter": True}, evidence={"via": "test"}, at=NOW
    )
    (state,) = consent.current(ledger, statement, person)
    assert (state.on, state.state, state.changed_at) == (True, "given", NOW)
    consent.change(ledger, statement, person, {"newsletter": False})
    events = read(ledger, consents.history, person)
    assert [(e.kind, e.method) for e in events] == [
        (ConsentKind.GIVEN, ConsentMethod.EXPLICIT),
        (ConsentKind.WITHDRAWN, ConsentMethod.EXPLICIT),
    ]
    assert events[0].evidence == {"via": "test", "choice": "newsletter"}
    assert not consent.current(ledger, statement, person)[0].on


@pytest.mark.parametrize("method", [ConsentMethod.LINK, ConsentMethod.DEFAULT, ConsentMethod.GPC])
def test_an_opt_in_is_given_only_by_an_explicit_action(
    ledger: Ledger, statement: Statement, person: Subject, method: ConsentMethod
) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        consent.change(ledger, statement, person, {"newsletter": True}, method=method)
    assert refused.value.errors == {
        "newsletter": "an opt-in choice is given only by an explicit action"
    }
    assert read(ledger, consents.history, person) == []
    # Withdrawing needs no explicit action: a link in a message is enough.
    consent.change(ledger, statement, person, {"newsletter": False}, method=method)
    assert [e.kind for e in read(ledger, consents.history, person)] == [ConsentKind.WITHDRAWN]


def test_unknown_choices_and_non_boolean_values_are_refused_whole(
    ledger: Ledger, statement: Statement, person: Subject
) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        consent.change(
            ledger, statement, person, {"account": False, "newsletter": "yes", "x": True}
        )
    assert set(refused.value.errors) == {"account", "newsletter", "x"}
    assert read(ledger, consents.history, person) == []
