"""Star-Clicks' clauses (SC-xx), driven through keepfaith's public interface on its example."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepfaith.collect.points import submit
from keepfaith.exceptions import InvalidSubmission
from keepfaith.ledger import disclosures, records, statements, subjects
from keepfaith.statement import load
from tests.conformance.conftest import Seeds, person
from tests.conformance.sharing_support import disclose, legally
from tests.conformance.told import assert_told, publish_plan
from tests.conftest import EXAMPLES
from tests.ledger.support import read, stored_bytes

STATEMENT = EXAMPLES / "starclicks" / "statement.yaml"


# --------------------------------------------------------------------------- ledger & engine

CARD = "4111111111111111"


def test_SC_02_payment_data_is_encrypted_at_rest(seeds: Seeds, database_kind: str) -> None:
    engine = seeds("starclicks")
    assert load(STATEMENT).category("user.financial.credit_card").sensitive
    subject = person(
        engine, "starclicks", "customer", "registration", ["user.financial.credit_card"], value=CARD
    )
    assert [r.value for r in read(engine.ledger, records.of, subject)] == [CARD]
    assert CARD.encode() not in stored_bytes(engine.ledger, database_kind)


def test_SC_05_payment_data_authenticates_and_never_markets(seeds: Seeds) -> None:
    engine = seeds("starclicks")
    subject = person(engine, "starclicks", "customer", "registration")
    allowed = engine.may(subject, "authenticate_identity", ["user.financial.credit_card"])
    assert allowed.allowed and "SC-05" in allowed.clauses
    assert engine.may(subject, "product_email", ["user.contact.email"]).allowed
    refused = engine.may(subject, "product_email", ["user.financial.credit_card"])
    assert not refused.allowed and "SC-05" in refused.clauses


@pytest.mark.parametrize(
    ("basis", "allowed"),
    [
        ("protect_rights", True),
        ("emergency", True),
        ("court_order", True),
        ("legal_process", False),
        ("law_enforcement", False),
        ("dispute", False),
        ("fraud", False),
    ],
)
def test_SC_08_only_the_three_disclosure_bases(seeds: Seeds, basis: str, allowed: bool) -> None:
    engine = seeds("starclicks")
    subject = person(engine, "starclicks", "customer", "registration")
    decision = legally(
        engine, "starclicks", subject, basis, "County court", ["user.name"], reference="case 7"
    )
    assert (decision.allowed, decision.clauses) == (allowed, ("SC-08",))
    for recipient in ("authorities", "data_broker"):  # nor any other way out
        shared = disclose(engine, subject, recipient, "account_contact", ["user.name"])
        assert not shared.allowed and "SC-08" in shared.clauses
    with engine.ledger.transaction() as tx:
        logged = [(d.basis, d.reference) for d in disclosures.of(tx, "starclicks")]
    assert logged == ([(basis, "case 7")] if allowed else [])


# --------------------------------------------------------------- collection points

REGISTRATION = {"name": "Ann Example", "email": "ann@example.com", "payment": CARD}


def test_SC_01_only_declared_fields_are_gathered(seeds: Seeds) -> None:
    engine = seeds("starclicks")
    statement = read(engine.ledger, statements.get, "starclicks")
    extra = {**REGISTRATION, "birthday": "1990-01-01", "employer": "Acme"}
    with pytest.raises(InvalidSubmission) as refused:
        submit(engine.ledger, statement, "registration", extra)
    assert set(refused.value.errors) == {"birthday", "employer"}
    with engine.ledger.transaction() as tx:
        assert subjects.of_tenant(tx, "starclicks") == []
    done = submit(engine.ledger, statement, "registration", REGISTRATION)
    subject = read(engine.ledger, subjects.get, "starclicks", done.subject_id or 0)
    held = {r.category for r in read(engine.ledger, records.of, subject)}
    assert held == {"user.name", "user.contact.email", "user.financial.credit_card"}


def test_SC_03_support_interactions_are_records_of_the_subject(seeds: Seeds) -> None:
    engine = seeds("starclicks")
    statement = read(engine.ledger, statements.get, "starclicks")
    customer = submit(engine.ledger, statement, "registration", REGISTRATION)
    subject = read(engine.ledger, subjects.get, "starclicks", customer.subject_id or 0)
    chat = {"email": "ann@example.com", "started_at": "2013-05-02T10:15:00", "duration": "PT12M"}
    done = submit(engine.ledger, statement, "support_interactions", chat, subject=subject)
    assert done.subject_id == subject.id
    stored = read(engine.ledger, records.of, subject, ["user.behavior.support_history"])
    assert sorted(r.value or "" for r in stored) == ["2013-05-02T10:15:00", "PT12M"]
    assert {r.collection_point for r in stored} == {"support_interactions"}
    assert engine.may(subject, "assign_resources", ["user.behavior.support_history"]).allowed


def test_SC_04_visits_logs_and_conversations_are_declared_points(seeds: Seeds) -> None:
    engine = seeds("starclicks")
    statement = read(engine.ledger, statements.get, "starclicks")
    visit = {"browser": "Firefox", "os": "Linux", "visited_at": "2013-05-02T10:15:00"}
    done = submit(engine.ledger, statement, "client_site_visits", visit)
    subject = read(engine.ledger, subjects.get, "starclicks", done.subject_id or 0)
    assert {r.purposes for r in read(engine.ledger, records.of, subject)} == {
        ("client_communication",)
    }
    # The IP address is logged on Star-Clicks' own site only, not on clients' sites.
    with pytest.raises(InvalidSubmission) as refused:
        submit(engine.ledger, statement, "client_site_visits", {**visit, "ip": "192.0.2.1"})
    assert list(refused.value.errors) == ["ip"]
    talk = submit(engine.ledger, statement, "visitor_conversations", {"transcript": "Hi!"})
    assert talk.records and talk.subject_id is not None
    logged = submit(engine.ledger, statement, "website_logs", {"ip": "192.0.2.1"})
    assert logged.subject_id is None  # the site's logs are tied to no one


# --------------------------------------------------------------------------- the statement


def test_SC_09_public_spaces_are_the_persons_own_choice() -> None:
    assert_told(STATEMENT, "SC-09", "live chat forums", "bulletin boards", "blog postings")
    statement = load(STATEMENT)
    assert any("public spaces" in text for text in statement.scope.excludes)
    # Nothing is gathered from public spaces: no collection point reads from one.
    assert not [p.id for p in statement.collection_points if "public" in p.id]


def test_SC_10_the_statement_changes_without_prior_notice(tmp_path: Path) -> None:
    assert_told(STATEMENT, "SC-10", "without prior notice")
    code, plan = publish_plan(STATEMENT, tmp_path)
    assert code == 0 and plan["material_changes"] == 1
    assert plan["notify"] == "none"
    assert [step["action"] for step in plan["steps"]] == ["publish"]
    assert plan["effective"] == "when published, without prior notice"
    assert plan["clauses"] == ["SC-10"]


def test_SC_11_privacy_questions_go_to_the_support_address() -> None:
    assert_told(STATEMENT, "SC-11", "support@star-clicks.com")
    statement = load(STATEMENT)
    [privacy] = [c for c in statement.organisation.contacts if c.role == "privacy"]
    assert privacy.email == "support@star-clicks.com"
    assert statement.complaints is not None and statement.complaints.contact == "privacy"


def test_SC_06_marketing_email_always_carries_a_working_opt_out(mail: object, web: object) -> None:
    """Product email carries RFC 8058's one-click headers and a visible link with the
    statement's own opt-out words; a POST to the link stops the next one at once."""
    from keepfaith import messaging
    from keepfaith.exceptions import NotAllowed
    from tests.conformance.mailing import assert_carries_a_working_opt_out, customer, send

    world = mail("starclicks")  # type: ignore[operator]
    client = web(world)  # type: ignore[operator]
    ann = customer(world, "starclicks", "customer", "registration", "ann@example.org")
    received = send(world, ann, "product_email")
    assert_carries_a_working_opt_out(world, received, client)
    with pytest.raises(NotAllowed) as refused, world.ledger.transaction() as tx:
        messaging.queue(tx, ann, "product_email", "notice", context={"title": "t", "text": "x"})
    assert "SC-06" in refused.value.clauses


