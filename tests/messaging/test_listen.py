"""Replies over SMTP to ``keepfaith mail listen``: unsubscribe (ES-15), bounces, the rest."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from keepfaith import messaging
from keepfaith.exceptions import NotAllowed
from keepfaith.ledger import Subject, consents
from keepfaith.ledger import messages as outbox_rows
from keepfaith.messaging.listen import normalised, says_unsubscribe
from tests.conftest import ROOT
from tests.messaging.conftest import World, person
from tests.messaging.sink import Received

Mail = Callable[..., World]
NEWS = {"title": "Our spring news", "text": "Three new features."}
KEEPFAITH = Path(sys.executable).with_name("keepfaith")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Listener:
    """``keepfaith mail listen`` in a process of its own, configured as a deployment is."""

    def __init__(self, world: World, **environment: str) -> None:
        self.port = free_port()
        settings = world.settings
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "KEEPFAITH_DATABASE_URL": settings.database_url,
            "KEEPFAITH_AUDIT_KEY": settings.audit_key,
            "KEEPFAITH_SECRET_KEY": settings.secret_key,
            "KEEPFAITH_MAIL_FROM": settings.mail_from,
            "KEEPFAITH_MAIL_DOMAIN": settings.mail_domain,
            "KEEPFAITH_SMTP_HOST": settings.smtp_host,
            "KEEPFAITH_SMTP_PORT": str(settings.smtp_port),
            "KEEPFAITH_SMTP_SECURITY": "none",
            **environment,
        }
        command = [str(KEEPFAITH), "mail", "listen", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 180  # a loaded machine takes its time to start one
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(self.stop()) from None
                time.sleep(0.1)

    def send(self, mail: EmailMessage, to: str) -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=20) as client:
            return client.send_message(mail, from_addr="ann@example.org", to_addrs=[to])

    def stop(self) -> str:
        self.process.terminate()
        try:
            _, errors = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, errors = self.process.communicate()
        return errors.decode("utf-8", "replace")


@pytest.fixture
def listener() -> Iterator[Callable[..., Listener]]:
    started: list[Listener] = []

    def start(world: World, **environment: str) -> Listener:
        started.append(Listener(world, **environment))
        return started[-1]

    yield start
    for running in started:
        running.stop()


def newsletter(world: World, subject: Subject) -> Received:
    with world.ledger.transaction() as tx:
        messaging.queue(tx, subject, "alerts", "notice", context=NEWS)
    before = len(world.sink.received)
    world.work()
    return world.sink.wait_for(before + 1)[-1]


def subscriber(world: World) -> Subject:
    return person(
        world.ledger,
        "estara",
        "subscriber",
        "alerts_signup",
        "ann@example.org",
        consent=("alerts",),
    )


def reply_to(original: Received, subject: str, body: str = "", **headers: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Ann <ann@example.org>"
    mail["To"] = original.mail["Reply-To"]
    mail["Subject"] = subject
    mail["In-Reply-To"] = original.mail["Message-ID"]
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body or "> " + original.text.replace("\n", "\n> "))
    return mail


@pytest.mark.parametrize(
    ("text", "languages", "says"),
    [
        ("unsubscribe", ("en",), True),
        ("Re: UNSUBSCRIBE", ("en",), True),
        ("RE: re:  Unsubscribe ", ("en",), True),
        ("AW: Abmelden", ("de",), True),
        ("AW: Abmelden", ("en",), False),
        ("Désabonner", ("fr",), True),
        ("Re[3]: unsubscribe!", ("en",), True),
        ("\uff35\uff4e\uff53\uff55\uff42\uff53\uff43\uff52\uff49\uff42\uff45", ("en",), True),
        ("please don't unsubscribe me", ("en",), False),
        ("Re: Our spring news", ("en",), False),
        ("", ("en",), False),
        ("unsubscribe\x00", ("en",), True),
    ],
)
def test_unsubscribe_is_read_in_the_statements_languages(
    text: str, languages: tuple[str, ...], says: bool
) -> None:
    assert says_unsubscribe(text, languages) is says, normalised(text)


def test_a_reply_re_unsubscribe_over_smtp_suppresses_the_next_newsletter(
    mail: Mail, listener: Callable[..., Listener]
) -> None:
    world = mail("estara")
    running = listener(world)
    ann = subscriber(world)
    original = newsletter(world, ann)
    refused = running.send(reply_to(original, "Re: UNSUBSCRIBE"), original.mail["Reply-To"])
    assert refused == {}
    with world.ledger.reading() as tx:
        [event] = [e for e in consents.history(tx, ann) if e.kind == "withdrawn"]
        [reply] = outbox_rows.replies_of(tx, "estara")
    assert (event.choice, event.method) == ("alerts", "reply_email")  # ES-15: with its method
    assert (reply.kind, reply.text) == ("unsubscribe", None)
    with pytest.raises(NotAllowed), world.ledger.transaction() as tx:
        messaging.queue(tx, ann, "alerts", "notice", context=NEWS)


def test_the_first_line_counts_and_the_from_header_does_not(
    mail: Mail, listener: Callable[..., Listener]
) -> None:
    world = mail("estara")
    running = listener(world)
    ann = subscriber(world)
    original = newsletter(world, ann)
    # Matched by the token of the address it went to, though From is someone else.
    reply = reply_to(original, "Re: Our spring news", "  Unsubscribe\n\n> quoted")
    reply.replace_header("From", "someone.else@example.net")
    assert running.send(reply, original.mail["Reply-To"]) == {}
    with world.ledger.reading() as tx:
        assert [e.method for e in consents.history(tx, ann) if e.kind == "withdrawn"] == [
            "reply_email"
        ]


def test_mail_naming_no_genuine_message_is_refused_and_kept_nowhere(
    mail: Mail, listener: Callable[..., Listener]
) -> None:
    world = mail("estara")
    running = listener(world)
    ann = subscriber(world)
    original = newsletter(world, ann)
    forged = original.mail["Reply-To"].replace("reply+1-", "reply+2-")
    for to in (forged, "reply@mail.keepfaith.test"):
        bogus = reply_to(original, "unsubscribe")
        del bogus["In-Reply-To"]
        with pytest.raises(smtplib.SMTPDataError) as refused:
            running.send(bogus, to)
        assert refused.value.smtp_code == 550
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        running.send(reply_to(original, "unsubscribe"), "ann@elsewhere.example")  # no relay
    with world.ledger.reading() as tx:
        assert outbox_rows.replies_of(tx) == []
        assert [e.kind for e in consents.history(tx, ann)] == ["given"]


def test_other_replies_are_kept_for_staff(mail: Mail, listener: Callable[..., Listener]) -> None:
    world = mail("estara")
    running = listener(world)
    original = newsletter(world, subscriber(world))
    running.send(
        reply_to(original, "Re: Our spring news", "When is the next event?"),
        original.mail["Reply-To"],
    )
    with world.ledger.reading() as tx:
        [reply] = outbox_rows.replies_of(tx, "estara")
    assert reply.kind == "kept" and "When is the next event?" in (reply.text or "")


def test_other_replies_can_be_forwarded_and_are_not_kept(
    mail: Mail, listener: Callable[..., Listener]
) -> None:
    world = mail("estara")
    running = listener(
        world, KEEPFAITH_MAIL_REPLIES="forward", KEEPFAITH_MAIL_FORWARD_TO="desk@estara.example"
    )
    original = newsletter(world, subscriber(world))
    running.send(reply_to(original, "Re: news", "A question for you"), original.mail["Reply-To"])
    forwarded = world.sink.wait_for(2)[-1]
    assert forwarded.recipients == ("desk@estara.example",)
    assert "A question for you" in forwarded.text
    with world.ledger.reading() as tx:
        [reply] = outbox_rows.replies_of(tx, "estara")
    assert (reply.kind, reply.text) == ("forwarded", None)


def test_a_bounce_marks_the_message_and_suppresses_the_address(
    mail: Mail, listener: Callable[..., Listener]
) -> None:
    world = mail("estara")
    running = listener(world)
    ann = subscriber(world)
    original = newsletter(world, ann)
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@example.org"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce.set_content("Reporting-MTA: dns; mx.example.org\n\nStatus: 5.1.1\nAction: failed\n")
    assert running.send(bounce, original.sender) == {}
    with world.ledger.reading() as tx:
        [sent] = outbox_rows.latest(tx, "estara")
    assert sent.status == "bounced"
    # The next message of any purpose to that address is withheld.
    with world.ledger.transaction() as tx:
        queued = messaging.queue(tx, ann, "alerts", "notice", context=NEWS)
    world.work()
    with world.ledger.reading() as tx:
        assert outbox_rows.get(tx, queued.id).status == "withheld"
    assert len(world.sink.received) == 1


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x00\x00",
        b"Subject: =?utf-8?q?broken\r\n\r\n\xff\xfe body",
        b"Subject: " + b"x" * 100_000 + b"\r\n\r\nunsubscribe",
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
        b"In-Reply-To: <1-" + b"f" * 5000 + b"@mail.keepfaith.test>\r\n\r\nunsubscribe",
    ],
    ids=["empty", "nul", "bad-encoding", "huge-subject", "bad-mime", "huge-token"],
)
def test_malformed_mail_is_answered_plainly_and_changes_nothing(mail: Mail, data: bytes) -> None:
    from keepfaith.messaging import listen

    world = mail("estara")
    ann = subscriber(world)
    done = listen.receive(world.ledger, world.settings, ["reply@mail.keepfaith.test"], data)
    assert done.kind == "refused" and done.answer.startswith("550")
    with world.ledger.reading() as tx:
        assert outbox_rows.replies_of(tx) == []
        assert [e.kind for e in consents.history(tx, ann)] == ["given"]


def test_a_malformed_reply_to_a_genuine_message_is_kept_not_acted_on(mail: Mail) -> None:
    from keepfaith.messaging import listen

    world = mail("estara")
    original = newsletter(world, subscriber(world))
    data = b"Subject: =?utf-8?b?!!!?=\r\nContent-Type: text/plain; charset=nope\r\n\r\n\xff\x00hi"
    done = listen.receive(world.ledger, world.settings, [original.mail["Reply-To"]], data)
    assert done.kind == "kept" and done.answer.startswith("250")
