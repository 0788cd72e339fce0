"""Requests by email to ``requests+<tenant>@``, through ``keepfaith mail listen``."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from keepfaith import rights
from keepfaith.ledger.cases import Kind, State, listing
from keepfaith.rights.mail_intake import kind_named
from tests.messaging.conftest import World
from tests.messaging.test_listen import Listener, listener  # noqa: F401  (the fixture)
from tests.rights.conftest import code_sent

Mail = Callable[..., World]
ADDRESS = "ann@example.com"
TO = "requests+eztalks@mail.keepfaith.test"


def request(subject: str, body: str = "", sender: str = f"Ann <{ADDRESS}>") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = TO
    mail["Subject"] = subject
    mail.set_content(body or "Thank you.")
    return mail


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Delete my data", Kind.DELETE),
        ("RE: please ERASE everything", Kind.DELETE),
        ("Remove my data", Kind.DELETE),
        ("I want a copy of my data", Kind.ACCESS),
        ("Subject access request", Kind.ACCESS),
        ("Do you hold data about me?", Kind.KNOW),
        ("Please correct my address", Kind.CORRECT),
        ("Data portability", Kind.PORTABILITY),
        ("Complaint about your emails", Kind.COMPLAINT),
        ("Hello there", None),
        ("Deleted scenes\x00", None),
        ("", None),
    ],
)
def test_the_subject_names_the_kind(text: str, kind: Kind | None) -> None:
    assert kind_named(text) == kind


def test_a_request_by_email_is_opened_and_verified_like_any_other(
    mail: Mail,
    listener: Callable[..., Listener],  # noqa: F811
) -> None:
    world = mail("eztalks")
    running = listener(world)
    running.send(request("Delete my data"), TO)
    with world.ledger.reading() as tx:
        (case,) = listing(tx, "eztalks")
    assert (case.kind, case.state, case.channel) == (Kind.DELETE, State.UNVERIFIED, "email")
    # The listener (another process) queued the code on the wall clock: catch up to it.
    world.ledger.clock.now = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)  # type: ignore[attr-defined]
    code = code_sent(world, ADDRESS)  # the code went to the From address, and only there
    with world.ledger.transaction() as tx:
        assert rights.verify(tx, world.settings, "eztalks", case.id, code).verified
    # Writing again merges into the same request; it does not open a second.
    running.send(request("Re: delete my data"), TO)
    with world.ledger.reading() as tx:
        assert [c.id for c in listing(tx, "eztalks")] == [case.id]


@pytest.mark.parametrize(
    ("to", "subject", "sender", "code"),
    [
        (TO, "Hello there", f"Ann <{ADDRESS}>", 550),  # no kind named
        ("requests+nobody@mail.keepfaith.test", "Delete my data", ADDRESS, 550),
        (TO, "Delete my data", "not an address", 550),
    ],
)
def test_mail_that_asks_nothing_clear_is_refused_and_opens_nothing(
    mail: Mail,
    listener: Callable[..., Listener],  # noqa: F811
    to: str,
    subject: str,
    sender: str,
    code: int,
) -> None:
    world = mail("eztalks")
    running = listener(world)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        running.send(request(subject, sender=sender), to)
    assert refused.value.smtp_code == code
    with world.ledger.reading() as tx:
        assert listing(tx, "eztalks") == []


def test_a_complaint_by_email_starts_its_clock_with_the_mails_text(
    mail: Mail,
    listener: Callable[..., Listener],  # noqa: F811
) -> None:
    """ES-19: complaints go to the company first, by email too; the clock starts at once."""
    world = mail("estara")
    running = listener(world)
    to = "requests+estara@mail.keepfaith.test"
    running.send(request("Complaint", "You kept mailing me after I said stop."), to)
    with world.ledger.reading() as tx:
        (case,) = listing(tx, "estara", kind=Kind.COMPLAINT.value)
    assert (case.state, case.channel, case.identity) == (State.OPEN, "email", ADDRESS)
    assert "kept mailing me" in case.details["text"] and case.due_at is not None
    assert case.due_at - case.received_at == dt.timedelta(days=10)  # eStara's 10 days
    # eztalks declares no complaints procedure: the word is not a kind there.
    with pytest.raises(smtplib.SMTPDataError) as refused:
        running.send(request("Complaint"), TO)
    assert refused.value.smtp_code == 550
