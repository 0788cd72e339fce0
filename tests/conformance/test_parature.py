"""Parature's clauses (PA-xx), driven through keepfaith's public interface on its example."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from keepfaith.collect.links import link_token
from keepfaith.exceptions import NotFound, Refused
from keepfaith.ledger import Subject, consents, disclosures, records, staff, statements, subjects
from keepfaith.ledger.staff import Role
from keepfaith.statement import load, loads
from keepfaith.statement.check import check
from tests.conformance.conftest import (
    Seeds,
    banner_config,
    cookie_visitor,
    person,
    post_cookie_choice,
)
from tests.conformance.sharing_support import (
    anonymously,
    complaint_escalated_on_its_day,
    disclose,
    legal,
    refused_legally,
    transfer,
)
from tests.conformance.told import assert_told
from tests.conftest import EXAMPLES, PARATURE_CONTACT
from tests.ledger.support import read, write
from tests.logs.support import VISITS, all_stored_bytes, logs_cli, write_log
from tests.web.conftest import PASSWORD, SECRET, form_token, sign_in

STATEMENT = EXAMPLES / "parature" / "statement.yaml"
COOKIE_DATA = ["user.device.cookie_id"]

Apps = Callable[..., FastAPI]
Clients = Callable[..., httpx.Client]


def test_PA_14_cookie_values_are_opaque_signed_identifiers(
    make_app: Apps, make_client: Clients
) -> None:
    app = make_app(statements=(STATEMENT,))
    client = make_client(app)
    cookies = {
        c["name"]: c for g in banner_config(client, "parature")["categories"] for c in g["cookies"]
    }
    assert (cookies["parature_session"]["duration"], cookies["parature_session"]["party"]) == (
        "session",
        "first",
    )
    assert (
        cookies["parature_visitor"]["duration"],
        cookies["parature_visitor"]["lifetime_days"],
    ) == (
        "persistent",
        365,
    )
    first = post_cookie_choice(client, "parature", ["functional"])
    second = post_cookie_choice(client, "parature", ["functional"])
    assert "set-cookie" not in first.headers
    visitor = first.json()["visitor"]
    # 128 random bits and an HMAC: nothing about the person, and different per visitor.
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{20,}", visitor)
    assert visitor != second.json()["visitor"]
    subject = cookie_visitor(app, "parature", first)
    events = len(read(app.state.ledger, consents.history, subject))
    # Change the signature's first character: the last one of unpadded base64 may carry
    # only padding bits, so altering it need not change the signature at all.
    identifier, signature = visitor.split(".")
    forged = f"{identifier}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    version = banner_config(client, "parature")["version"]
    refused = client.post(
        "/api/t/parature/cookies/consent",
        json={"version": version, "accepted": [], "visitor": forged},
    )
    assert refused.status_code == 422
    assert len(read(app.state.ledger, consents.history, subject)) == events


def test_PA_15_third_party_cookie_categories_are_the_persons_choice(
    make_app: Apps, make_client: Clients
) -> None:
    app = make_app(statements=(STATEMENT,))
    client = make_client(app)
    categories = {g["id"]: g for g in banner_config(client, "parature")["categories"]}
    for third_party in ("analytics", "advertising"):
        assert not categories[third_party]["required"]
        assert {c["party"] for c in categories[third_party]["cookies"]} == {"third"}
    engine = app.state.engine
    refused = cookie_visitor(app, "parature", post_cookie_choice(client, "parature", []))
    accepted = cookie_visitor(
        app, "parature", post_cookie_choice(client, "parature", ["analytics", "advertising"])
    )
    for purpose in ("site_analytics", "ad_serving"):
        assert not engine.may(refused, purpose, COOKIE_DATA).allowed
        assert engine.may(accepted, purpose, COOKIE_DATA).allowed


def test_PA_26_advertising_cookies_off_on_opt_out_or_gpc(
    make_app: Apps, make_client: Clients
) -> None:
    app = make_app(statements=(STATEMENT,))
    client = make_client(app)
    everything = ["functional", "analytics", "advertising"]
    gpc = post_cookie_choice(client, "parature", everything, **{"Sec-GPC": "1"})
    assert gpc.json()["refused"] == ["advertising"]
    opted_out = post_cookie_choice(client, "parature", ["functional", "analytics"])
    accepted = post_cookie_choice(client, "parature", everything)
    engine = app.state.engine
    for answer in (gpc, opted_out):
        decision = engine.may(
            cookie_visitor(app, "parature", answer), "behavioural_advertising", COOKIE_DATA
        )
        assert not decision.allowed
        assert "PA-26" in decision.clauses
    subject = cookie_visitor(app, "parature", accepted)
    assert engine.may(subject, "behavioural_advertising", COOKIE_DATA).allowed


# --------------------------------------------------------------------------- ledger & engine

CONTACT = ["user.name", "user.contact.email"]


def test_PA_01_every_subject_has_a_declared_kind(seeds: Seeds) -> None:
    engine = seeds("parature")
    kinds = {k.id for k in load(STATEMENT).subject_kinds}
    assert kinds == {"visitor", "customer", "customer_employee"}
    with engine.ledger.transaction() as tx:
        made = [subjects.add(tx, "parature", kind).kind for kind in sorted(kinds)]
        with pytest.raises(Refused, match="not declared"):
            subjects.add(tx, "parature", "partner")
    assert made == sorted(kinds)


def test_PA_02_anonymised_records_are_not_personal(seeds: Seeds) -> None:
    engine = seeds("parature")
    subject = person(engine, "parature", "visitor", "server_logs")
    with engine.ledger.transaction() as tx:
        kept = records.anonymise(tx, subject, keep=["user.behavior.browsing_history"])
        assert records.of(tx, subject) == []
        anonymous = records.detached(tx, "parature")
    assert kept == 1 and [r.anonymous for r in anonymous] == [True]
    assert engine.state(subject).collected == {}
    decision = engine.may_disclose_anonymous("parature")
    assert decision.allowed and "PA-02" in decision.clauses


def test_PA_03_each_tenant_is_answered_under_its_own_statement(seeds: Seeds) -> None:
    engine = seeds("parature", "estara")
    customer = person(engine, "parature", "customer", "registration")
    contact = person(engine, "estara", "business_contact", "business_inquiry")
    with pytest.raises(NotFound):
        read(engine.ledger, subjects.get, "estara", customer.id)
    assert engine.may(customer, "administer_account", CONTACT).allowed
    assert "not declared" in engine.may(contact, "administer_account", CONTACT).reason
    state = engine.state(customer)
    plan = engine.plan("estara", "2003-12", "follow_up_inquiry", CONTACT)
    crossed = plan.decide(state)
    assert not crossed.allowed and "governed by estara" in crossed.reason
    theirs = engine.plan("parature", "2010", "administer_account", CONTACT).decide(
        engine.state(contact)
    )
    assert not theirs.allowed and "PA-03" in theirs.clauses
    audience = set(engine.audience_ids("parature", "administer_account", CONTACT))
    assert audience == {customer.id}


def test_PA_12_records_from_other_sources_keep_their_provenance(seeds: Seeds) -> None:
    engine = seeds("parature")
    subject = person(engine, "parature", "customer", "registration", CONTACT)
    with engine.ledger.transaction() as tx:
        records.add(
            tx,
            subject,
            "user.job_title",
            "CTO",
            collection_point="other_sources",
            provenance={"received_by": "telephone"},
        )
    held = {r.category: r for r in read(engine.ledger, records.of, subject)}
    assert held["user.job_title"].collection_point == "other_sources"
    assert held["user.job_title"].provenance == {"received_by": "telephone"}
    assert held["user.name"].collection_point == "registration"
    assert "PA-12" in load(STATEMENT).collection_point("other_sources").clauses


def test_PA_19_processors_get_their_declared_categories_only(seeds: Seeds) -> None:
    engine = seeds("parature")
    subject = person(engine, "parature", "customer", "order")
    paid = engine.may(
        subject, "process_payments", ["user.financial.credit_card"], recipient="payment_processor"
    )
    assert paid.allowed and "PA-19" in paid.clauses
    beyond = [
        ("email_provider", "process_payments", ["user.financial.credit_card"]),
        ("payment_processor", "administer_account", ["user.name"]),
        ("email_provider", "respond_to_requests", ["user.contact.address"]),
        ("list_renter", "administer_account", ["user.contact.email"]),
    ]
    for recipient, purpose, categories in beyond:
        refused = engine.may(subject, purpose, categories, recipient=recipient)
        assert not refused.allowed and "PA-19" in refused.clauses, recipient


def test_PA_20_anonymous_data_may_be_disclosed_without_consent(seeds: Seeds) -> None:
    engine = seeds("parature")
    decision = anonymously(
        engine, "parature", "Industry analysts", ["user.behavior.browsing_history"]
    )
    assert decision.allowed and "PA-20" in decision.clauses
    with engine.ledger.transaction() as tx:
        [logged] = disclosures.of(tx, "parature")
    assert logged.anonymous and logged.subject_id is None


def test_PA_21_affiliates_only_after_opt_in(seeds: Seeds) -> None:
    engine = seeds("parature")
    subject = person(engine, "parature", "customer", "registration")
    refused = engine.may(subject, "affiliate_sharing", CONTACT, recipient="affiliates")
    assert not refused.allowed and "PA-21" in refused.clauses
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "affiliate_sharing", method="default")
        consents.record(tx, subject, recipient="affiliates", evidence={"pre_ticked": True})
    assert not engine.may(subject, "affiliate_sharing", CONTACT, recipient="affiliates").allowed
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "affiliate_sharing", evidence={"checkbox": "affiliates"})
        consents.record(tx, subject, recipient="affiliates", evidence={"checkbox": "affiliates"})
    allowed = engine.may(subject, "affiliate_sharing", CONTACT, recipient="affiliates")
    assert allowed.allowed and "PA-21" in allowed.clauses
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, recipient="affiliates", kind="withdrawn", method="link")
    assert not engine.may(subject, "affiliate_sharing", CONTACT, recipient="affiliates").allowed


def test_PA_23_partners_until_the_person_opts_out(seeds: Seeds) -> None:
    engine = seeds("parature")
    subject = person(engine, "parature", "customer", "registration")
    allowed = disclose(engine, subject, "partners", "partner_sharing", CONTACT)
    assert allowed.allowed and "PA-23" in allowed.clauses
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, recipient="partners", kind="withdrawn", method="link")
    refused = disclose(engine, subject, "partners", "partner_sharing", CONTACT)
    assert not refused.allowed and "PA-23" in refused.clauses
    with engine.ledger.transaction() as tx:
        assert len(disclosures.of(tx, "parature", subject)) == 1
    assert subject.id not in set(
        engine.audience_ids("parature", "partner_sharing", CONTACT, recipient="partners")
    )


# --------------------------------------------------------------- collection points, consent

CONTACT_FORM = PARATURE_CONTACT
APPLICATION = {
    "name": "Ann Example",
    "address": "1 Main St",
    "phone": "555 0100",
    "email": "ann@example.com",
    "resume": "Ten years of support work.",
}


def _collect(client: httpx.Client, point: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"/api/t/parature/collect/{point}", json=body)


def _held(service: FastAPI) -> int:
    with service.state.ledger.transaction() as tx:
        people = subjects.of_tenant(tx, "parature")
        return sum(len(records.of(tx, s)) for s in people) + len(records.detached(tx, "parature"))


def test_PA_06_required_fields_enforced_optional_ones_may_be_left_out(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    missing = {k: v for k, v in CONTACT_FORM.items() if k not in ("email", "phone")}
    refused = _collect(client, "contact_form", {"fields": missing})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"email": "is required", "phone": "is required"}
    assert _held(service) == 0
    # Title, revenue, employees... are optional: leaving them out is fine.
    assert _collect(client, "contact_form", {"fields": CONTACT_FORM}).status_code == 201
    with_extra = {**CONTACT_FORM, "annual_revenue": "$2M", "title": "CTO"}
    assert _collect(client, "contact_form", {"fields": with_extra}).status_code == 201


def test_PA_07_resumes_serve_the_assessment_alone_and_age_is_optional(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    answer = _collect(client, "job_application", {"fields": APPLICATION})
    assert answer.status_code == 201, answer.text
    subject = read(service.state.ledger, subjects.get, "parature", answer.json()["subject"])
    assert {r.purposes for r in read(service.state.ledger, records.of, subject)} == {
        ("assess_candidate",)
    }
    engine = service.state.engine
    assert engine.may(subject, "assess_candidate", ["user.content.resume"]).allowed
    assert not engine.may(subject, "respond_to_requests", ["user.name"]).allowed
    with_age = {**APPLICATION, "age": "35"}
    assert _collect(client, "job_application", {"fields": with_age}).status_code == 201


def test_PA_08_national_id_numbers_are_redacted_and_never_declared(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    body = {"fields": {"email": "ann@example.com", "message": "My SSN is 078-05-1120."}}
    answer = _collect(client, "correspondence", body)
    assert answer.status_code == 201 and answer.json()["redacted"] == ["message"]
    subject = read(service.state.ledger, subjects.get, "parature", answer.json()["subject"])
    (message,) = read(service.state.ledger, records.of, subject, ["user.content.private"])
    assert message.value == "My SSN is [redacted]."
    text = STATEMENT.read_text(encoding="utf-8")
    declared = text.replace(
        "  - id: user.name\n",
        "  - id: user.government_id.national_identification_number\n    name: SSN\n"
        "  - id: user.name\n",
        1,
    )
    assert [f.code for f in check(loads(declared)) if f.severity == "error"] == ["national-id"]


def test_PA_09_session_registrations_go_to_that_sessions_host_only(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    body = {"fields": {"name": "Ann", "email": "ann@example.com", "company": "Example Corp"}}
    session = read(
        service.state.ledger,
        subjects.get,
        "parature",
        _collect(client, "session_registration", body).json()["subject"],
    )
    contact = read(
        service.state.ledger,
        subjects.get,
        "parature",
        _collect(client, "contact_form", {"fields": CONTACT_FORM}).json()["subject"],
    )
    engine = service.state.engine
    shared = ["user.name", "user.contact.email"]
    assert engine.may(session, "session_registration", shared, recipient="session_host").allowed
    refused = engine.may(contact, "session_registration", shared, recipient="session_host")
    assert not refused.allowed


def test_PA_16_records_carry_the_declared_uses_and_no_other(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    answer = _collect(client, "registration", {"fields": {**CONTACT_FORM}})
    assert answer.status_code == 201, answer.text
    subject = read(service.state.ledger, subjects.get, "parature", answer.json()["subject"])
    (email,) = read(service.state.ledger, records.of, subject, ["user.contact.email"])
    declared = {p.id for p in load(STATEMENT).purposes if "PA-16" in p.clauses}
    assert set(email.purposes) <= declared | {"administrative_email", "partner_sharing"}
    engine = service.state.engine
    assert engine.may(subject, "administer_account", ["user.contact.email"]).allowed
    assert not engine.may(subject, "profiling", ["user.contact.email"]).allowed


def test_PA_25_feedback_is_stored_detached_from_the_person(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    answer = _collect(client, "feedback", {"fields": {"feedback": "Search is slow."}})
    assert answer.status_code == 201 and answer.json()["subject"] is None
    with service.state.ledger.transaction() as tx:
        assert subjects.of_tenant(tx, "parature") == []
        (kept,) = records.detached(tx, "parature")
    assert kept.subject_id is None and kept.purposes == ("use_feedback",)


def test_PA_27_under_13_is_refused_and_nothing_is_stored(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    for body in (
        {"fields": CONTACT_FORM, "age": 12},
        {"fields": CONTACT_FORM, "birth_date": "2019-04-01"},
        {"fields": {**APPLICATION, "age": "11"}},
    ):
        point = "job_application" if "resume" in body["fields"] else "contact_form"
        refused = _collect(client, point, body)
        assert refused.status_code == 422
        assert "at least 13" in refused.text
        assert "2019" not in refused.text and '"12"' not in refused.text
    assert _held(service) == 0
    assert _collect(client, "contact_form", {"fields": CONTACT_FORM, "age": 13}).status_code == 201


def test_PA_28_roles_secure_cookies_and_a_configurable_session(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,), session_lifetime_minutes=5)
    client = make_client(service)
    subject_id = _collect(client, "contact_form", {"fields": CONTACT_FORM}).json()["subject"]
    admin = f"/admin/api/t/parature/subjects/{subject_id}"
    assert client.get(f"{admin}/receipts").status_code == 401
    assert client.get(f"{admin}/profile").status_code == 401
    auditor = make_client(service)
    sign_in(auditor, service, Role.AUDITOR)
    assert auditor.get(f"{admin}/receipts").status_code == 200
    assert auditor.get(f"{admin}/profile").status_code == 403
    # Staff sign-in: a unique login, and a session cookie as short as configured.
    write(service.state.ledger, staff.create_user, "agent@example.com", PASSWORD, "support_agent")
    token = form_token(client, "/login")
    signed = client.post(
        "/login", data={"email": "agent@example.com", "password": PASSWORD, "csrf_token": token}
    )
    cookie = signed.headers["set-cookie"].lower()
    assert "max-age=300" in cookie and "secure" in cookie and "httponly" in cookie
    # The privacy center's cookie is an encoded session identifier, Secure and HttpOnly.
    link = link_token(SECRET, "parature", str(subject_id))
    person_cookie = client.get(f"/t/parature/privacy-center?token={link}").headers["set-cookie"]
    assert "secure" in person_cookie.lower() and "httponly" in person_cookie.lower()
    assert "samesite=lax" in person_cookie.lower() and "ann@example.com" not in person_cookie


def test_PA_13_passively_collected_data_is_counted_not_kept(
    database_url: str, tmp_path: Path
) -> None:
    statement = load(STATEMENT)
    (point,) = [p for p in statement.collection_points if p.kind == "server_log"]
    declared = {field.name for field in point.fields}
    assert {"ip", "browser", "os", "pages", "clicks"} <= declared
    log = write_log(tmp_path / "visits.log", VISITS)
    logs_cli(database_url, "ingest", str(log), "--statement", str(STATEMENT))
    shown = logs_cli(database_url, "report", "--statement", str(STATEMENT), "--format", "json")
    top = json.loads(shown.stdout)["top"]
    assert dict(map(tuple, top["browser"])) == {"Firefox 120": 4, "Chrome 120": 1}
    assert {page for page, _ in top["page"]} == {"/", "/a", "/b"}
    assert sum(n for _, n in top["transition"]) == 2
    stored = all_stored_bytes(database_url, tmp_path)
    for kept_out in (b"198.51.100.1", b"ann@example.com", b"q=secret", b"Gecko/20100101"):
        assert kept_out not in stored


# --------------------------------------------------------------------------- the statement


def test_PA_11_the_sharing_widget_hands_over_to_third_party_sites() -> None:
    assert_told(STATEMENT, "PA-11", "third-party sites")


def test_PA_18_what_is_posted_in_public_parts_is_visible_to_all() -> None:
    assert_told(STATEMENT, "PA-18", "shown to everyone")


def test_PA_33_the_privacy_office_can_be_reached() -> None:
    assert_told(STATEMENT, "PA-33", "privacy@parature.com", "(703) 564-7758", "Herndon, VA")


# --------------------------------------------------------------- decisions agree (issue 8)

AFFILIATE_DATA = ["user.name", "user.contact.email"]


def _person(service: FastAPI, subject_id: int) -> Subject:
    with service.state.ledger.reading() as tx:
        return subjects.get(tx, "parature", int(subject_id))


def _center_link(client: httpx.Client, subject_id: int) -> None:
    token = link_token(SECRET, "parature", str(subject_id))
    assert client.get(f"/t/parature/privacy-center?token={token}").status_code == 303


def test_PA_21_consent_to_share_counts_for_the_affiliates_it_names(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    body = {"fields": CONTACT_FORM, "consents": {"affiliate_sharing": True}}
    answer = _collect(client, "contact_form", body)
    assert answer.status_code == 201, answer.text
    subject = _person(service, answer.json()["subject"])
    engine = service.state.engine
    with_recipient = engine.may(subject, "affiliate_sharing", AFFILIATE_DATA, "affiliates")
    without = engine.may(subject, "affiliate_sharing", AFFILIATE_DATA)
    assert with_recipient.allowed and without.allowed
    assert "PA-21" in with_recipient.clauses
    # Withdrawn in the privacy center: refused both ways, saying when.
    _center_link(client, subject.id)
    token = form_token(client, "/t/parature/privacy-center")
    changed = client.post(
        "/api/t/parature/consents",
        json={"choices": {"affiliate_sharing": False}},
        headers={"X-CSRF-Token": token},
    )
    assert changed.status_code == 200, changed.text
    refused = engine.may(subject, "affiliate_sharing", AFFILIATE_DATA, "affiliates")
    assert not refused.allowed
    assert refused == engine.may(subject, "affiliate_sharing", AFFILIATE_DATA)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert refused.reason == f"the person withdrew consent to affiliate_sharing on {today}"
    assert "PA-21" in refused.clauses


def test_PA_15_cookie_data_is_used_only_with_the_cookie_consent(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    answer = _collect(client, "contact_form", {"fields": CONTACT_FORM})
    subject = _person(service, answer.json()["subject"])
    _center_link(client, subject.id)
    shown = {c["id"]: c for c in client.get("/api/t/parature/consents").json()["choices"]}
    engine = service.state.engine
    for category, purposes in (
        ("cookie:advertising", ["ad_serving", "behavioural_advertising"]),
        ("cookie:analytics", ["site_analytics"]),
    ):
        assert shown[category]["on"] is False and shown[category]["opt_in"] is True
        for purpose in purposes:
            refused = engine.may(subject, purpose, COOKIE_DATA)
            assert not refused.allowed, purpose
            assert "cookie" in refused.reason and refused.clauses
    page = client.get("/t/parature/privacy-center").text
    assert 'name="choice:behavioural_advertising" value="on">' in page  # shown off
    assert "only with your consent" in page


def test_PA_15_an_opt_out_purpose_through_a_cookie_is_decided_and_shown_as_opt_in(
    seeds: Seeds,
) -> None:
    """The example as first declared (opt-out, as the seed's browser setting had it):
    check says so, and the privacy center and the engine both ask for consent."""
    from keepfaith.collect import consent as choices
    from keepfaith.engine import Engine

    text = STATEMENT.read_text(encoding="utf-8")
    as_seed = re.sub(r"basis: opt_in  # seed: refuse cookies.*", "basis: opt_out", text)
    as_seed = as_seed.replace('version: "2010"', 'version: "2010-seed"')
    statement = loads(as_seed)
    assert {f.code for f in check(statement)} == {"opt-out-through-cookie"}
    warned = [f for f in check(statement) if f.code == "opt-out-through-cookie"]
    assert len(warned) == 4 and all(f.severity == "warning" for f in warned)
    engine = seeds("parature")
    with engine.ledger.transaction() as tx:
        statements.publish(tx, statement, as_seed)
    engine = Engine(engine.ledger, [statement])
    subject = person(engine, "parature", "visitor", "third_party_cookies")
    offered = {c.id: c for c in choices.choices(statement)}
    assert offered["behavioural_advertising"].opt_in
    for purpose in ("ad_serving", "site_analytics", "behavioural_advertising"):
        assert not engine.may(subject, purpose, COOKIE_DATA).allowed, purpose
    choices.change(engine.ledger, statement, subject, {"behavioural_advertising": True})
    assert engine.may(subject, "behavioural_advertising", COOKIE_DATA).allowed


def test_PA_26_gpc_on_any_request_is_recorded_and_refuses_sale_sharing_and_ads(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    engine = service.state.engine
    gpc = {"Sec-GPC": "1"}
    sent = dt.datetime.now(dt.UTC)
    answer = client.post(
        "/api/t/parature/collect/contact_form", json={"fields": CONTACT_FORM}, headers=gpc
    )
    assert answer.status_code == 201, answer.text
    on_form = _person(service, answer.json()["subject"])
    assert on_form.gpc and on_form.gpc_at is not None
    assert sent <= on_form.gpc_at <= dt.datetime.now(dt.UTC)
    # Another person, identified by the privacy center's link, then by the consent API.
    later = _person(
        service, _collect(client, "contact_form", {"fields": CONTACT_FORM}).json()["subject"]
    )
    assert not later.gpc
    _center_link(client, later.id)
    page = client.get("/t/parature/privacy-center", headers=gpc)
    assert 'id="gpc"' in page.text and "Global Privacy Control" in page.text
    by_api = _person(
        service, _collect(client, "contact_form", {"fields": CONTACT_FORM}).json()["subject"]
    )
    bearer = {"Authorization": f"Bearer {link_token(SECRET, 'parature', str(by_api.id))}"}
    shown = client.get("/api/t/parature/consents", headers={**bearer, **gpc}).json()["choices"]
    assert {c["id"] for c in shown if c["gpc"]} >= {"partner_sharing", "behavioural_advertising"}
    for subject in (
        on_form,
        _person(service, later.id),
        _person(service, by_api.id),
    ):
        assert subject.gpc
        ads = engine.may(subject, "behavioural_advertising", COOKIE_DATA)
        partners = engine.may(subject, "partner_sharing", AFFILIATE_DATA, "partners")
        assert not ads.allowed and "Global Privacy Control" in ads.reason and "PA-26" in ads.clauses
        assert not partners.allowed and "Global Privacy Control" in partners.reason
        assert "PA-23" in partners.clauses
        assert engine.may(subject, "respond_to_requests", AFFILIATE_DATA).allowed
    # Before the signal the answer was what it was then.
    before = on_form.gpc_at - dt.timedelta(seconds=1)
    assert engine.may(on_form, "partner_sharing", AFFILIATE_DATA, "partners", at=before).allowed
    # The choice stays off while the signal stands.
    refused = client.post(
        "/api/t/parature/consents", json={"choices": {"partner_sharing": True}}, headers=bearer
    )
    assert refused.status_code == 422 and "Global Privacy Control" in refused.text


def test_PA_27_a_known_child_is_erased_the_trail_kept_with_the_clause(seeds: Seeds) -> None:
    from keepfaith.collect.children import learn_child

    engine = seeds("parature")
    subject = person(engine, "parature", "customer", "registration")
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "marketing_email")
        held = len(records.of(tx, subject))
        done = learn_child(tx, subject)
    assert held > 0 and done.erased == held
    assert done.decision.clauses == ("PA-27",) and "erased" in done.decision.reason
    with engine.ledger.transaction() as tx:
        assert records.of(tx, subject) == []
        assert subjects.get(tx, "parature", subject.id).known_child
        assert [e.choice for e in consents.history(tx, subject)] == ["marketing_email"]
    erased = [e for e in engine.ledger.audit_entries() if e.action == "delete"]
    assert erased and len(erased[-1].detail()["records"]) == held
    refused = engine.may(subject, "administer_account", AFFILIATE_DATA)
    assert not refused.allowed and refused.clauses == ("PA-27",)


def test_PA_10_email_this_page_sends_once_and_keeps_no_copy_of_the_address(
    mail: Any,
) -> None:
    """The friend gets the one message; afterwards no stored byte (records, outbox, jobs,
    audit, the files themselves on SQLite) holds their address or the sender's name."""
    from keepfaith.messaging import referrals
    from tests.messaging.test_referrals import every_stored_byte

    world = mail("parature")
    sent = referrals.email_page(
        world.ledger,
        world.settings,
        "parature",
        "email_this_page",
        friend="pal.onlyonce.4417@example.org",
        sender="Quintessa Marlowe",
        page_url="/t/parature/",
    )
    [arrived] = world.sink.wait_for(1)
    assert arrived.recipients == ("pal.onlyonce.4417@example.org",)
    assert "PA-10" in sent.clauses and sent.status == "sent"
    stored = every_stored_byte(world.ledger).lower()
    for needle in (b"pal.onlyonce", b"4417@", b"quintessa", b"marlowe"):
        assert needle not in stored


def test_PA_17_marketing_only_to_those_who_opted_in_and_admin_mail_to_the_registered(
    mail: Any,
) -> None:
    """A marketing campaign reaches exactly those who opted in; administrative email
    reaches a registered user who did not."""
    from keepfaith.messaging import campaigns
    from tests.conformance.mailing import customer, send

    world = mail("parature")
    opted = customer(
        world, "parature", "customer", "registration", "yes@example.org", "marketing_email"
    )
    other = customer(world, "parature", "customer", "registration", "no@example.org")
    with world.ledger.transaction() as tx:
        started = campaigns.start(
            tx,
            "parature",
            "marketing_email",
            "notice",
            batch_size=10,
            context={"title": "Offers", "text": "x"},
        )
    assert started.queued == 1 and "PA-17" in started.clauses
    world.work()
    assert [r.recipients for r in world.sink.wait_for(1)] == [("yes@example.org",)]
    admin = send(world, other, "administrative_email", {"title": "Your account", "text": "x"})
    assert admin.recipients == ("no@example.org",) and opted.id != other.id


def test_PA_29_opt_out_by_the_link_or_by_email_and_service_mail_continues(
    mail: Any, web: Any
) -> None:
    """One person opts out by the link in the mail, another by email (a reply to the
    List-Unsubscribe mailto address); both still get service email."""
    from keepfaith import messaging
    from keepfaith.exceptions import NotAllowed
    from keepfaith.messaging import listen
    from tests.conformance.mailing import customer, one_click, send

    world = mail("parature")
    client = web(world)
    ann = customer(
        world, "parature", "customer", "registration", "ann@example.org", "marketing_email"
    )
    bob = customer(
        world, "parature", "customer", "registration", "bob@example.org", "marketing_email"
    )
    assert one_click(client, send(world, ann, "marketing_email")).status_code == 200
    to_bob = send(world, bob, "marketing_email")
    mailto = to_bob.mail["List-Unsubscribe"].split("<mailto:")[1].split("?")[0]
    done = listen.receive(world.ledger, world.settings, [mailto], b"Subject: unsubscribe\r\n\r\n")
    assert done.kind == "unsubscribe"
    for person_ in (ann, bob):
        with pytest.raises(NotAllowed), world.ledger.transaction() as tx:
            messaging.queue(
                tx, person_, "marketing_email", "notice", context={"title": "t", "text": "x"}
            )
        service = send(world, person_, "administrative_email", {"title": "Invoice", "text": "x"})
        assert service.mail["List-Unsubscribe"] is None
    with world.ledger.reading() as tx:
        methods = {
            e.method for p in (ann, bob) for e in consents.history(tx, p) if e.kind == "withdrawn"
        }
    assert methods == {"link", "reply_email"}


# ---------------------------------------------------------------- rights (PA-30, PA-31)


def test_PA_30_discontinue_returns_the_data_then_deletes_it_keeping_what_holds_require(
    database_url: str, tmp_path: Path
) -> None:
    import datetime as dt

    from keepfaith.ledger import holds, records, statements, subjects
    from tests.conformance.rights_support import (
        approved,
        chinook_url,
        current,
        download,
        told,
        verified,
        world_of,
    )
    from tests.rights.test_work import customer, customer_count

    with world_of(database_url, tmp_path, "parature") as world:
        url = chinook_url(world)
        email, invoices = customer(url, 17)
        # Discontinue with the data returned: a copy first, erasure after the download.
        case = verified(
            world, "parature", "discontinue", email, channel="staff", vouched_by_staff=True
        )
        assert case.due_at == case.received_at + dt.timedelta(days=30)  # the 30-day clock
        case = approved(world, case)
        copy = download(world, "parature", email)
        assert copy.read("chinook/Invoice.json").count(b'"InvoiceId"') == invoices
        world.work()
        done = current(world, case)
        assert done.state.value == "done" and customer_count(url, 17) == 0
        with world.ledger.reading() as tx:
            note = statements.get(tx, "parature").rights.archive_note
        assert done.answer is not None and done.answer["archive_note"] == note
        # Deletion blocked by a hold the statement declares: kept, and the answer says why.
        other, _ = customer(url, 18)
        with world.ledger.transaction(actor="staff") as tx:
            person = subjects.add(tx, "parature", "customer")
            records.add(tx, person, "user.contact.email", other, collection_point="contact_form")
            holds.add(tx, person, "legal")
        held = approved(
            world,
            verified(world, "parature", "delete", other, channel="staff", subject_id=person.id),
        )
        assert held.answer is not None
        assert any("The law requires us" in r[0] for r in held.answer["kept"].values())
        assert customer_count(url, 18) == 1
        assert "The law requires us" in told(world, other, "Your request")[-1]
        assert note is not None and note.split()[0] in told(world, other, "Your request")[-1]


def test_PA_31_a_correction_lists_the_recipients_it_could_not_reach(
    database_url: str, tmp_path: Path
) -> None:
    from keepfaith.ledger import disclosures, records, subjects
    from tests.conformance.rights_support import current, told, world_of

    with world_of(database_url, tmp_path, "parature") as world:
        with world.ledger.transaction(actor="app") as tx:
            person = subjects.add(tx, "parature", "customer")
            records.add(
                tx, person, "user.contact.email", "old@example.com", collection_point="contact_form"
            )
            records.add(tx, person, "user.name", "Ann Exampel", collection_point="contact_form")
            disclosures.record(tx, "parature", person, "email_provider", ["user.name"], "processor")
        from keepfaith import rights

        with world.ledger.transaction(actor="web") as tx:
            opened = rights.open(
                tx,
                world.settings,
                "parature",
                "correct",
                "old@example.com",
                subject_id=person.id,
                details={"changes": {"user.name": "Ann Example"}},
            )
        assert opened.case.verified_by == "session"
        world.work()
        done = current(world, opened.case)
        assert done.answer is not None and done.answer["corrected"] == ["user.name"]
        assert done.answer["recipients_reached"] is False
        assert [r["recipient"] for r in done.answer["recipients"]] == ["email_provider"]
        assert "email_provider" in told(world, "old@example.com", "Your correction")[-1]
        with world.ledger.reading() as tx:
            [name] = records.of(tx, person, ["user.name"])
        assert name.value == "Ann Example"


def test_PA_32_a_new_use_applies_at_the_earliest_of_acknowledgement_15_or_30_days(
    mail: Callable[..., Any],
) -> None:
    """Emailed with a choice; acknowledged on day 3: new terms from day 3; ignored: from
    day 15; no address: 30 days after posting; refused: the old terms."""
    from keepfaith.changes import answers, publish
    from tests.changes.conftest import loaded, new_version
    from tests.changes.support import link_of
    from tests.messaging.conftest import person as mailed

    assert_told(STATEMENT, "PA-32", "fifteen days after the email")
    world = mail("parature")
    people = {
        who: mailed(world.ledger, "parature", "customer", "registration", f"{who}@example.org")
        for who in ("ack", "ignore", "refuse")
    }
    with world.ledger.transaction() as tx:
        people["unmailed"] = subjects.add(tx, "parature", "customer")
    text = new_version("parature", "2026")
    with world.ledger.transaction(actor="dpo") as tx:
        publish.publish(tx, loaded(text), text)
    world.work()
    notices = {m.recipients[0].split("@")[0]: m for m in world.sink.wait_for(3)}
    assert sorted(notices) == ["ack", "ignore", "refuse"]

    def allowed(who: str) -> bool:
        return bool(world.engine.may(people[who], "partner_offers", "user.contact.email").allowed)

    def answer(who: str, choice: str) -> None:
        token = link_of(notices[who].text, "/changes/")
        with world.ledger.transaction() as tx:
            answers.answer_by_link(tx, world.settings.secret_key, "parature", token, choice)

    clock = world.ledger.clock
    clock.advance(days=3)
    answer("ack", "accepted")
    answer("refuse", "refused")
    assert [allowed(w) for w in ("ack", "ignore", "refuse", "unmailed")] == [1, 0, 0, 0]
    clock.advance(days=12.01)
    assert [allowed(w) for w in ("ack", "ignore", "refuse", "unmailed")] == [1, 1, 0, 0]
    clock.advance(days=15)
    assert [allowed(w) for w in ("ack", "ignore", "refuse", "unmailed")] == [1, 1, 0, 1]


def test_PA_22_on_a_sale_everyone_is_told_and_may_deactivate_before_the_date(
    mail: Callable[..., Any],
) -> None:
    from keepfaith.changes import transfer
    from tests.changes.support import link_of
    from tests.messaging.conftest import person as mailed

    assert_told(STATEMENT, "PA-22", "deactivate your account")
    world = mail("parature")
    ann = mailed(world.ledger, "parature", "customer", "registration", "ann@example.org")
    bob = mailed(world.ledger, "parature", "customer", "registration", "bob@example.org")
    with world.ledger.transaction(actor="ceo") as tx:
        sale = transfer.announce(
            tx, "parature", "Acme Holdings", world.ledger.clock() + dt.timedelta(days=30)
        )
    world.work()
    notices = {m.recipients[0]: m for m in world.sink.wait_for(2)}
    assert set(notices) == {"ann@example.org", "bob@example.org"}
    assert all("Acme Holdings" in m.text and "privacy-center" in m.text for m in notices.values())
    token = link_of(notices["bob@example.org"].text, "/transfer/")
    with world.ledger.transaction() as tx:
        transfer.deactivate(tx, world.settings.secret_key, "parature", token)
        assert transfer.handed_over(tx, sale.id) == [ann.id]
    assert not world.engine.may(bob, "administer_account", "user.name", "acquirer").allowed


def test_PA_24_disclosure_to_resolve_disputes_answer_law_enforcement_protect_rights(
    seeds: Seeds,
) -> None:
    engine = seeds("parature")
    subject = person(engine, "parature", "customer", "correspondence")
    for basis, kind in [
        ("dispute", "dispute"),
        ("law_enforcement", "warrant"),
        ("protect_rights", "other"),
        ("legal_process", "subpoena"),
    ]:
        logged = legal(engine, "parature", subject, basis, kind=kind, reference=f"{kind}-1")
        assert (logged.basis, logged.reference) == (basis, f"{kind}-1")
        assert "PA-24" in (logged.clauses or ())
    other = person(engine, "parature", "customer", "correspondence")
    assert "PA-24" in refused_legally(engine, "parature", other, "harassment")


def test_PA_04_data_processed_abroad_is_a_disclosure_with_its_country(seeds: Seeds) -> None:
    engine = seeds("parature")
    subject = person(engine, "parature", "customer", "correspondence")
    moved = transfer(engine, subject, "email_provider", "respond_to_requests", "US")
    assert moved.allowed and "PA-04" in moved.decision.clauses
    assert moved.record is not None
    assert (moved.record.country, moved.record.mechanism) == ("US", "E.U. Safe Harbor Framework")
    # A country the statement does not declare is refused, naming the clause.
    refused = transfer(engine, subject, "email_provider", "respond_to_requests", "CN")
    assert not refused.allowed and "PA-04" in refused.decision.clauses
    with engine.ledger.reading() as tx:
        assert [d.country for d in disclosures.of(tx, "parature", subject)] == ["US"]


def test_PA_05_complaints_escalate_to_truste(mail: Any) -> None:
    world = mail("parature")
    told = complaint_escalated_on_its_day(world, "parature", days=10)
    assert "TRUSTe" in told and "http://watchdog.truste.com/pvr.php?page=complaint" in told
