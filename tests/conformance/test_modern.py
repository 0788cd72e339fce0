"""Larkspur Notes (examples/modern, MO-1xx): today's privacy law, enforced part by part.

Driven through keepfaith's public interfaces: the HTTP collection points and privacy
center as a person uses them, and the engine's Python API as the company's systems ask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from keepfaith.collect import consent as choices
from keepfaith.collect.links import link_token
from keepfaith.engine import Engine
from keepfaith.ledger import Record, Subject, consents, disclosures, records, subjects
from keepfaith.statement import load
from keepfaith.statement.check import check
from keepfaith.statement.schema import RetentionStart
from tests.conformance.conftest import Seeds, person
from tests.conformance.sharing_support import disclose, legally
from tests.conftest import EXAMPLES
from tests.web.conftest import SECRET

STATEMENT = EXAMPLES / "modern" / "statement.yaml"
EMAIL, HASHED = ["user.contact.email"], ["user.contact.email.hashed"]
IP = ["user.device.ip_address"]
Apps = Callable[..., FastAPI]
Clients = Callable[..., httpx.Client]


def _placed(engine: Engine, jurisdiction: str | None, **changes: object) -> Subject:
    """A user who signed up, placed in ``jurisdiction``."""
    subject = person(engine, "modern", "user", "signup")
    with engine.ledger.transaction() as tx:
        subject = subjects.set_jurisdiction(tx, subject, jurisdiction)
        records.add(tx, subject, HASHED[0], "h", source="derived", purposes=["audience_matching"])
        records.add(tx, subject, IP[0], "203.0.113.9", collection_point="server_logs")
        if changes.get("restricted"):
            subject = subjects.set_restricted(tx, subject)
        if "age_under" in changes:
            subject = subjects.set_age_under(tx, subject, int(str(changes["age_under"])))
    return subject


def test_MO_101_the_statement_checks_clean_and_clause_ids_pass_99() -> None:
    statement = load(STATEMENT)
    assert check(statement) == []
    assert "MO-135" in statement.declared_clauses()


def test_MO_114_the_basis_is_decided_by_where_the_person_is(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    engine: Engine = service.state.engine
    answers = {}
    for region in ("DE", "US-CA", "GB"):
        body = {"fields": {"name": "Ann", "email": "ann@example.org"}, "region": region}
        sent = client.post("/api/t/modern/collect/signup", json=body)
        assert sent.status_code == 201, sent.text
        answers[region] = engine.may(sent.json()["subject"], "product_news", EMAIL, tenant="modern")
    assert not answers["DE"].allowed and "MO-114" in answers["DE"].clauses
    assert not answers["GB"].allowed
    assert answers["US-CA"].allowed
    assert answers["US-CA"].reason == "product_news (opt_out in california)"
    refused = client.post(
        "/api/t/modern/collect/signup",
        json={"fields": {"name": "Bo", "email": "bo@example.org"}, "region": "ZZ-99"},
    )
    assert refused.status_code == 422 and "region" in refused.json()["errors"]


def test_MO_111_an_objection_stops_a_legitimate_interest(seeds: Seeds) -> None:
    engine = seeds("modern")
    subject = _placed(engine, "eea")
    assert engine.may(subject, "account_security", EMAIL).allowed
    statement = load(STATEMENT)
    shown = {c.id: c for c in choices.choices(statement, "eea")}
    assert not shown["account_security"].opt_in  # on until the person objects
    choices.change(engine.ledger, statement, subject, {"account_security": False})
    refused = engine.may(subject, "account_security", EMAIL)
    assert not refused.allowed and refused.reason.startswith("the person objected to")
    assert {"MO-111", "MO-121"} <= set(refused.clauses)
    assert engine.may(subject, "vital_emergencies", IP).allowed


def test_MO_120_restriction_leaves_only_consent_and_vital_interests(seeds: Seeds) -> None:
    engine = seeds("modern")
    subject = _placed(engine, "eea", restricted=True)
    refused = engine.may(subject, "account_security", EMAIL)
    assert not refused.allowed and "restricted" in refused.reason and "MO-120" in refused.clauses
    assert not engine.may(subject, "provide_service", EMAIL).allowed
    assert engine.may(subject, "vital_emergencies", IP).allowed
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "product_news")
    assert engine.may(subject, "product_news", EMAIL).allowed


def test_MO_129_do_not_sell_or_share_in_california(
    make_app: Apps, make_client: Clients, seeds: Seeds
) -> None:
    engine = seeds("modern")
    statement = load(STATEMENT)
    subject = _placed(engine, "california")
    assert engine.may(subject, "audience_matching", HASHED, "ad_partner").allowed
    offered = {c.id: c for c in choices.choices(statement, "california")}
    assert offered[choices.SALE_CHOICE].purposes == ("ad_measurement", "audience_matching")
    assert choices.SALE_CHOICE not in {c.id for c in choices.choices(statement, "eea")}
    choices.change(engine.ledger, statement, subject, {choices.SALE_CHOICE: False})
    refused = engine.may(subject, "audience_matching", HASHED, "ad_partner")
    assert not refused.allowed and "MO-116" in refused.clauses
    # In the EEA the same use needs an opt-in first.
    assert not engine.may(_placed(engine, "eea"), "audience_matching", HASHED).allowed


def test_MO_133_gpc_is_honoured_and_dnt_is_not(make_app: Apps, make_client: Clients) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    engine: Engine = service.state.engine
    body = {"fields": {"name": "Cy", "email": "cy@example.org"}, "region": "US-CA"}
    sent = client.post("/api/t/modern/collect/signup", json=body, headers={"Sec-GPC": "1"})
    subject_id = sent.json()["subject"]
    refused = engine.may(subject_id, "audience_matching", HASHED, tenant="modern")
    assert not refused.allowed and "Global Privacy Control" in refused.reason
    assert "MO-133" in refused.clauses
    plain = client.post("/api/t/modern/collect/signup", json=body).json()["subject"]
    with service.state.ledger.transaction() as tx:
        subjects.set_dnt(tx, subjects.get(tx, "modern", plain))
    assert engine.may(plain, "audience_matching", HASHED, tenant="modern").allowed
    token = link_token(SECRET, "modern", str(subject_id))
    shown = client.get(
        "/api/t/modern/consents", headers={"Authorization": f"Bearer {token}"}
    ).json()["choices"]
    assert {c["id"] for c in shown if c["gpc"]} >= {"audience_matching", choices.SALE_CHOICE}


def test_MO_126_minors_data_is_shared_only_with_an_opt_in(seeds: Seeds) -> None:
    engine = seeds("modern")
    young = _placed(engine, "california", age_under=16)
    refused = engine.may(young, "audience_matching", HASHED)
    assert not refused.allowed and "minor" in refused.reason and "MO-127" in refused.clauses
    with engine.ledger.transaction() as tx:
        consents.record(tx, young, "audience_matching")
    assert engine.may(young, "audience_matching", HASHED).allowed


def test_MO_127_no_age_question_where_none_is_promised(
    make_app: Apps, make_client: Clients
) -> None:
    client = make_client(make_app((STATEMENT,)))
    page = client.get("/t/modern/forms/signup")
    assert page.status_code == 200 and 'name="_age"' not in page.text
    assert load(STATEMENT).children is not None


def test_MO_131_transfers_abroad_only_under_their_safeguard(seeds: Seeds) -> None:
    engine = seeds("modern")
    european, californian = _placed(engine, "eea"), _placed(engine, "california")
    hosted = engine.may_transfer(european, "US", "cloud_host")
    assert hosted.allowed and "standard contractual clauses" in hosted.reason
    assert hosted.clauses == ("MO-131",)
    measured = engine.may_transfer(european, "US", "ad_partner")
    assert measured.allowed and "Data Privacy Framework" in measured.reason
    assert not engine.may_transfer(european, "IN", "cloud_host").allowed
    assert engine.may_transfer(californian, "US", "cloud_host").allowed
    refused = disclose(engine, european, "cloud_host", "provide_service", EMAIL, country="IN")
    assert not refused.allowed
    with engine.ledger.reading() as tx:
        assert disclosures.of(tx, "modern") == []


def test_MO_122_rights_and_their_terms_depend_on_where_the_person_is(seeds: Seeds) -> None:
    engine = seeds("modern")
    european, californian = _placed(engine, "eea"), _placed(engine, "california")
    assert not engine.may_request(european, "appeal").allowed
    appeal = engine.may_request(californian, "appeal")
    assert appeal.allowed and "within 60 days" in appeal.reason and "MO-122" in appeal.clauses
    assert engine.may_request(european, "restrict").allowed
    assert not engine.may_request(californian, "restrict").allowed
    access = engine.may_request(californian, "access", made_before=2)
    assert "within 45 days" in access.reason and "extendable by 60 days" in access.reason
    assert "beyond 2 free requests" in access.reason and "agent" in access.reason
    deletion = engine.may_request(european, "delete")
    assert "within 30 days" in deletion.reason
    assert deletion.obligations == (
        "pass the deletion on to every recipient that received the data",
    )


@pytest.mark.parametrize(
    ("days", "allowed", "said"),
    [(10, True, "kept until"), (40, False, "only in backups"), (70, False, "delete it")],
)
def test_MO_124_retention_runs_from_the_trash_then_backups(
    seeds: Seeds, days: int, allowed: bool, said: str
) -> None:
    engine = seeds("modern")
    collected = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    trashed = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    notes = Record(
        1, "modern", 1, "user.content.private", "x", (), "2026-03", collected_at=collected
    )
    at = trashed + dt.timedelta(days=days)
    decision = engine.may_keep(notes, at, {RetentionStart.TRASHED: trashed})
    assert (decision.allowed, said in decision.reason) == (allowed, True), decision.reason
    assert "MO-124" in decision.clauses
    assert engine.may_keep(notes, at + dt.timedelta(days=400)).allowed  # never trashed


def test_MO_125_periods_shorter_than_a_day(seeds: Seeds) -> None:
    engine = seeds("modern")
    collected = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    ip = Record(1, "modern", 1, IP[0], "x", (), "2026-03", collected_at=collected)
    assert engine.may_keep(ip, collected + dt.timedelta(hours=71)).allowed
    assert not engine.may_keep(ip, collected + dt.timedelta(hours=73)).allowed


def test_MO_130_a_court_order_needs_its_document_and_the_person_is_told(seeds: Seeds) -> None:
    engine = seeds("modern")
    subject = _placed(engine, "eea")
    refused = legally(engine, "modern", subject, "court_order", "A court", EMAIL)
    assert not refused.allowed and "document" in refused.reason
    allowed = legally(
        engine, "modern", subject, "court_order", "A court", EMAIL, reference="Order 2026/17"
    )
    assert allowed.allowed and allowed.clauses == ("MO-130",)
    assert allowed.obligations == ("tell the person of this disclosure, unless the law forbids it",)


def test_MO_119_the_account_provider_receives_for_its_own_purposes(seeds: Seeds) -> None:
    engine = seeds("modern")
    subject = _placed(engine, "california")
    decision = disclose(engine, subject, "workplace", "provide_service", EMAIL)
    assert decision.allowed and "MO-119" in decision.clauses


def test_MO_109_derived_data_needs_no_collection_point() -> None:
    statement = load(STATEMENT)
    hashed = statement.category(HASHED[0])
    assert hashed.derived_from == ("user.contact.email",)
    collected = {f.category for p in statement.collection_points for f in p.fields}
    assert HASHED[0] not in collected
    assert [f for f in check(statement) if HASHED[0] in f.message] == []
