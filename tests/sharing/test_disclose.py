"""Disclosures: decided by the engine, projected to the recipient's categories, logged."""

from __future__ import annotations

import io
import itertools
import json
import zipfile

import pytest

from keepfaith import sharing
from keepfaith.engine import Engine
from keepfaith.exceptions import InvalidSubmission, NotAllowed, NotFound
from keepfaith.ledger import Ledger, consents, disclosures, statements
from keepfaith.ledger.legal_requests import of as legal_requests_of
from keepfaith.rights.export import build
from tests.engine.test_engine import EMAIL, NAME, customer

RECIPIENTS = ("mailer", "affiliates", "partners", "dc", "host")
CATEGORIES = (EMAIL, NAME, "user.location", "user.financial.credit_card")


def test_disclosure_is_logged_only_when_allowed(ledger: Ledger, engine: Engine) -> None:
    subject = customer(ledger)
    with ledger.transaction() as tx:
        refused = sharing.disclose(tx, engine, subject, "partners", "ads", [EMAIL])
        assert not refused.allowed and refused.record is None
        assert disclosures.of(tx, "rules") == []
        consents.record(tx, subject, "product_news", kind="notified", method="link")
    with ledger.transaction() as tx:
        done = sharing.disclose(
            tx, engine, subject, "partners", "product_news", [EMAIL], country="de"
        )
    assert done.allowed, done.decision.reason
    with ledger.transaction() as tx:
        [logged] = disclosures.of(tx, "rules", subject)
    assert (logged.recipient, logged.basis, logged.country) == ("partners", "opt_out", "DE")
    assert logged.purpose == "product_news" and logged.clauses == done.decision.clauses
    assert logged.statement_version == subject.statement_version


def test_a_category_the_recipient_may_not_receive_is_dropped_and_recorded(
    ledger: Ledger, engine: Engine
) -> None:
    subject = customer(ledger)
    with ledger.transaction() as tx:
        consents.record(tx, subject, "product_news", kind="notified", method="link")
        done = sharing.disclose(
            tx, engine, subject, "partners", "product_news", {EMAIL: "ann@example.com", NAME: "Ann"}
        )
    assert done.allowed and done.payload == {EMAIL: "ann@example.com"}
    assert done.dropped == (NAME,)
    with ledger.transaction() as tx:
        [logged] = disclosures.of(tx, "rules", recipient="partners")
    assert logged.categories == (EMAIL,) and logged.dropped == (NAME,)


@pytest.mark.parametrize(
    "asked", [c for n in (1, 2, 4) for c in itertools.combinations(CATEGORIES, n)]
)
def test_a_recipient_never_receives_a_category_it_may_not(
    ledger: Ledger, engine: Engine, asked: tuple[str, ...]
) -> None:
    subject = customer(ledger)
    for recipient in RECIPIENTS:
        allowed = engine.compiled("rules", subject.statement_version).recipients[recipient]
        for purpose in sorted(allowed.purposes):
            with ledger.transaction() as tx:
                done = sharing.disclose(tx, engine, subject, recipient, purpose, asked)
            assert set(done.payload) <= allowed.categories
            assert set(done.dropped) == set(asked) - allowed.categories
    with ledger.transaction() as tx:
        for logged in disclosures.of(tx, "rules", subject):
            declared = engine.compiled("rules", subject.statement_version).recipients
            assert set(logged.categories) <= declared[logged.recipient].categories


def test_an_undeclared_recipient_or_bad_country_is_refused_by_name(
    ledger: Ledger, engine: Engine
) -> None:
    subject = customer(ledger)
    with ledger.transaction() as tx:
        nobody = sharing.disclose(tx, engine, subject, "nobody", "account", [EMAIL])
        assert not nobody.allowed and nobody.payload == {} and nobody.dropped == (EMAIL,)
        for country in ("D\0E", "USA-CALIF", "", "ü1", "US\r\nX"):
            with pytest.raises(InvalidSubmission) as bad:
                sharing.disclose(tx, engine, subject, "mailer", "account", [EMAIL], country=country)
            assert bad.value.errors == {"country": "must be an ISO country code, such as US or DE"}
        assert disclosures.of(tx, "rules") == []


