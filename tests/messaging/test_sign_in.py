"""Privacy-center sign-in by emailed link: one answer for every address, bounded sends.

The person is made through the contact form over HTTP (so the app's ledger indexes
their address under the deployment's key), the link arrives at the loopback SMTP sink,
and following it opens their own page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import httpx
import pytest

from keepfaith import messaging
from keepfaith.ledger import sign_ins
from keepfaith.messaging import sign_in
from tests.conftest import PARATURE_CONTACT
from tests.ledger.support import Clock
from tests.messaging.conftest import World, person
from tests.web.conftest import form_token

Mail = Callable[..., World]
Web = Callable[[World], httpx.Client]
CENTER = "/t/parature/privacy-center"
LINK = re.compile(r"https://privacy\.keepfaith\.test(/t/parature/privacy-center\?token=\S+)")


def ask(client: httpx.Client, email: str) -> httpx.Response:
    token = form_token(client, CENTER)
    return client.post(f"{CENTER}/sign-in", data={"email": email, "csrf_token": token})


def made_person(client: httpx.Client) -> int:
    made = client.post("/api/t/parature/collect/contact_form", json={"fields": PARATURE_CONTACT})
    assert made.status_code == 201, made.text
    return int(made.json()["subject"])


def deliver(world: World) -> None:
    """Run the send jobs the app queued (on the wall clock) on the world's clock."""
    clock = world.ledger.clock
    assert isinstance(clock, Clock)
    clock.now = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    world.work()


def sent_count(world: World) -> int:
    with world.ledger.reading() as tx:
        rows = tx.connection.execute(sign_ins.sign_in_requests.select()).all()
    return sum(1 for row in rows if row.sent)


def test_a_known_address_gets_a_link_that_opens_the_persons_page(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    made_person(client)
    answer = ask(client, "  ANN@example.com ")  # another spelling of the same address
    assert answer.status_code == 200
    assert sign_in.ANSWER in answer.text
    deliver(world)
    [arrived] = world.sink.wait_for(1)
    assert [r.casefold() for r in arrived.recipients] == ["ann@example.com"]
    assert "privacy center" in arrived.mail["Subject"]
    found = LINK.search(arrived.text)
    assert found, arrived.text
    person = web(world)
    opened = person.get(found.group(1))
    assert opened.status_code == 303 and "token" not in opened.headers["location"]
    page = person.get(CENTER)
    assert 'id="your-choices"' in page.text and 'id="held"' in page.text
    assert "Email address" in page.text and "Contact" in page.text  # held, with its source
    assert sent_count(world) == 1


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_sent(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    made_person(client)
    known = ask(client, "ann@example.com")
    unknown = ask(client, "nobody@example.com")
    assert unknown.status_code == known.status_code == 200
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", unknown.text) == strip.sub("", known.text)
    deliver(world)
    assert [m.recipients for m in world.sink.wait_for(1)] == [("ann@example.com",)]
    assert sent_count(world) == 1
    assert "nobody" not in unknown.text


def test_links_are_bounded_per_address_and_per_client(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    made_person(client)
    answers = [ask(client, "ann@example.com") for _ in range(sign_in.PER_ADDRESS + 2)]
    assert {a.status_code for a in answers} == {200}
    assert all(sign_in.ANSWER in a.text for a in answers)
    assert sent_count(world) == sign_in.PER_ADDRESS
    # The same client asking for other addresses: past PER_CLIENT nothing is sent at all.
    for n in range(sign_in.PER_CLIENT):
        ask(client, f"other{n}@example.com")
    with world.ledger.reading() as tx:
        total = tx.connection.execute(sign_ins.sign_in_requests.select()).all()
    assert len(total) == sign_in.PER_ADDRESS + 2 + sign_in.PER_CLIENT
    assert sent_count(world) == sign_in.PER_ADDRESS


@pytest.mark.parametrize(
    "email", ["not an address", "a\x00b@example.com", "x" * 400 + "@example.com", "a@b\r\nBcc: c@d"]
)
def test_a_bad_address_is_refused_by_field_and_nothing_is_stored(
    mail: Mail, web: Web, email: str
) -> None:
    world = mail("parature")
    client = web(world)
    answer = ask(client, email)
    assert answer.status_code == 422
    assert "Email address" in answer.text or "email" in answer.text
    assert email not in answer.text
    with world.ledger.reading() as tx:
        assert tx.connection.execute(sign_ins.sign_in_requests.select()).all() == []


def test_stored_requests_hold_no_address_nor_client_address(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    ask(client, "ann@example.com")
    with world.ledger.reading() as tx:
        [row] = tx.connection.execute(sign_ins.sign_in_requests.select()).all()
    assert "ann" not in str(tuple(row)) and "127.0.0.1" not in str(tuple(row))


def test_every_message_to_a_person_links_their_privacy_center(mail: Mail) -> None:
    world = mail("parature")
    ann = person(world.ledger, "parature", "customer", "contact_form", "ann@example.com")
    with world.ledger.transaction() as tx:
        messaging.queue(
            tx, ann, "respond_to_requests", "notice", context={"title": "Hello", "text": "News."}
        )
    world.work()
    [arrived] = world.sink.wait_for(1)
    assert LINK.search(arrived.text), arrived.text  # not promotional: the footer still links
    assert "Unsubscribe" not in arrived.text


def test_the_link_comes_in_the_language_of_the_page(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    made_person(client)
    token = form_token(client, CENTER)
    asked = client.post(
        f"{CENTER}/sign-in",
        data={"email": "ann@example.com", "csrf_token": token},
        headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    assert asked.status_code == 200 and "Wenn uns diese Adresse bekannt ist" in asked.text
    deliver(world)
    [arrived] = world.sink.wait_for(1)
    assert "Datenschutzzentrale" in arrived.mail["Subject"]
    assert LINK.search(arrived.text)
