"""eStara's clauses (ES-xx), driven through keepfaith's public interface on its example."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from markupsafe import escape
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.collect.links import link_token
from keepfaith.ledger import consents, disclosures, records, statements, subjects
from keepfaith.ledger.staff import Role
from keepfaith.statement import load, loads
from tests.conformance.conftest import Seeds, banner_config, person, post_cookie_choice
from tests.conformance.sharing_support import (
    complaint_escalated_on_its_day,
    disclose,
    legal,
    refused_legally,
)
from tests.conformance.told import assert_told
from tests.conftest import EXAMPLES
from tests.ledger.support import read
from tests.logs.support import (
    REAL_LOG,
    all_stored_bytes,
    line,
    logs_cli,
    real_addresses_and_agents,
    write_log,
)
from tests.web.conftest import SECRET, form_token, sign_in

STATEMENT = EXAMPLES / "estara" / "statement.yaml"


def _section(html: str, section_id: str) -> str:
    """The HTML of one section: from its <h2> to the next one."""
    start = html.index(f'<h2 id="{section_id}">')
    end = html.find("<h2 ", start + 1)
    return html[start : end if end != -1 else len(html)]


def test_ES_01_seven_notice_sections_from_the_declaration() -> None:
    result = CliRunner().invoke(app, ["render", str(STATEMENT)])
    assert result.exit_code == 0, result.output
    html, s = result.stdout, load(STATEMENT)
    expected = {
        "collected": [p.name for p in s.collection_points] + [c.name for c in s.categories],
        "who": [s.organisation.name],
        "use": [p.name for p in s.purposes],
        "sharing": [r.name for r in s.recipients],
        "choices": [p.name for p in s.purposes if p.basis in ("opt_in", "opt_out")],
        "security": list(s.security.measures),
        "access": [str(s.rights.response_days)],
    }
    for section_id, texts in expected.items():
        section = _section(html, section_id)
        missing = [text for text in texts if str(escape(text)) not in section]
        assert missing == [], f"#{section_id} lacks {missing}"


def test_ES_08_cookies_have_one_purpose_and_none_undeclared_is_set(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    client = make_client(make_app(statements=(STATEMENT,)))
    declared = load(STATEMENT).cookies
    assert all(cookie.purpose for cookie in declared)  # one purpose each, by the schema
    [necessary] = banner_config(client, "estara")["categories"]
    assert necessary["required"]
    assert {c["name"] for c in necessary["cookies"]} == {c.name for c in declared}
    answer = post_cookie_choice(client, "estara", [])
    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers  # the consent layer sets no cookie of its own
    assert answer.json()["events"] == 0  # necessary cookies are not a choice
    assert not client.cookies


# --------------------------------------------------------------------------- ledger & engine


def test_ES_02_no_disclosure_to_outside_parties_for_commerce(seeds: Seeds) -> None:
    engine = seeds("estara")
    subject = person(engine, "estara", "subscriber", "alerts_signup")
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "alerts", evidence={"checkbox": "alerts"})
    assert engine.may(subject, "alerts", ["user.contact.email"]).allowed
    for outsider in ("list_broker", "advertising_partner"):
        refused = disclose(engine, subject, outsider, "alerts", ["user.contact.email"])
        assert not refused.allowed and "ES-02" in refused.clauses
    with engine.ledger.transaction() as tx:
        assert disclosures.of(tx, "estara") == []


def test_ES_03_a_use_added_later_waits_for_the_persons_choice(seeds: Seeds) -> None:
    engine = seeds("estara")
    subject = person(engine, "estara", "business_contact", "business_inquiry")
    text = (EXAMPLES / "estara" / "statement.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "2003-12"', 'version: "2004-06"').replace(
        "\npurposes:\n",
        "\npurposes:\n  - {id: webinar_invites, name: Invite you to webinars, basis: opt_out,"
        " categories: [user.contact.email], clauses: [ES-03]}\n",
    )
    with engine.ledger.transaction() as tx:
        statements.publish(tx, loads(text), text)
        subject = subjects.set_statement_version(tx, subject, "2004-06")
    before = engine.may(subject, "webinar_invites", ["user.contact.email"])
    assert not before.allowed and "ES-03" in before.clauses
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "webinar_invites", kind="notified", method="link")
    assert engine.may(subject, "webinar_invites", ["user.contact.email"]).allowed
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "webinar_invites", kind="withdrawn", method="link")
    assert not engine.may(subject, "webinar_invites", ["user.contact.email"]).allowed


def test_ES_06_survey_answers_never_serve_a_commercial_purpose(seeds: Seeds) -> None:
    engine = seeds("estara")
    subject = person(engine, "estara", "visitor", "survey")
    allowed = engine.may(subject, "understand_needs", ["user.content.survey"])
    assert allowed.allowed and "ES-06" in allowed.clauses
    with engine.ledger.transaction() as tx:
        consents.record(tx, subject, "alerts")
    refused = engine.may(subject, "alerts", ["user.content.survey"])
    assert not refused.allowed and "ES-06" in refused.clauses


def test_ES_10_each_form_data_serves_its_stated_purpose_alone(seeds: Seeds) -> None:
    engine = seeds("estara")
    subject = person(engine, "estara", "business_contact", "business_inquiry")
    [record, *_] = read(engine.ledger, records.of, subject, ["user.contact.email"])
    assert record.purposes == ("follow_up_inquiry",)
    assert engine.may(subject, "follow_up_inquiry", ["user.contact.email"]).allowed
    for other in ("answer_information_request", "respond_to_resume", "reply_to_messages"):
        refused = engine.may(subject, other, ["user.contact.email"])
        assert not refused.allowed and "ES-10" in refused.clauses, other


def test_ES_11_contact_only_to_follow_up_what_was_sent(seeds: Seeds) -> None:
    engine = seeds("estara")
    applicant = person(engine, "estara", "applicant", "job_application")
    answer = engine.use(applicant, "respond_to_resume", ["user.contact.email"])
    assert answer.allowed and "ES-11" in answer.clauses
    refused = engine.use(applicant, "alerts", ["user.contact.email"])
    assert not refused.allowed and "ES-11" in refused.clauses
    assert [e.action for e in engine.ledger.audit_entries()].count("use") == 1


def test_ES_12_enriched_records_keep_their_outside_source(seeds: Seeds) -> None:
    engine = seeds("estara")
    subject = person(engine, "estara", "business_contact", "business_inquiry")
    with engine.ledger.transaction() as tx:
        records.add(
            tx,
            subject,
            "user.workplace.company_profile",
            "Acme: 40 staff",
            collection_point="business_verification",
            provenance={"source": "Dun & Bradstreet", "reference": "D-U-N-S 123"},
        )
    [enriched] = read(engine.ledger, records.of, subject, ["user.workplace.company_profile"])
    assert enriched.collection_point == "business_verification"
    assert enriched.provenance["source"] == "Dun & Bradstreet"
    decision = engine.may(subject, "follow_up_inquiry", ["user.workplace.company_profile"])
    assert decision.allowed and "ES-12" in decision.clauses


# --------------------------------------------------------------- collection points, consent


def _submit(client: httpx.Client, tenant: str, point: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"/api/t/{tenant}/collect/{point}", json=body)


def test_ES_09_the_list_is_joined_only_by_an_explicit_opt_in(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    decisions = {}
    for sent in ("default", True):
        body = {"fields": {"email": "ann@example.com"}, "consents": {"alerts": sent}}
        answer = _submit(client, "estara", "alerts_signup", body)
        assert answer.status_code == 201, answer.text
        subject = read(service.state.ledger, subjects.get, "estara", answer.json()["subject"])
        decisions[sent] = service.state.engine.may(subject, "alerts", ["user.contact.email"])
    assert not decisions["default"].allowed
    assert decisions[True].allowed
    # The list's data is staff-only: no role, no access.
    assert client.get(f"/admin/api/t/estara/subjects/{subject.id}/profile").status_code == 401


def test_ES_13_contact_us_messages_are_answered_and_may_improve_the_site(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    service = make_app((STATEMENT,))
    body = {"fields": {"email": "ann@example.com", "message": "Your page is broken"}}
    answer = _submit(make_client(service), "estara", "contact_us", body)
    assert answer.status_code == 201, answer.text
    subject = read(service.state.ledger, subjects.get, "estara", answer.json()["subject"])
    (message,) = read(service.state.ledger, records.of, subject, ["user.content.private"])
    assert set(message.purposes) == {"reply_to_messages", "improve_site"}
    for purpose in ("reply_to_messages", "improve_site"):
        assert service.state.engine.may(subject, purpose, ["user.content.private"]).allowed


def test_ES_14_the_widget_on_customers_sites_takes_browser_and_ip_only(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    service = make_app((STATEMENT,))
    client = make_client(service)
    fields = {"ip": "192.0.2.7", "browser": "Firefox 125"}
    assert _submit(client, "estara", "push_to_talk_widget", {"fields": fields}).status_code == 201
    more = {**fields, "email": "ann@example.com", "name": "Ann"}
    refused = _submit(client, "estara", "push_to_talk_widget", {"fields": more})
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"email", "name"}
    with service.state.ledger.transaction() as tx:
        assert len(subjects.of_tenant(tx, "estara")) == 1


def test_ES_16_no_online_self_update_a_representative_corrects_with_a_trail(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    service = make_app((STATEMENT,))
    person_client = make_client(service)
    body = {"fields": {"name": "Bob", "email": "bob@example.com"}}
    subject_id = _submit(person_client, "estara", "alerts_signup", body).json()["subject"]
    center = "/t/estara/privacy-center"
    person_client.get(f"{center}?token={link_token(SECRET, 'estara', str(subject_id))}")
    page = person_client.get(center)
    assert "a member of our staff makes the change" in page.text
    assert 'action="/t/estara/privacy-center/profile"' not in page.text
    (name,) = read(
        service.state.ledger,
        records.of,
        read(service.state.ledger, subjects.get, "estara", subject_id),
        ["user.name"],
    )
    edit = {"csrf_token": form_token(person_client, center), f"record:{name.id}": "Robert"}
    assert person_client.post(f"{center}/profile", data=edit).status_code == 409

    agent = make_client(service)
    sign_in(agent, service, Role.SUPPORT_AGENT)
    corrections = f"/admin/api/t/estara/subjects/{subject_id}/corrections"
    csrf = {"X-CSRF-Token": form_token(agent, "/admin")}
    done = agent.post(corrections, json={"records": {str(name.id): "Robert"}}, headers=csrf)
    assert done.status_code == 200, done.text
    subject = read(service.state.ledger, subjects.get, "estara", subject_id)
    assert [r.value for r in read(service.state.ledger, records.of, subject, ["user.name"])] == [
        "Robert"
    ]
    trail = [
        (e.action, e.object, e.object_id, e.actor.split(":")[:2])
        for e in service.state.ledger.audit_entries()
        if e.action in ("correct", "correct_request")
    ]
    assert trail == [
        ("correct", "record", str(name.id), ["staff", "user"]),
        ("correct_request", "subject", str(subject_id), ["staff", "user"]),
    ]


def test_ES_05_visit_statistics_are_kept_in_aggregate_only(
    database_url: str, tmp_path: Path
) -> None:
    ingest = logs_cli(database_url, "ingest", str(REAL_LOG), "--statement", str(STATEMENT))
    assert "1 bad" in ingest.stdout
    shown = logs_cli(database_url, "report", "--statement", str(STATEMENT), "--format", "json")
    summary = json.loads(shown.stdout)
    assert summary["tenant"] == "estara" and summary["totals"]["pageviews"] == 1929
    assert 1500 < summary["visitors"] < 1650  # people, counted without keeping who
    assert all(summary["top"][dim] for dim in ("page", "referrer", "browser", "os"))
    addresses, _ = real_addresses_and_agents()
    stored = all_stored_bytes(database_url, tmp_path)
    assert [address for address in addresses if address.encode() in stored] == []


def test_ES_07_log_aggregates_cannot_be_joined_to_anyone(database_url: str, tmp_path: Path) -> None:
    visitor = write_log(tmp_path / "one.log", [line("198.51.100.7", "09:00:00", "/")])
    for tenant in ("estara", "estara-again"):
        logs_cli(database_url, "ingest", str(visitor), "--tenant", tenant)
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        tables = [t for t in inspector.get_table_names() if t.startswith("visit_")]
        links = [inspector.get_foreign_keys(table) for table in tables]
        sketches = connection.execute(sa.text("SELECT visitors FROM visit_days")).scalars()
        sketches = list(sketches)
    engine.dispose()
    # No statistics table points at a subject, and the same visitor hashed in two runs
    # leaves two different traces: each run's salt is gone, so no key can be recomputed.
    assert sorted(tables) == ["visit_chunks", "visit_counts", "visit_days"]
    assert links == [[], [], []]
    assert len(sketches) == 2 and sketches[0] != sketches[1]
    assert b"198.51.100.7" not in all_stored_bytes(database_url, tmp_path)


# --------------------------------------------------------------------------- the statement


def test_ES_20_the_seal_covers_the_website_not_downloaded_software() -> None:
    assert_told(STATEMENT, "ES-20", "Software downloaded from the Site")


def test_ES_15_a_reply_saying_unsubscribe_opts_out_of_the_alerts(mail: Any) -> None:
    """A reply "Re: UNSUBSCRIBE" over SMTP to ``keepfaith mail listen`` records the
    opt-out with its method, and the next alert is refused (and one queued is withheld)."""
    import pytest

    from keepfaith import messaging
    from keepfaith.exceptions import NotAllowed
    from keepfaith.ledger import messages as outbox
    from tests.conformance.mailing import customer, send
    from tests.messaging.test_listen import Listener, reply_to

    world = mail("estara")
    listener = Listener(world)
    try:
        ann = customer(world, "estara", "subscriber", "alerts_signup", "ann@example.org", "alerts")
        alert = send(world, ann, "alerts")
        assert alert.mail["List-Unsubscribe"] is not None
        with world.ledger.transaction() as tx:
            queued = messaging.queue(
                tx, ann, "alerts", "notice", context={"title": "t", "text": "x"}
            )
        reply = reply_to(alert, "Re: UNSUBSCRIBE")
        reply.replace_header("From", "forwarded-by-someone@example.net")  # From is not trusted
        assert listener.send(reply, alert.mail["Reply-To"]) == {}
    finally:
        listener.stop()
    with world.ledger.reading() as tx:
        withdrawn = [e for e in consents.history(tx, ann) if e.kind == "withdrawn"]
        assert [(e.choice, e.method) for e in withdrawn] == [("alerts", "reply_email")]
        assert [r.kind for r in outbox.replies_of(tx, "estara")] == ["unsubscribe"]
    with pytest.raises(NotAllowed) as refused, world.ledger.transaction() as tx:
        messaging.queue(tx, ann, "alerts", "notice", context={"title": "t", "text": "x"})
    assert "ES-15" in refused.value.clauses
    world.work()
    with world.ledger.reading() as tx:
        assert outbox.get(tx, queued.id).status == "withheld"
    assert len(world.sink.received) == 1


def test_ES_17_a_new_use_is_emailed_with_a_choice_and_never_reaches_the_opted_out(
    mail: Callable[..., Any],
) -> None:
    """Told by email with a choice; a refusal keeps the old terms; people who opted out
    of all contact or were deleted are not contacted, and not used the new way."""
    from keepfaith.changes import answers, effective, publish
    from keepfaith.ledger import Status
    from keepfaith.ledger import messages as outbox_rows
    from keepfaith.messaging import addresses
    from tests.changes.conftest import loaded, new_version
    from tests.changes.support import link_of
    from tests.messaging.conftest import person as mailed

    assert_told(STATEMENT, "ES-17", "you will not be contacted")
    world = mail("estara")
    people = {
        who: mailed(world.ledger, "estara", "visitor", "information_request", f"{who}@example.org")
        for who in ("yes", "no", "quiet", "gone")
    }
    with world.ledger.transaction() as tx:
        digest = addresses.digest(world.settings.secret_key, "quiet@example.org")
        outbox_rows.suppress(tx, "estara", digest, outbox_rows.EVERY_PURPOSE, "opted out")
        subjects.set_status(tx, people["gone"], Status.DELETED)
    text = new_version("estara", "2026-01")
    with world.ledger.transaction(actor="dpo") as tx:
        publish.publish(tx, loaded(text), text)
    world.work()
    notices = {m.recipients[0].split("@")[0]: m for m in world.sink.wait_for(2)}
    assert sorted(notices) == ["no", "yes"]
    for who, choice in (("yes", "accepted"), ("no", "refused")):
        token = link_of(notices[who].text, "/changes/")
        with world.ledger.transaction() as tx:
            answers.answer_by_link(tx, world.settings.secret_key, "estara", token, choice)
    world.ledger.clock.advance(days=365)
    effective.apply_all_due(world.ledger)
    allowed = {
        who: world.engine.may(person, "partner_offers", "user.contact.email").allowed
        for who, person in people.items()
    }
    assert allowed == {"yes": True, "no": False, "quiet": False, "gone": False}
    assert len(world.sink.received) == 2


def test_ES_04_disclosure_to_stop_abuse_answer_legal_requests_or_act_against_harassment(
    seeds: Seeds,
) -> None:
    engine = seeds("estara")
    subject = person(engine, "estara", "visitor", "information_request")
    for basis in ("abuse", "harassment", "public_authority", "legal_process"):
        logged = legal(engine, "estara", subject, basis, kind="abuse_report")
        assert logged.basis == basis and "ES-04" in (logged.clauses or ())
    # A ground the statement does not give is refused, naming the clauses of the grounds.
    assert "ES-04" in refused_legally(
        engine, "estara", person(engine, "estara", "visitor", "information_request"), "dispute"
    )


def test_ES_18_disclosure_required_by_law_is_logged_with_its_basis_and_document(
    seeds: Seeds,
) -> None:
    engine = seeds("estara")
    subject = person(engine, "estara", "visitor", "information_request")
    # A court order is disclosed to only against the order itself.
    assert "ES-18" in refused_legally(engine, "estara", subject, "court_order")
    logged = legal(engine, "estara", subject, "court_order", reference="Case 2026-CV-118")
    assert (logged.basis, logged.reference, logged.recipient) == (
        "court_order",
        "Case 2026-CV-118",
        "District court",
    )
    assert "ES-18" in (logged.clauses or ()) and logged.categories == ("user.name",)
    with engine.ledger.reading() as tx:
        assert [d.id for d in disclosures.of(tx, "estara", subject)] == [logged.id]


def test_ES_19_complaints_go_to_estara_first_then_to_truste_when_unacknowledged(
    mail: Any,
) -> None:
    world = mail("estara")
    told = complaint_escalated_on_its_day(world, "estara", days=10)  # acknowledge_days: 10
    assert "TRUSTe" in told and "http://www.truste.org/users/users_watchdog.php" in told
