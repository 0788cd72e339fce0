"""Digium's clauses (DG-xx), driven through keepfaith's public interface on its example."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from keepfaith.collect.points import submit
from keepfaith.exceptions import InvalidSubmission
from keepfaith.ledger import consents, records, statements, subjects
from keepfaith.statement import load
from tests.conformance.conftest import (
    Seeds,
    banner_config,
    cookie_visitor,
    person,
    post_cookie_choice,
)
from tests.conformance.sharing_support import disclose
from tests.conformance.told import assert_told, publish_plan
from tests.conftest import EXAMPLES
from tests.ledger.support import read, stored_bytes
from tests.logs.support import (
    REAL_LOG,
    VISITS,
    all_stored_bytes,
    logs_cli,
    real_addresses_and_agents,
    write_log,
)
from tests.web.conftest import form_token

STATEMENT = EXAMPLES / "digium" / "statement.yaml"

Apps = Callable[..., FastAPI]
Clients = Callable[..., httpx.Client]


def test_DG_04_cookies_declared_and_refusable(make_app: Apps, make_client: Clients) -> None:
    app = make_app(statements=(STATEMENT,))
    client = make_client(app)
    [functional] = banner_config(client, "digium")["categories"]
    assert functional["id"] == "functional" and not functional["required"]
    [cookie] = functional["cookies"]
    assert (cookie["name"], cookie["party"], cookie["lifetime_days"]) == (
        "digium_visitor",
        "first",
        365,
    )
    engine, data = app.state.engine, ["user.device.cookie_id"]
    refused = post_cookie_choice(client, "digium", [])
    assert refused.json()["refused"] == ["functional"]
    assert not engine.may(cookie_visitor(app, "digium", refused), "tailor_content", data).allowed
    accepted = post_cookie_choice(client, "digium", ["functional"])
    assert engine.may(cookie_visitor(app, "digium", accepted), "tailor_content", data).allowed


# --------------------------------------------------------------------------- ledger & engine

CONTACT = ["user.name", "user.contact.email"]


@pytest.mark.parametrize(
    ("method", "evidence", "allowed"),
    [(None, {}, False), ("default", {}, False), ("explicit", {"checkbox": "updates"}, True)],
)
def test_DG_07_updates_only_if_the_person_allows_it(
    seeds: Seeds, method: str | None, evidence: dict[str, object], allowed: bool
) -> None:
    engine = seeds("digium")
    subject = person(engine, "digium", "registered_user", "registration")
    if method is not None:
        with engine.ledger.transaction() as tx:
            consents.record(tx, subject, "contact_updates", method=method, evidence=evidence)
    decision = engine.may(subject, "contact_updates", CONTACT)
    assert decision.allowed is allowed and "DG-07" in decision.clauses


def test_DG_08_service_messages_stay_with_their_purpose(seeds: Seeds) -> None:
    engine = seeds("digium")
    subject = person(engine, "digium", "correspondent", "customer_service")
    kept = engine.may(subject, "testimonials", ["user.content.private"])
    assert kept.allowed and "DG-08" in kept.clauses
    refused = engine.may(subject, "contact_updates", CONTACT)
    assert not refused.allowed and "DG-08" in refused.clauses
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "contact_updates", evidence={"checkbox": "updates"})
    assert engine.may(subject, "contact_updates", CONTACT).allowed


def test_DG_09_addresses_compared_with_partners_lists(seeds: Seeds) -> None:
    engine = seeds("digium")
    subject = person(engine, "digium", "correspondent", "customer_service")
    matched = engine.may(
        subject, "list_matching", ["user.contact.email"], recipient="business_partners"
    )
    assert matched.allowed and "DG-09" in matched.clauses
    refused = engine.may(
        subject, "list_matching", ["user.content.private"], recipient="business_partners"
    )
    assert not refused.allowed


def test_DG_10_payment_data_serves_the_sale_and_is_encrypted(
    seeds: Seeds, database_kind: str
) -> None:
    engine = seeds("digium")
    subject = person(engine, "digium", "customer", "order")
    with engine.ledger.transaction() as tx:
        records.add(
            tx, subject, "user.financial.credit_card", "4111111111111111", collection_point="order"
        )
    sale = engine.may(subject, "complete_sale", ["user.financial.credit_card"])
    assert sale.allowed and "DG-10" in sale.clauses
    news = engine.may(subject, "product_news", ["user.financial.credit_card"])
    assert not news.allowed and "DG-10" in news.clauses
    assert b"4111111111111111" not in stored_bytes(engine.ledger, database_kind)


def test_DG_12_matching_with_third_party_data_under_contract(seeds: Seeds) -> None:
    engine = seeds("digium")
    assert load(STATEMENT).recipient("data_matching_providers").under_contract
    subject = person(engine, "digium", "registered_user", "registration")
    matched = disclose(engine, subject, "data_matching_providers", "data_matching", CONTACT)
    assert matched.allowed and "DG-12" in matched.clauses
    beyond = engine.may(
        subject, "data_matching", ["user.contact.phone_number"], recipient="data_matching_providers"
    )
    assert not beyond.allowed


def test_DG_13_business_partners_unless_the_person_says_no(seeds: Seeds) -> None:
    engine = seeds("digium")
    subject = person(engine, "digium", "customer", "order", CONTACT)
    shared = engine.may(subject, "partner_sharing", CONTACT, recipient="business_partners")
    assert shared.allowed and "DG-13" in shared.clauses
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "partner_sharing", kind="withdrawn", method="reply_email")
    refused = engine.may(subject, "partner_sharing", CONTACT, recipient="business_partners")
    assert not refused.allowed and "DG-13" in refused.clauses


# --------------------------------------------------------------- collection points, accounts


def test_DG_02_correspondence_is_kept_with_the_reply(seeds: Seeds) -> None:
    engine = seeds("digium")
    statement = read(engine.ledger, statements.get, "digium")
    asked = {"email": "ann@example.com", "message": "Does Asterisk run on ARM?"}
    done = submit(engine.ledger, statement, "customer_service", asked)
    subject = read(engine.ledger, subjects.get, "digium", done.subject_id or 0)
    # The company's reply is kept beside the message, at the same point.
    with engine.ledger.transaction(actor="staff") as tx:
        records.add(
            tx,
            subject,
            "user.content.private",
            "Yes, it does.",
            collection_point="customer_service",
            provenance={"collection_point": "customer_service", "field": "response"},
        )
    kept = read(engine.ledger, records.of, subject, ["user.content.private"])
    assert [r.value for r in kept] == ["Does Asterisk run on ARM?", "Yes, it does."]
    assert [r.provenance["field"] for r in kept] == ["message", "response"]
    assert all(r.collection_point == "customer_service" for r in kept)
    # Registration collects verifiable contact and identity data: required, or refused.
    with pytest.raises(InvalidSubmission) as refused:
        submit(engine.ledger, statement, "registration", {"name": "Ann"})
    assert set(refused.value.errors) == {"email", "password"}


def test_DG_14_a_person_signs_in_and_edits_their_own_profile(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    fields = {"name": "Ann", "email": "ann@example.com", "password": "correct horse battery"}
    answer = client.post("/api/t/digium/collect/registration", json={"fields": fields})
    assert answer.status_code == 201, answer.text
    subject = read(service.state.ledger, subjects.get, "digium", answer.json()["subject"])
    held = read(service.state.ledger, records.of, subject)
    assert "correct horse battery" not in [r.value for r in held]  # the password is not kept
    center = "/t/digium/privacy-center"
    sign = {"csrf_token": form_token(client, center), "email": "ann@example.com"}
    wrong = client.post(f"{center}/login", data={**sign, "password": "not the password"})
    assert wrong.status_code == 401
    right = client.post(f"{center}/login", data={**sign, "password": "correct horse battery"})
    assert right.status_code == 303
    (name,) = read(service.state.ledger, records.of, subject, ["user.name"])
    edit = {"csrf_token": form_token(client, center), f"record:{name.id}": "Ann Smith"}
    assert client.post(f"{center}/profile", data=edit).status_code == 200
    (name,) = read(service.state.ledger, records.of, subject, ["user.name"])
    assert name.value == "Ann Smith"


def test_DG_05_page_order_and_time_on_page_in_aggregate(database_url: str, tmp_path: Path) -> None:
    log = write_log(tmp_path / "visits.log", VISITS)
    logs_cli(database_url, "ingest", str(log), "--statement", str(STATEMENT))
    shown = logs_cli(database_url, "report", "--statement", str(STATEMENT), "--format", "json")
    top = json.loads(shown.stdout)["top"]
    assert top["transition"] == [["/ → /a", 1], ["/a → /b", 1]]
    assert top["time_on_page"] == [["10-30s", 1], ["1-3m", 1]]
    assert top["entry"] == [["/", 2], ["/a", 1]]
    assert top["referrer"] == [["search.example", 5]] and top["os"][0][0] == "Linux"
    stored = all_stored_bytes(database_url, tmp_path)
    assert b"198.51.100." not in stored and b"q=secret" not in stored


def test_DG_06_views_and_clicks_exported_without_personal_data(
    database_url: str, tmp_path: Path
) -> None:
    logs_cli(database_url, "ingest", str(REAL_LOG), "--statement", str(STATEMENT))
    out = tmp_path / "for-advertisers.json"
    logs_cli(database_url, "export", "--statement", str(STATEMENT), "-o", str(out))
    text = out.read_text(encoding="utf-8")
    exported = json.loads(text)
    assert exported["pageviews"] == 1929 and exported["clicks"] > 0
    assert exported["top"]["transition"] and exported["top"]["page"]
    addresses, agents = real_addresses_and_agents()
    assert [a for a in addresses | agents if len(a) > 12 and a in text] == []


def test_DG_11_partners_and_advertisers_get_aggregates_only(
    database_url: str, tmp_path: Path
) -> None:
    statement = load(STATEMENT)
    receivers = {r.kind for r in statement.recipients if "aggregate_statistics" in r.purposes}
    assert {"partner", "advertiser"} <= receivers
    logs_cli(database_url, "ingest", str(REAL_LOG), "--statement", str(STATEMENT))
    shown = logs_cli(database_url, "export", "--statement", str(STATEMENT), "--min-count", "20")
    exported = json.loads(shown.stdout)
    for key in ("page", "referrer", "browser", "os", "device", "transition"):
        rare = [row for row in exported["top"][key] if row["count"] < 20]
        assert all(row["value"] == "(other)" for row in rare), key
    fields = {"day", "visitors", "pageviews", "visits"}
    assert all(set(day) == fields for day in exported["days"])


# --------------------------------------------------------------------------- the statement


def test_DG_01_using_the_site_is_consent_and_changes_are_posted(tmp_path: Path) -> None:
    assert_told(STATEMENT, "DG-01", "By using our Website, you consent")
    code, plan = publish_plan(STATEMENT, tmp_path)
    assert code == 0 and plan["material_changes"] == 1
    assert plan["notify"] in {"post", "none"}
    assert "email_affected" not in [step["action"] for step in plan["steps"]]
    assert "DG-01" in plan["clauses"]


def test_DG_15_continued_use_after_a_change_is_acceptance(tmp_path: Path) -> None:
    assert_told(STATEMENT, "DG-15", "Continuing to use our services after a change")
    _, plan = publish_plan(STATEMENT, tmp_path)
    assert plan["continued_use_is_acceptance"] is True
    assert "DG-15" in plan["clauses"]


def test_DG_03_commercial_email_carries_an_unsubscribe_link(mail: object, web: object) -> None:
    """Product news after registration carries a working one-click unsubscribe."""
    from tests.conformance.mailing import assert_carries_a_working_opt_out, customer, send

    world = mail("digium")  # type: ignore[operator]
    client = web(world)  # type: ignore[operator]
    ann = customer(world, "digium", "registered_user", "registration", "ann@example.org")
    received = send(world, ann, "product_news")
    assert_carries_a_working_opt_out(world, received, client)
    with world.ledger.reading() as tx:
        assert [e.method for e in consents.history(tx, ann)] == ["link"]


def test_DG_15_existing_people_move_when_the_change_is_posted(
    seeds: Seeds, database_url: str, tmp_path: Path
) -> None:
    from tests.changes.support import existing_people_move

    engine = seeds("digium")
    output = existing_people_move(engine, database_url, tmp_path, "digium", "registered_user")
    assert "post_notice" in output and "DG-15" in output
