"""Recording a cookie choice: events per purpose, the visitor identifier, GPC."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keepfaith.collect.cookie_choice import (
    REFERENCE_PREFIX,
    read_visitor,
    record_cookie_choice,
    visitor_kind,
)
from keepfaith.collect.cookies import cookie_section_version, optional_categories
from keepfaith.exceptions import InvalidSubmission
from keepfaith.ledger import Ledger, statements, subjects
from keepfaith.statement import Statement, load
from keepfaith.statement.schema import Cookie, CookieCategory, CookieDuration, CookieParty
from tests.collect.conftest import SECRET
from tests.conftest import EXAMPLES
from tests.ledger.support import read

POLICY = "https://keepfaith.example/t/parature/"


@pytest.fixture(scope="module")
def parature() -> Statement:
    return load(EXAMPLES / "parature" / "statement.yaml")


@pytest.fixture
def ledger(database_url: str, parature: Statement) -> Iterator[Ledger]:
    with Ledger(database_url) as opened:
        opened.migrate()
        with opened.transaction() as tx:
            statements.publish(tx, parature)
        yield opened


def test_one_event_per_purpose_of_each_optional_category(
    ledger: Ledger, parature: Statement
) -> None:
    assert optional_categories(parature) == {
        "functional": ["recognise_returning_browser"],
        "analytics": ["site_analytics"],
        "advertising": ["ad_serving", "behavioural_advertising"],
    }
    choice = record_cookie_choice(
        ledger,
        parature,
        accepted=["functional"],
        version=cookie_section_version(parature),
        secret_key=SECRET,
        policy_url=POLICY,
    )
    kinds = {e.choice: e.kind.value for e in choice.events}
    assert kinds == {
        "recognise_returning_browser": "given",
        "site_analytics": "withdrawn",
        "ad_serving": "withdrawn",
        "behavioural_advertising": "withdrawn",
    }
    assert all(e.evidence["source"] == "cookie_banner" for e in choice.events)
    subject = read(ledger, subjects.get, "parature", choice.subject_id or 0)
    assert subject.kind == visitor_kind(parature) == "visitor"
    assert (subject.reference or "").startswith(REFERENCE_PREFIX)
    assert choice.receipt is not None
    assert len(choice.receipts) == 4


def test_gpc_refuses_advertising_and_marks_the_subject(ledger: Ledger, parature: Statement) -> None:
    choice = record_cookie_choice(
        ledger,
        parature,
        accepted=["functional", "analytics", "advertising"],
        version=cookie_section_version(parature),
        secret_key=SECRET,
        policy_url=POLICY,
        gpc=True,
    )
    assert choice.accepted == ("functional", "analytics")
    by_purpose = {e.choice: (e.kind.value, e.method.value) for e in choice.events}
    assert by_purpose["ad_serving"] == ("withdrawn", "gpc")
    assert by_purpose["behavioural_advertising"] == ("withdrawn", "gpc")
    assert by_purpose["site_analytics"] == ("given", "explicit")
    assert read(ledger, subjects.get, "parature", choice.subject_id or 0).gpc


def test_visitor_identifier_is_random_signed_and_per_tenant(
    ledger: Ledger, parature: Statement
) -> None:
    first = record_cookie_choice(
        ledger,
        parature,
        accepted=[],
        version=cookie_section_version(parature),
        secret_key=SECRET,
        policy_url=POLICY,
    )
    token = first.visitor or ""
    random_id, _, signature = token.partition(".")
    assert len(random_id) == 22 and signature  # 128 random bits, then the HMAC
    assert read_visitor(SECRET, "parature", token) == random_id
    with pytest.raises(InvalidSubmission):
        read_visitor(SECRET, "another_tenant", token)
    with pytest.raises(InvalidSubmission):
        read_visitor("another secret key of sufficient length", "parature", token)
    again = record_cookie_choice(
        ledger,
        parature,
        accepted=["analytics"],
        version=cookie_section_version(parature),
        secret_key=SECRET,
        policy_url=POLICY,
        visitor=token,
    )
    assert again.subject_id == first.subject_id


def test_a_purpose_shared_by_two_categories_needs_both(database_url: str) -> None:
    statement = load(EXAMPLES / "parature" / "statement.yaml")
    extra = Cookie(
        name="ads_analytics",
        party=CookieParty.THIRD,
        duration=CookieDuration.SESSION,
        purpose="site_analytics",
        category=CookieCategory.ADVERTISING,
    )
    statement = statement.model_copy(update={"cookies": (*statement.cookies, extra)})
    with Ledger(database_url) as ledger:
        ledger.migrate()
        with ledger.transaction() as tx:
            statements.publish(tx, statement)
        choice = record_cookie_choice(
            ledger,
            statement,
            accepted=["analytics"],
            version=cookie_section_version(statement),
            secret_key=SECRET,
            policy_url=POLICY,
        )
    kinds = {e.choice: e.kind.value for e in choice.events}
    assert kinds["site_analytics"] == "withdrawn"
    assert len(choice.events) == 4  # one event per purpose, not per category


def test_a_returning_visitor_is_decided_under_the_banner_they_answered(
    ledger: Ledger, parature: Statement
) -> None:
    first = record_cookie_choice(
        ledger,
        parature,
        accepted=[],
        version=cookie_section_version(parature),
        secret_key=SECRET,
        policy_url=POLICY,
    )
    extra = Cookie(
        name="partner_pixel",
        party=CookieParty.THIRD,
        duration=CookieDuration.SESSION,
        purpose="partner_sharing",
        category=CookieCategory.ADVERTISING,
    )
    newer = parature.model_copy(update={"version": "next", "cookies": (*parature.cookies, extra)})
    with ledger.transaction() as tx:
        statements.publish(tx, newer)
    again = record_cookie_choice(
        ledger,
        newer,
        accepted=["advertising"],
        version=cookie_section_version(newer),
        secret_key=SECRET,
        policy_url=POLICY,
        visitor=first.visitor,
    )
    assert again.subject_id == first.subject_id
    assert read(ledger, subjects.get, "parature", first.subject_id or 0).statement_version == "next"
    assert "partner_sharing" in {e.choice for e in again.events}
