"""Helpers of the mail clauses' conformance tests: a person, a message, its one-click link.

The fixtures (``mail``: a ledger with settings sending to a real SMTP sink on loopback;
``web``: a client of the web app over it) come from ``tests/messaging/conftest.py``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from keepfaith import messaging
from keepfaith.ledger import Subject
from keepfaith.statement.render import render_markdown
from tests.messaging.conftest import World, person
from tests.messaging.sink import Received

NEWS = {"title": "News", "text": "What is new this month."}


def customer(
    world: World, tenant: str, kind: str, point: str, email: str, *consent: str
) -> Subject:
    return person(world.ledger, tenant, kind, point, email, consent=consent)


def send(world: World, subject: Subject, purpose: str, context: dict[str, str] = NEWS) -> Received:
    """Queue one message through the outbox, run the worker, and return what arrived."""
    with world.ledger.transaction(actor="company") as tx:
        messaging.queue(tx, subject, purpose, "notice", context=context)
    before = len(world.sink.received)
    world.work()
    return world.sink.wait_for(before + 1)[-1]


def one_click_path(received: Received) -> str:
    header = received.mail["List-Unsubscribe"]
    assert header is not None, "no List-Unsubscribe header"
    return urlsplit(header[1 : header.index(">")]).path


def one_click(client: httpx.Client, received: Received) -> httpx.Response:
    """What a mail client does for RFC 8058: POST the form, no login, no cookie."""
    return client.post(
        one_click_path(received),
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def assert_carries_a_working_opt_out(
    world: World, received: Received, client: httpx.Client
) -> None:
    """The headers of RFC 8058, a visible link equal to the header's, the statement's own
    opt-out words (the same as on its page), and a POST to the link that works."""
    assert received.mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "mailto:unsubscribe+" in received.mail["List-Unsubscribe"]
    link = received.mail["List-Unsubscribe"][1 : received.mail["List-Unsubscribe"].index(">")]
    assert f"Unsubscribe: {link}" in received.text
    statement = world.statements[0]
    page = " ".join(render_markdown(statement).split())
    footer = received.text.rsplit("--", 1)[1].strip().splitlines()[0]
    ways = footer.split(": ", 1)[1].rstrip(".")
    for way in ways.replace(" and ", ", ").split(", "):
        assert way.lower() in page.lower(), way
    assert one_click(client, received).status_code == 200
