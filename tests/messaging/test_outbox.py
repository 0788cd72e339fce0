"""The outbox against a real SMTP server on loopback: decide, queue, decide again, send."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from keepfaith import jobs, messaging
from keepfaith.exceptions import InvalidSubmission, NotAllowed, NotFound, Refused
from keepfaith.ledger import ConsentKind, ConsentMethod, consents
from keepfaith.ledger import messages as outbox_rows
from keepfaith.ledger.messages import messages
from tests.messaging.conftest import World, person

Mail = Callable[..., World]
NEWS = {"title": "Our spring news", "text": "Three new features."}


def rows(world: World) -> list[outbox_rows.Message]:
    with world.ledger.reading() as tx:
        return list(reversed(outbox_rows.latest(tx, limit=1000)))


def stored(world: World, column: str) -> list[object]:
    with world.ledger.engine.connect() as connection:
        return list(connection.execute(sa.select(messages.c[column])).scalars())


def test_a_message_the_engine_allows_is_queued_with_its_decision_and_sent(mail: Mail) -> None:
    world = mail("parature")
    ann = person(
        world.ledger,
        "parature",
        "customer",
        "registration",
        "ann@example.org",
        consent=("marketing_email",),
    )
    with world.ledger.transaction() as tx:
        queued = messaging.queue(tx, ann, "marketing_email", "notice", context=NEWS)
    assert (queued.status, queued.clauses) == ("queued", ("PA-17", "PA-29"))
    assert queued.reason == "marketing_email (opt_in)"
    world.work()
    [arrived] = world.sink.wait_for(1)
    assert arrived.recipients == ("ann@example.org",)
    assert arrived.mail["Subject"] == "Our spring news"
    assert "Dear Ann Example," in arrived.text and "Three new features." in arrived.text
    [sent] = rows(world)
    assert (sent.status, sent.outcome, sent.outcome_clauses) == (
        "sent",
        "250 OK",
        ("PA-17", "PA-29"),
    )
    assert sent.sent_at is not None and sent.attempts == 1
    assert stored(world, "context") == [None] and stored(world, "to_address") == [None]


def test_a_refused_message_is_neither_queued_nor_sent(mail: Mail) -> None:
    world = mail("parature")
    ann = person(world.ledger, "parature", "customer", "registration", "ann@example.org")
    with pytest.raises(NotAllowed) as refused, world.ledger.transaction() as tx:
        messaging.queue(tx, ann, "marketing_email", "notice", context=NEWS)
    assert "PA-17" in refused.value.clauses and "no consent" in refused.value.reason
    world.work()
    assert rows(world) == [] and world.sink.received == []
    assert [j for j in jobs.list_jobs(world.ledger, None, 50) if j.task == "messaging.send"] == []


def test_a_withdrawal_after_queueing_wins_over_the_queued_message(mail: Mail) -> None:
    world = mail("parature")
    ann = person(
        world.ledger,
        "parature",
        "customer",
        "registration",
        "ann@example.org",
        consent=("marketing_email",),
    )
    with world.ledger.transaction() as tx:
        messaging.queue(tx, ann, "marketing_email", "notice", context=NEWS)
    with world.ledger.transaction() as tx:
        consents.record(
            tx, ann, "marketing_email", kind=ConsentKind.WITHDRAWN, method=ConsentMethod.LINK
        )
    world.work()
    [withheld] = rows(world)
    assert withheld.status == "withheld"
    assert withheld.outcome == "the person withdrew consent to marketing_email on 2024-03-01"
    assert withheld.outcome_clauses == ("PA-17", "PA-29")
    assert world.sink.received == []


def test_promotional_mail_carries_one_click_headers_and_service_mail_none(mail: Mail) -> None:
    world = mail("parature")
    ann = person(
        world.ledger,
        "parature",
        "customer",
        "registration",
        "ann@example.org",
        consent=("marketing_email",),
    )
    with world.ledger.transaction() as tx:
        news = messaging.queue(tx, ann, "marketing_email", "notice", context=NEWS)
        messaging.queue(
            tx,
            ann,
            "administrative_email",
            "notice",
            context={"title": "Your account", "text": "Renewal is due."},
        )
    world.work()
    promotional, service = world.sink.wait_for(2)
    header = promotional.mail["List-Unsubscribe"]
    url = f"https://privacy.keepfaith.test/t/parature/unsubscribe/{news.id}-"
    assert header.startswith(f"<{url}") and "<mailto:unsubscribe+" in header
    assert promotional.mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = header[1 : header.index(">")]
    assert f"Unsubscribe: {link}" in promotional.text  # the same link, visible
    assert "To withdraw: the unsubscribe link in every message" in promotional.text
    assert service.mail["List-Unsubscribe"] is None
    assert service.mail["List-Unsubscribe-Post"] is None
    assert "Renewal is due." in service.text and "Unsubscribe" not in service.text
    for message in (promotional, service):
        assert message.mail["Reply-To"].startswith("reply+")
        assert message.mail["Reply-To"].endswith("@mail.keepfaith.test")
        assert message.sender.startswith("bounce+")
        assert message.mail["Message-ID"].endswith("@mail.keepfaith.test>")


def test_a_transactional_message_reaches_an_address_tied_to_nobody(mail: Mail) -> None:
    world = mail("parature")
    with world.ledger.transaction() as tx:
        queued = messaging.send_to_address(
            tx,
            "parature",
            "Bob@Example.ORG",
            "respond_to_requests",
            "verification",
            context={"code": "482113"},
        )
    assert queued.subject_id is None and queued.clauses == ("PA-16",)
    world.work()
    [arrived] = world.sink.wait_for(1)
    assert arrived.recipients == ("Bob@example.org",)
    assert "482113" in arrived.text
    assert stored(world, "to_address") == [None]  # forgotten once sent
    assert stored(world, "context") == [None]
    [digest] = stored(world, "to_digest")
    assert isinstance(digest, str) and "bob" not in digest.lower()


@pytest.mark.parametrize(
    "address",
    [
        "bob@example.org\r\nBcc: everyone@example.org",
        "no-at-sign",
        "x" * 300 + "@example.org",
        "\ud800@example.org",
        "bob@exa\x00mple.org",
        "",
    ],
    ids=["crlf", "no-at", "huge", "lone-surrogate", "nul", "empty"],
)
def test_a_bad_address_is_refused_by_field_and_nothing_is_stored(mail: Mail, address: str) -> None:
    world = mail("parature")
    with pytest.raises(InvalidSubmission) as refused, world.ledger.transaction() as tx:
        messaging.send_to_address(tx, "parature", address, "respond_to_requests", "verification")
    assert list(refused.value.errors) == ["to"]
    assert address.split("@")[0][:20] not in str(refused.value) or not address
    assert rows(world) == []


def test_an_address_cannot_receive_marketing_nor_a_use_needing_consent(mail: Mail) -> None:
    world = mail("parature")
    with pytest.raises(Refused, match="marketing"), world.ledger.transaction() as tx:
        messaging.send_to_address(tx, "parature", "b@example.org", "marketing_email", "notice")
    with pytest.raises(NotAllowed) as refused, world.ledger.transaction() as tx:
        messaging.send_to_address(tx, "parature", "b@example.org", "affiliate_sharing", "notice")
    assert "no consent" in refused.value.reason
    with pytest.raises(NotFound), world.ledger.transaction() as tx:
        messaging.send_to_address(tx, "parature", "b@example.org", "no_such_purpose", "notice")
    assert rows(world) == []


def test_a_subject_of_another_tenant_is_not_found(mail: Mail) -> None:
    world = mail("parature", "starclicks")
    ann = person(world.ledger, "parature", "customer", "registration", "ann@example.org")
    stranger = type(ann)(ann.id, "starclicks", ann.kind, ann.statement_version)
    with pytest.raises(NotFound), world.ledger.transaction() as tx:
        messaging.queue(tx, stranger, "technical_bulletins", "notice", context=NEWS)


def test_context_must_be_json_and_cannot_override_keepfaiths_names(mail: Mail) -> None:
    world = mail("parature")
    ann = person(world.ledger, "parature", "customer", "registration", "ann@example.org")
    with pytest.raises(Refused, match="JSON"), world.ledger.transaction() as tx:
        messaging.queue(tx, ann, "administrative_email", "notice", context={"text": object()})
    with pytest.raises(Refused, match="unsubscribe_url"), world.ledger.transaction() as tx:
        messaging.queue(
            tx,
            ann,
            "administrative_email",
            "notice",
            context={"unsubscribe_url": "https://evil.example"},
        )
    with pytest.raises(Refused, match="plain name"), world.ledger.transaction() as tx:
        messaging.queue(tx, ann, "administrative_email", "../secrets", context=NEWS)
    assert rows(world) == []


def test_a_missing_template_fails_the_message_and_says_why(mail: Mail) -> None:
    world = mail("parature")
    ann = person(world.ledger, "parature", "customer", "registration", "ann@example.org")
    with world.ledger.transaction() as tx:
        messaging.queue(tx, ann, "administrative_email", "no_such_template", context=NEWS)
        messaging.queue(tx, ann, "administrative_email", "notice", context={"title": "x"})
    world.work()
    missing, undefined = rows(world)
    assert missing.status == "failed" and "no message template 'no_such_template'" in (
        missing.outcome or ""
    )
    assert undefined.status == "failed" and "'text' is undefined" in (undefined.outcome or "")
    assert world.sink.received == []


def test_a_deferral_is_tried_again_with_backoff_and_arrives_once(mail: Mail) -> None:
    world = mail("starclicks")
    answers = iter(["451 4.3.0 Try again later"])
    world.sink.answer = lambda envelope: next(answers, "250 OK")
    bea = person(world.ledger, "starclicks", "customer", "registration", "bea@example.org")
    with world.ledger.transaction() as tx:
        messaging.queue(tx, bea, "technical_bulletins", "notice", context=NEWS)
    world.work()
    [waiting] = rows(world)
    assert (waiting.status, waiting.attempts) == ("queued", 1)
    assert waiting.outcome == "451 4.3.0 Try again later"
    [job] = [j for j in jobs.list_jobs(world.ledger, None, 50) if j.task == "messaging.send"]
    assert job.status == "todo" and "temporary failure" in (job.reason or "")
    world.later(2.5)
    world.work()
    assert len(world.sink.wait_for(1)) == 1
    [sent] = rows(world)
    assert (sent.status, sent.attempts) == ("sent", 2)


def test_a_mailbox_that_does_not_exist_fails_and_its_address_is_suppressed(mail: Mail) -> None:
    world = mail("starclicks")
    world.sink.answer = lambda envelope: "550 5.1.1 No such user"
    bea = person(world.ledger, "starclicks", "customer", "registration", "bea@example.org")
    with world.ledger.transaction() as tx:
        messaging.queue(tx, bea, "technical_bulletins", "notice", context=NEWS)
    world.work()
    world.sink.answer = lambda envelope: "250 OK"
    with world.ledger.transaction() as tx:
        messaging.queue(tx, bea, "account_contact", "notice", context=NEWS)
    world.work()
    failed, withheld = rows(world)
    assert (failed.status, failed.outcome) == ("failed", "550 5.1.1 No such user")
    assert withheld.status == "withheld"
    assert "suppression list" in (withheld.outcome or "")
    assert world.sink.received == []


def test_a_withdrawal_while_the_message_is_with_the_relay_wins_over_it(mail: Mail) -> None:
    """The chunk is decided before sending; a withdrawal that commits after that, while
    the envelope is with the relay, is caught at the hand-over: the session is dropped
    before the final dot, so the relay discards the message, and it is decided again."""
    world = mail("parature")
    people = {
        address: person(
            world.ledger,
            "parature",
            "customer",
            "registration",
            address,
            consent=("marketing_email",),
        )
        for address in ("ann@example.org", "bob@example.org")
    }
    with world.ledger.transaction() as tx:
        for someone in people.values():
            messaging.queue(tx, someone, "marketing_email", "notice", context=NEWS)
    withdrawn: list[str] = []

    def withdraw(address: str) -> None:
        if address == "ann@example.org" and not withdrawn:
            withdrawn.append(address)
            with world.ledger.transaction() as tx:
                consents.record(
                    tx,
                    people[address],
                    "marketing_email",
                    kind=ConsentKind.WITHDRAWN,
                    method=ConsentMethod.LINK,
                )

    world.sink.on_rcpt = withdraw
    world.work()
    world.sink.wait_for(1)
    assert [m.recipients for m in world.sink.received] == [("bob@example.org",)]
    ann, bob = rows(world)
    assert (ann.status, bob.status) == ("withheld", "sent")
    assert ann.outcome == "the person withdrew consent to marketing_email on 2024-03-01"
    assert withdrawn == ["ann@example.org"]