def test_SC_07_bulletins_reach_active_subscribers_after_a_marketing_opt_out(
    mail: object, web: object
) -> None:
    """After the one-click opt-out of product email, a technical bulletin still arrives
    (with no unsubscribe); once the account is closed it is withheld."""
    from keepfaith import messaging
    from keepfaith.ledger import Status
    from keepfaith.ledger import messages as outbox
    from tests.conformance.mailing import customer, one_click, send

    world = mail("starclicks")  # type: ignore[operator]
    client = web(world)  # type: ignore[operator]
    ann = customer(world, "starclicks", "customer", "registration", "ann@example.org")
    assert one_click(client, send(world, ann, "product_email")).status_code == 200
    bulletin = send(world, ann, "technical_bulletins", {"title": "Patch now", "text": "CVE."})
    assert bulletin.mail["Subject"] == "Patch now" and bulletin.mail["List-Unsubscribe"] is None
    with world.ledger.transaction() as tx:
        queued = messaging.queue(
            tx, ann, "technical_bulletins", "notice", context={"title": "t", "text": "x"}
        )
        assert "SC-07" in queued.clauses
        subjects.set_status(tx, ann, Status.DEACTIVATED)
    world.work()
    with world.ledger.reading() as tx:
        assert outbox.get(tx, queued.id).status == "withheld"
    assert len(world.sink.received) == 2


def test_SC_10_existing_people_move_to_a_new_version_on_publication(
    seeds: Seeds, database_url: str, tmp_path: Path
) -> None:
    from tests.changes.support import existing_people_move

    output = existing_people_move(
        seeds("starclicks"), database_url, tmp_path, "starclicks", "customer"
    )
    assert "when published, without prior notice" in output and "SC-10" in output
