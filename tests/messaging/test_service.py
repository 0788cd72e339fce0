"""Service mail apart from marketing (SC-07, PA-29): it reaches active customers after a
marketing opt-out, carries no unsubscribe, and stops when the account is closed."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from keepfaith import messaging
from keepfaith.exceptions import NotAllowed
from keepfaith.ledger import Status, subjects
from keepfaith.ledger import messages as outbox_rows
from keepfaith.messaging import campaigns
from tests.messaging.conftest import World, person

Mail = Callable[..., World]
Web = Callable[[World], httpx.Client]
NEWS = {"title": "Spring news", "text": "New features."}
NOTICE = {"title": "Planned maintenance", "text": "Sunday 02:00 UTC."}


def test_service_mail_reaches_an_active_customer_after_a_marketing_opt_out(
    mail: Mail, web: Web
) -> None:
    world = mail("parature")
    client = web(world)
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
    world.work()
    [news] = world.sink.wait_for(1)
    link = news.mail["List-Unsubscribe"]
    path = urlsplit(link[1 : link.index(">")]).path
    assert client.post(path, content=b"List-Unsubscribe=One-Click").status_code == 200
    with pytest.raises(NotAllowed), world.ledger.transaction() as tx:
        messaging.queue(tx, ann, "marketing_email", "notice", context=NEWS)
    with world.ledger.transaction() as tx:
        service = messaging.queue(tx, ann, "administrative_email", "notice", context=NOTICE)
    assert service.clauses == ("PA-17", "PA-29") and not service.promotional
    world.work()
    [_, arrived] = world.sink.wait_for(2)
    assert arrived.mail["Subject"] == "Planned maintenance"
    assert arrived.mail["List-Unsubscribe"] is None  # service mail carries no unsubscribe


def test_service_mail_stops_when_the_account_is_closed(mail: Mail) -> None:
    world = mail("parature")
    ann = person(world.ledger, "parature", "customer", "registration", "ann@example.org")
    bob = person(world.ledger, "parature", "customer", "registration", "bob@example.org")
    with world.ledger.transaction() as tx:
        queued = messaging.queue(tx, ann, "administrative_email", "notice", context=NOTICE)
        subjects.set_status(tx, ann, Status.DEACTIVATED)
    world.work()
    with world.ledger.reading() as tx:
        withheld = outbox_rows.get(tx, queued.id)
    assert withheld.status == "withheld" and "deactivated" in (withheld.outcome or "")
    with pytest.raises(NotAllowed, match="deactivated"), world.ledger.transaction() as tx:
        messaging.queue(tx, ann, "administrative_email", "notice", context=NOTICE)
    # A service campaign reaches the active customer only.
    with world.ledger.transaction() as tx:
        started = campaigns.start(
            tx, "parature", "administrative_email", "notice", batch_size=10, context=NOTICE
        )
    assert started.queued == 1
    world.work()
    assert [r.recipients for r in world.sink.wait_for(1)] == [("bob@example.org",)]
    assert bob.id != ann.id
