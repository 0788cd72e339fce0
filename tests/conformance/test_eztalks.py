"""ezTalks' clauses (EZ-xx), driven through keepfaith's public interface on its example."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from keepfaith.collect.links import link_token
from keepfaith.ledger import consents, disclosures, records, subjects
from keepfaith.statement import load
from tests.conformance.conftest import (
    Seeds,
    banner_config,
    cookie_visitor,
    person,
    post_cookie_choice,
)
from tests.conformance.sharing_support import legal, transfer
from tests.conformance.told import assert_told, publish_plan
from tests.conftest import EXAMPLES
from tests.ledger.support import KEY, read, stored_bytes
from tests.logs.support import REAL_LOG, logs_cli
from tests.web.conftest import SECRET

STATEMENT = EXAMPLES / "eztalks" / "statement.yaml"

Apps = Callable[..., FastAPI]
Clients = Callable[..., httpx.Client]


def test_EZ_10_traffic_cookies_declared_and_never_disclosed_per_user(
    make_app: Apps, make_client: Clients
) -> None:
    app = make_app(statements=(STATEMENT,))
    client = make_client(app)
    config = banner_config(client, "eztalks")
    listed = {c["name"]: c for g in config["categories"] for c in g["cookies"]}
    statement = load(STATEMENT)
    assert set(listed) == {c.name for c in statement.cookies}
    assert listed["partner_traffic"]["party"] == "third"
    assert not next(g for g in config["categories"] if g["id"] == "analytics")["required"]
    answer = post_cookie_choice(client, "eztalks", ["functional", "analytics"])
    assert "set-cookie" not in answer.headers
    visitor = cookie_visitor(app, "eztalks", answer)
    traffic = ["user.behavior.browsing_history", "user.device.cookie_id"]
    engine = app.state.engine
    assert engine.may(visitor, "provide_reports", traffic).allowed  # in-house, in aggregate
    for recipient in statement.recipients:
        assert not engine.may(visitor, "provide_reports", traffic, recipient=recipient.id).allowed


# --------------------------------------------------------------------------- ledger & engine

CARD = "4111111111111111"
LOCATION = ["user.location.imprecise"]


def test_EZ_02_thirteen_uses_and_no_other(seeds: Seeds) -> None:
    engine = seeds("eztalks")
    purposes = [p.id for p in load(STATEMENT).purposes]
    assert len(purposes) == 13
    subject = person(engine, "eztalks", "user", "registration")
    assert engine.may(subject, "profiles", ["user.contact.email"]).allowed
    refused = engine.may(subject, "sell_lists", ["user.contact.email"])
    assert not refused.allowed and "not declared" in refused.reason
    assert all("EZ-02" in load(STATEMENT).purpose(p).clauses for p in purposes)


def test_EZ_12_location_only_to_pick_the_data_centre(seeds: Seeds) -> None:
    engine = seeds("eztalks")
    subject = person(engine, "eztalks", "user", "app")
    picked = engine.may(subject, "choose_data_centre", LOCATION, recipient="datacentre_provider")
    assert picked.allowed and "EZ-12" in picked.clauses
    other_use = engine.may(subject, "product_updates", LOCATION)
    assert not other_use.allowed and "EZ-12" in other_use.clauses
    other_recipient = engine.may(
        subject, "choose_data_centre", LOCATION, recipient="hosting_provider"
    )
    assert not other_recipient.allowed
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "choose_data_centre", kind="withdrawn", method="explicit")
    opted_out = engine.may(subject, "choose_data_centre", LOCATION)
    assert not opted_out.allowed and "EZ-12" in opted_out.clauses


def test_EZ_13_each_recipient_receives_the_minimum(seeds: Seeds) -> None:
    engine = seeds("eztalks")
    subject = person(engine, "eztalks", "user", "orders")
    held = read(engine.ledger, records.of, subject)
    assert {r.category for r in engine.project(held, "payment_processor")} == {
        "user.financial.credit_card",
        "user.name",
        "user.contact.address",
    }
    assert "user.financial.credit_card" not in {
        r.category for r in engine.project(held, "affiliates")
    }
    assert engine.project(held, "unknown_party") == []
    refused = engine.may(
        subject, "process_orders", ["user.financial.credit_card"], recipient="affiliates"
    )
    assert not refused.allowed and "EZ-13" in refused.clauses


@pytest.mark.parametrize(
    ("method", "evidence", "allowed"),
    [
        ("default", {}, False),
        ("explicit", {"pre_ticked": True}, False),
        ("explicit", {"checkbox": "promotions", "ticked_by": "person"}, True),
    ],
)
def test_EZ_14_other_uses_need_an_explicit_action(
    seeds: Seeds, method: str, evidence: dict[str, object], allowed: bool
) -> None:
    engine = seeds("eztalks")
    subject = person(engine, "eztalks", "user", "sweepstakes")
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "promotions", method=method, evidence=evidence)
    decision = engine.may(subject, "promotions", ["user.contact.email"])
    assert decision.allowed is allowed and "EZ-14" in decision.clauses
    chosen = set(engine.audience_ids("eztalks", "promotions", ["user.contact.email"]))
    assert chosen == ({subject.id} if allowed else set())


def test_EZ_16_card_data_is_encrypted_at_rest(seeds: Seeds, database_kind: str) -> None:
    engine = seeds("eztalks")
    assert load(STATEMENT).category("user.financial.credit_card").sensitive
    subject = person(engine, "eztalks", "user", "orders", ["user.financial.credit_card"], CARD)
    assert [r.value for r in read(engine.ledger, records.of, subject)] == [CARD]
    assert CARD.encode() not in stored_bytes(engine.ledger, database_kind)


# --------------------------------------------------------------- collection points, consent

SAMPLE = {
    "user.contact.email": "ann@example.com",
    "user.financial.credit_card": "4111111111111111",
}


def test_EZ_01_twelve_collection_points_each_taking_its_fields(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,), encryption_keys={"k1": KEY}, active_key_id="k1")
    client = make_client(service)
    points = load(STATEMENT).collection_points
    assert len(points) == 12
    for point in points:
        required = [f for f in point.fields if f.required]
        fields = {f.name: SAMPLE.get(f.category, "x") for f in required or point.fields[:1]}
        answer = client.post(f"/api/t/eztalks/collect/{point.id}", json={"fields": fields})
        assert answer.status_code == 201, (point.id, answer.text)
        assert answer.json()["records"] == len(fields)
        refused = client.post(f"/api/t/eztalks/collect/{point.id}", json={"fields": {}})
        assert refused.status_code == 422
        assert set(refused.json()["errors"]) == ({f.name for f in required} or {"fields"})


def test_EZ_11_the_app_collects_device_data_and_push_can_be_turned_off(
    make_app: Apps, make_client: Clients
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    device = {"device_type": "phone", "os": "Android 8.1", "device_id": "a1b2c3"}
    answer = client.post("/api/t/eztalks/collect/app", json={"fields": device})
    assert answer.status_code == 201, answer.text
    subject = read(service.state.ledger, subjects.get, "eztalks", answer.json()["subject"])
    held = {r.category for r in read(service.state.ledger, records.of, subject)}
    assert held == {"user.device.type", "user.device.os", "user.device.device_id"}
    push = ["user.device.device_id", "user.device.os"]
    assert service.state.engine.may(subject, "product_updates", push).allowed
    token = link_token(SECRET, "eztalks", str(subject.id))
    off = client.post(
        "/api/t/eztalks/consents",
        json={"choices": {"product_updates": False}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert off.status_code == 200, off.text
    assert not service.state.engine.may(subject, "product_updates", push).allowed


def test_EZ_09_passive_collection_is_declared_and_kept_as_aggregates(database_url: str) -> None:
    statement = load(STATEMENT)
    (point,) = [p for p in statement.collection_points if p.kind == "server_log"]
    assert {"user.device.ip_address", "user.device.browser"} <= {f.category for f in point.fields}
    logs_cli(database_url, "ingest", str(REAL_LOG), "--statement", str(STATEMENT))
    shown = logs_cli(database_url, "report", "--statement", str(STATEMENT), "--format", "json")
    summary = json.loads(shown.stdout)
    # Files viewed, browser, system, time stamps and clickstream, as aggregates.
    for dimension in ("page", "browser", "os", "hour", "transition", "referrer"):
        assert summary["top"][dimension], dimension
    assert len(summary["days"]) == 4
    # Kept as long as the statement says (730 days), then deleted.
    pruned = logs_cli(database_url, "prune", "--statement", str(STATEMENT), "--today", "2017-05-19")
    assert pruned.stdout.startswith("3 days deleted")


# --------------------------------------------------------------------------- the statement


def test_EZ_15_third_party_content_follows_its_own_statement() -> None:
    assert_told(STATEMENT, "EZ-15", "the supplier's own policy applies")


def test_EZ_17_forum_and_chat_posts_are_public() -> None:
    assert_told(STATEMENT, "EZ-17", "public")


def test_EZ_20_a_material_change_is_posted_and_continued_use_is_assent(tmp_path: Path) -> None:
    assert_told(STATEMENT, "EZ-20", "post a notice on the website")
    code, plan = publish_plan(STATEMENT, tmp_path)
    assert code == 0 and plan["material_changes"] == 1
    assert plan["notify"] == "post"
    assert [step["action"] for step in plan["steps"]] == ["publish", "post_notice"]
    assert plan["continued_use_is_acceptance"] is True
    assert "EZ-20" in plan["clauses"]


def test_EZ_14_a_box_ticked_under_a_standing_gpc_signal_is_refused(seeds: Seeds) -> None:
    """GPC keeps promotions (shared with partners) off; a later tick cannot turn it on,
    as in the privacy center, so receipts, the privacy center and may() stay agreed."""
    from keepfaith.collect.consent import record_gpc
    from keepfaith.collect.points import submit
    from keepfaith.exceptions import InvalidSubmission
    from keepfaith.ledger import consents as consent_events
    from keepfaith.ledger import subjects as people

    engine = seeds("eztalks")
    statement = load(STATEMENT)
    fields = {"name": "Ann", "email": "ann@example.org"}
    done = submit(engine.ledger, statement, "registration", fields)
    with engine.ledger.transaction() as tx:
        subject = people.get(tx, "eztalks", done.subject_id)
        record_gpc(tx, subject)
    with pytest.raises(InvalidSubmission) as refused:
        submit(
            engine.ledger,
            statement,
            "registration",
            fields,
            subject=subject,
            consents={"promotions": True},
        )
    assert "consent.promotions" in refused.value.errors
    with engine.ledger.reading() as tx:
        history = consent_events.history(tx, subject)
    assert [e.kind.value for e in history if e.choice == "promotions"] == ["withdrawn"]
    assert not engine.may(subject, "promotions", ["user.contact.email"]).allowed


def test_EZ_03_a_referred_friend_gets_one_email_and_is_removed_on_request(
    mail: object, web: object
) -> None:
    """The friend is kept with the referral purpose alone, gets one email whatever the
    number of referrals, and the link in it removes them for good."""
    import re

    from keepfaith.exceptions import Refused
    from keepfaith.messaging import referrals

    world = mail("eztalks")  # type: ignore[operator]
    client = web(world)  # type: ignore[operator]

    def refer() -> referrals.Referral:
        with world.ledger.transaction() as tx:
            return referrals.refer(
                tx,
                world.settings,
                "eztalks",
                "referral",
                friend="fran@example.org",
                friend_name="Fran",
                referrer_name="Ann",
            )

    made = refer()
    assert refer().id == made.id
    world.work()
    [invite] = world.sink.wait_for(1)
    with world.ledger.reading() as tx:
        friend = subjects.get(tx, "eztalks", made.subject_id or 0)
        assert {p for r in records.of(tx, friend) for p in r.purposes} == {"inform_on_request"}
        assert referrals.programme(tx, "eztalks")["sent"] == 1
    link = re.search(r"https://privacy\.keepfaith\.test(/t/eztalks/referrals/\S+)", invite.text)
    assert link is not None and client.post(link.group(1)).status_code == 200
    with world.ledger.reading() as tx:
        assert records.of(tx, friend) == []
        assert referrals.programme(tx, "eztalks") == {"referred": 1, "sent": 1, "removed": 1}
    with pytest.raises(Refused):
        refer()


def test_EZ_08_every_promotional_email_carries_an_unsubscribe(mail: object, web: object) -> None:
    """Promotions (opt-in) carry a working one-click unsubscribe; so does every other
    marketing purpose the statement declares, checked message by message."""
    from tests.conformance.mailing import assert_carries_a_working_opt_out, customer, send

    world = mail("eztalks")  # type: ignore[operator]
    client = web(world)  # type: ignore[operator]
    ann = customer(world, "eztalks", "user", "sweepstakes", "ann@example.org", "promotions")
    received = send(world, ann, "promotions")
    assert_carries_a_working_opt_out(world, received, client)
    with world.ledger.reading() as tx:
        assert [e.kind for e in consents.history(tx, ann)] == ["given", "withdrawn"]


# ------------------------------------------------------ rights (EZ-04 to EZ-07)


def test_EZ_04_data_from_facebook_is_refused_for_correction_with_where_to_correct_it(
    database_url: str, tmp_path: Path
) -> None:
    from keepfaith.ledger import records, subjects
    from tests.conformance.rights_support import approved, told, verified, world_of

    with world_of(database_url, tmp_path, "eztalks") as world:
        with world.ledger.transaction(actor="app") as tx:
            person = subjects.add(tx, "eztalks", "user")
            records.add(tx, person, "user.name", "Ann Fb", collection_point="facebook")
            records.add(tx, person, "user.job_title", "Enginer", collection_point="registration")
        case = verified(
            world,
            "eztalks",
            "correct",
            "ann@example.com",
            subject_id=person.id,
            details={"changes": {"user.name": "Ann Example", "user.job_title": "Engineer"}},
        )
        done = approved(world, case)
        assert done.answer is not None
        assert done.answer["corrected"] == ["user.job_title"]
        refused = done.answer["refused"]["user.name"]
        assert "Facebook" in refused["reason"] and "Facebook account" in refused["where"]
        with world.ledger.reading() as tx:
            assert [r.value for r in records.of(tx, person, ["user.name"])] == ["Ann Fb"]
        assert "Facebook account" in told(world, "ann@example.com", "Your correction")[-1]


def test_EZ_05_do_you_hold_data_about_me_is_yes_or_no_after_verification(
    database_url: str, tmp_path: Path
) -> None:
    from keepfaith import rights
    from tests.conformance.rights_support import chinook_url, current, verified, world_of
    from tests.rights.test_work import customer

    with world_of(database_url, tmp_path, "eztalks") as world:
        email, _ = customer(chinook_url(world), 17)
        with world.ledger.transaction(actor="web") as tx:
            held = rights.open(tx, world.settings, "eztalks", "know", email)
            nobody = rights.open(tx, world.settings, "eztalks", "know", "nobody@example.com")
        world.work()
        # Before verification both answers are the same and nothing has run.
        assert (held.case.state, held.merged) == (nobody.case.state, nobody.merged)
        assert current(world, held.case).answer is None
        yes = verified(world, "eztalks", "know", email)
        no = verified(world, "eztalks", "know", "nobody@example.com")
        world.work()
        assert current(world, yes).answer == {"held": True}
        assert current(world, no).answer == {"held": False}


def test_EZ_06_access_correction_and_deletion_are_each_answered_on_request(
    database_url: str, tmp_path: Path
) -> None:
    from tests.conformance.rights_support import (
        approved,
        chinook_url,
        download,
        verified,
        world_of,
    )
    from tests.rights.test_work import customer, customer_count

    with world_of(database_url, tmp_path, "eztalks") as world:
        url = chinook_url(world)
        email, invoices = customer(url, 17)
        access = approved(world, verified(world, "eztalks", "access", email))
        assert access.answer is not None and access.answer["rows"]["chinook"]["Invoice"] == invoices
        assert "chinook/Customer.json" in download(world, "eztalks", email).namelist()
        fix = approved(
            world,
            verified(
                world,
                "eztalks",
                "correct",
                email,
                details={"changes": {"user.contact.address.city": "Lyon"}},
            ),
        )
        assert fix.answer is not None and fix.answer["systems"]["chinook"]["Customer.City"] == 1
        gone = approved(world, verified(world, "eztalks", "delete", email))
        assert gone.state.value == "done" and customer_count(url, 17) == 0


def test_EZ_07_kept_while_the_account_is_active_then_deleted_unless_a_hold_extends_it(
    database_url: str, tmp_path: Path
) -> None:
    from keepfaith.ledger import Status, holds, records, subjects
    from keepfaith.rights import retention
    from tests.conformance.rights_support import world_of

    with world_of(database_url, tmp_path, "eztalks") as world:
        with world.ledger.transaction(actor="app") as tx:
            ann, bob = subjects.add(tx, "eztalks", "user"), subjects.add(tx, "eztalks", "user")
            for person in (ann, bob):
                records.add(tx, person, "user.name", "A Name", collection_point="registration")
        with world.ledger.transaction(actor="retention") as tx:
            assert retention.apply(tx, "eztalks") == {}  # active accounts keep their data
        with world.ledger.transaction(actor="app") as tx:
            subjects.set_status(tx, ann, Status.DEACTIVATED)
            subjects.set_status(tx, bob, Status.DEACTIVATED)
            dispute = holds.add(tx, bob, "disputes")
        with world.ledger.transaction(actor="retention") as tx:
            assert retention.apply(tx, "eztalks") == {"user.name": 1}  # closing started it
            assert records.of(tx, ann) == [] and len(records.of(tx, bob)) == 1
        with world.ledger.transaction(actor="app") as tx:
            holds.release(tx, dispute)
        with world.ledger.transaction(actor="retention") as tx:
            assert retention.apply(tx, "eztalks") == {"user.name": 1}


def test_EZ_20_existing_people_move_when_the_change_is_posted(
    seeds: Seeds, database_url: str, tmp_path: Path
) -> None:
    from tests.changes.support import existing_people_move

    output = existing_people_move(seeds("eztalks"), database_url, tmp_path, "eztalks", "user")
    assert "post_notice" in output and "EZ-20" in output


def test_EZ_18_transfer_and_storage_worldwide_each_transfer_logged_with_its_country(
    seeds: Seeds,
) -> None:
    engine = seeds("eztalks")
    subject = person(engine, "eztalks", "user", "registration")
    moved = transfer(engine, subject, "affiliates", "profiles", "US")
    assert moved.allowed and "EZ-18" in moved.decision.clauses
    assert moved.record is not None and moved.record.country == "US"
    refused = transfer(engine, subject, "affiliates", "profiles", "CN")
    assert not refused.allowed and "EZ-18" in refused.decision.clauses
    assert refused.record is None


def test_EZ_19_onward_transfers_and_public_authority_requests_are_logged(
    seeds: Seeds,
) -> None:
    engine = seeds("eztalks")
    subject = person(engine, "eztalks", "user", "registration")
    # Onward transfer to an agent acting for ezTalks, under the Privacy Shield.
    moved = transfer(engine, subject, "hosting_provider", "profiles", "US")
    assert moved.record is not None and "EZ-19" in moved.decision.clauses
    assert moved.record.mechanism == "EU-U.S. and Swiss-U.S. Privacy Shield Frameworks"
    # A lawful request by a public authority is a legal disclosure, logged.
    logged = legal(
        engine,
        "eztalks",
        subject,
        "public_authority",
        requester="National security agency",
        kind="authority_request",
        reference="NSL-7",
    )
    assert "EZ-19" in (logged.clauses or ()) and logged.reference == "NSL-7"
    with engine.ledger.reading() as tx:
        log = disclosures.of(tx, "eztalks", subject)
    assert [(d.recipient, d.country) for d in log] == [
        ("hosting_provider", "US"),
        ("National security agency", None),
    ]
