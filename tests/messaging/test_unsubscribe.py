"""Unsubscribing by the one-click link (RFC 8058): no login, at once, idempotent, lasting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa

from keepfaith import messaging
from keepfaith.exceptions import NotAllowed
from keepfaith.ledger import Subject, consents, subjects
from keepfaith.ledger import messages as outbox_rows
from keepfaith.ledger.messages import suppressions
from keepfaith.ledger.rows import ConsentKind
from tests.messaging.conftest import World, person

Mail = Callable[..., World]
Web = Callable[[World], httpx.Client]
NEWS = {"title": "Our spring news", "text": "Three new features."}


def subscriber(world: World, email: str = "ann@example.org") -> Subject:
    return person(
        world.ledger, "parature", "customer", "registration", email, consent=("marketing_email",)
    )


def send_news(world: World, subject: Subject) -> str:
    """Queue and send one newsletter; the path of its one-click link."""
    with world.ledger.transaction() as tx:
        messaging.queue(tx, subject, "marketing_email", "notice", context=NEWS)
    before = len(world.sink.received)
    world.work()
    arrived = world.sink.wait_for(before + 1)[-1]
    header = arrived.mail["List-Unsubscribe"]
    return urlsplit(header[1 : header.index(">")]).path


def one_click(client: httpx.Client, path: str) -> httpx.Response:
    """What a mail client sends for RFC 8058: a form POST, no cookies, nothing else."""
    return client.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def events(world: World, subject: Subject) -> list[tuple[str, str, str]]:
    with world.ledger.reading() as tx:
        return [(e.choice, e.kind, e.method) for e in consents.history(tx, subject)]


def suppression_rows(world: World) -> list[tuple[str, str]]:
    with world.ledger.engine.connect() as connection:
        return [
            (row.digest, row.purpose)
            for row in connection.execute(sa.select(suppressions.c.digest, suppressions.c.purpose))
        ]


def test_one_click_unsubscribes_with_no_login_and_the_next_message_is_refused(
    mail: Mail, web: Web
) -> None:
    world = mail("parature")
    client = web(world)
    ann = subscriber(world)
    path = send_news(world, ann)
    answer = one_click(client, path)
    assert answer.status_code == 200
    assert events(world, ann)[-1] == ("marketing_email", "withdrawn", "link")
    # At once: the very next message of the purpose is refused when queued...
    with pytest.raises(NotAllowed, match="withdrew"), world.ledger.transaction() as tx:
        messaging.queue(tx, ann, "marketing_email", "notice", context=NEWS)
    [(digest, purpose)] = suppression_rows(world)
    assert purpose == "marketing_email" and "ann" not in digest


def test_a_message_already_queued_is_withheld_after_the_click(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    ann = subscriber(world)
    path = send_news(world, ann)
    with world.ledger.transaction() as tx:
        queued = messaging.queue(tx, ann, "marketing_email", "notice", context=NEWS)
    assert one_click(client, path).status_code == 200
    world.work()
    with world.ledger.reading() as tx:
        assert outbox_rows.get(tx, queued.id).status == "withheld"
    assert len(world.sink.received) == 1


def test_unsubscribing_twice_changes_nothing_the_second_time(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    ann = subscriber(world)
    path = send_news(world, ann)
    first, second = one_click(client, path), one_click(client, path)
    assert (first.status_code, second.status_code) == (200, 200)
    assert "already unsubscribed" in second.text and "already" not in first.text
    withdrawn = [e for e in events(world, ann) if e[1] == "withdrawn"]
    assert len(withdrawn) == 1 and len(suppression_rows(world)) == 1


def test_the_link_page_shows_a_button_and_changes_nothing(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    ann = subscriber(world)
    path = send_news(world, ann)
    page = client.get(path)
    assert page.status_code == 200
    assert f'action="{path}"' in page.text and "<button" in page.text
    assert events(world, ann)[-1][1] == "given" and suppression_rows(world) == []
    # The page's own button posts the same form.
    pressed = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert pressed.status_code == 200 and "You are unsubscribed" in pressed.text


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("0" if token[-1] != "0" else "1"),
        lambda token: "9" + token,
        lambda token: token + "%00",
        lambda token: "é" * 40,
        lambda token: "1-" + "a" * 5000,
    ],
    ids=["altered", "other-message", "nul", "unicode", "huge"],
)
def test_a_forged_link_is_refused_and_changes_nothing(
    mail: Mail, web: Web, mangle: Callable[[str], str]
) -> None:
    world = mail("parature")
    client = web(world)
    ann = subscriber(world)
    path = send_news(world, ann)
    base, _, token = path.rpartition("/")
    answer = one_click(client, f"{base}/{mangle(token)}")
    assert answer.status_code in (401, 404, 422)
    assert events(world, ann)[-1][1] == "given" and suppression_rows(world) == []


def test_a_link_of_one_tenant_does_not_work_for_another(mail: Mail, web: Web) -> None:
    world = mail("parature", "starclicks")
    client = web(world)
    path = send_news(world, subscriber(world))
    answer = one_click(client, path.replace("/t/parature/", "/t/starclicks/"))
    assert answer.status_code == 401 and suppression_rows(world) == []


def test_an_erased_person_stays_unsubscribed(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    ann = subscriber(world)
    assert one_click(client, send_news(world, ann)).status_code == 200
    with world.ledger.transaction() as tx:
        outbox_rows.forget_subject(tx, "parature", ann.id)
        subjects.set_status(tx, ann, "deleted")
    # The same address comes back in an import, with the consent it carried then.
    again = person(world.ledger, "parature", "customer", "registration", "ANN@example.org")
    with world.ledger.transaction() as tx:
        consents.record(
            tx,
            again,
            "marketing_email",
            kind=ConsentKind.GIVEN,
            evidence={"via": "import"},
            at=world.ledger.clock() - dt.timedelta(days=30),
        )
        queued = messaging.queue(tx, again, "marketing_email", "notice", context=NEWS)
    world.work()
    with world.ledger.reading() as tx:
        withheld = outbox_rows.get(tx, queued.id)
    assert withheld.status == "withheld" and "suppression list" in (withheld.outcome or "")
    assert len(world.sink.received) == 1