@pytest.mark.parametrize(
    ("basis", "allowed", "clauses"),
    [
        ("court_order", True, ("TT-70",)),
        ("emergency", True, ("TT-71",)),
        ("dispute", False, ("TT-70", "TT-71")),
        ("marketing", False, ("TT-70", "TT-71")),
    ],
)
def test_legal_disclosure_only_on_declared_bases(
    ledger: Ledger, engine: Engine, basis: str, allowed: bool, clauses: tuple[str, ...]
) -> None:
    subject = customer(ledger)
    with ledger.transaction() as tx:
        if allowed:
            done = sharing.answer(
                tx,
                engine,
                "rules",
                requester="District court",
                kind="court_order",
                basis=basis,
                categories=[NAME],
                reference="order 2024/17",
                subject=subject,
            )
            assert done.decision.clauses == clauses
            assert done.disclosure.legal_request_id == done.request.id
        else:
            with pytest.raises(NotAllowed) as refused:
                sharing.answer(
                    tx,
                    engine,
                    "rules",
                    requester="District court",
                    kind="court_order",
                    basis=basis,
                    categories=[NAME],
                    reference="order 2024/17",
                    subject=subject,
                )
            assert refused.value.clauses == clauses
    with ledger.transaction() as tx:
        log = disclosures.of(tx, "rules", subject)
        asked = legal_requests_of(tx, "rules")
    assert [(d.basis, d.reference) for d in log] == ([(basis, "order 2024/17")] if allowed else [])
    assert len(asked) == (1 if allowed else 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("requester", "Court\r\nBcc: x@example.com"),
        ("requester", "x" * 256),
        ("requester", ""),
        ("kind", "gossip"),
        ("reference", "ref\0"),
        ("gag_days", 10**9),
        ("gag_days", True),
        ("categories", ["user.nothing"]),
        ("categories", []),
        ("country", "Mars"),
    ],
)
def test_bad_legal_requests_name_the_field_and_store_nothing(
    ledger: Ledger, engine: Engine, field: str, value: object
) -> None:
    subject = customer(ledger)
    values: dict[str, object] = {
        "requester": "Court",
        "kind": "court_order",
        "basis": "court_order",
        "categories": [NAME],
        "reference": "A-1",
        field: value,
    }
    with ledger.transaction() as tx:
        with pytest.raises(InvalidSubmission) as bad:
            sharing.answer(tx, engine, "rules", subject=subject, **values)  # type: ignore[arg-type]
        assert list(bad.value.errors) == [field]
        assert disclosures.of(tx, "rules") == [] and legal_requests_of(tx, "rules") == []


def test_anonymous_data_is_free_where_the_statement_says(ledger: Ledger, engine: Engine) -> None:
    with ledger.transaction() as tx:
        allowed = sharing.disclose_anonymous(
            tx, engine, "rules", "Researchers", ["user.device.browser"]
        )
    assert (allowed.allowed, allowed.clauses) == (True, ("TT-72",))
    assert not engine.may_disclose_anonymous("acme").allowed
    with ledger.transaction() as tx:
        [logged] = disclosures.of(tx, "rules")
    assert logged.anonymous and logged.subject_id is None


def test_staff_read_the_log_per_person_and_per_recipient(ledger: Ledger, engine: Engine) -> None:
    ann, bob = customer(ledger), customer(ledger)
    with ledger.transaction() as tx:
        for person in (ann, bob):
            sharing.disclose(tx, engine, person, "mailer", "account", [EMAIL])
        sharing.disclose(tx, engine, ann, "dc", "routing", ["user.location"])
    assert [d.recipient for d in sharing.of_person(ledger, "rules", ann.id)] == ["mailer", "dc"]
    assert [d.subject_id for d in sharing.of_recipient(ledger, "rules", "mailer")] == [
        ann.id,
        bob.id,
    ]
    assert sharing.recipients(ledger, "rules") == {"mailer": 2, "dc": 1}
    with pytest.raises(NotFound):
        sharing.of_person(ledger, "acme", ann.id)


def test_the_access_copy_lists_the_persons_disclosures(ledger: Ledger, engine: Engine) -> None:
    subject = customer(ledger)
    with ledger.transaction() as tx:
        sharing.disclose(tx, engine, subject, "mailer", "account", {EMAIL: "ann@example.com"})
        shown = disclosures.shown_to_person(tx, "rules", subject)
        statement = statements.get(tx, "rules")
    copy = zipfile.ZipFile(io.BytesIO(build(statement, {}, subject.created_at, shown)))
    [entry] = json.loads(copy.read("disclosures.json"))
    assert (entry["recipient"], entry["categories"]) == ("mailer", [EMAIL])
    assert "ann@example.com" not in copy.read("disclosures.csv").decode()
