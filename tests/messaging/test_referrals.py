"""Addresses given by someone else: "email this page" keeps nothing (PA-10); a referral
keeps the friend for one purpose until they follow the removal link (EZ-03)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa

from keepfaith.exceptions import InvalidSubmission, Refused
from keepfaith.ledger import Ledger, records, subjects
from keepfaith.messaging import referrals
from tests.messaging.conftest import World

Mail = Callable[..., World]
Web = Callable[[World], httpx.Client]
FRIEND = "friend.unique.zq7731w@example.org"


def every_stored_byte(ledger: Ledger) -> bytes:
    """Everything the database holds: the files (and their WAL) on SQLite, every row of
    every table of the schema (jobs, audit and outbox included) on PostgreSQL."""
    url = ledger.engine.url
    if url.get_backend_name() == "sqlite":
        from pathlib import Path

        path = Path(url.database or "")
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    chunks = []
    with ledger.engine.connect() as connection:
        names = sa.inspect(connection).get_table_names()
        for name in names:
            chunks.append(repr(connection.execute(sa.text(f'SELECT * FROM "{name}"')).all()))
    return "".join(chunks).encode()


def test_email_this_page_sends_once_and_no_copy_of_the_address_survives(mail: Mail) -> None:
    world = mail("parature")
    sent = referrals.email_page(
        world.ledger,
        world.settings,
        "parature",
        "email_this_page",
        friend=FRIEND,
        sender="Zebulon Quartermain",
        page_url="/t/parature/",
    )
    [arrived] = world.sink.wait_for(1)
    assert arrived.recipients == (FRIEND,)
    assert "Zebulon Quartermain" in arrived.text and "/t/parature/" in arrived.text
    assert (sent.status, sent.clauses) == ("sent", ("PA-10",))
    stored = every_stored_byte(world.ledger).lower()
    for needle in (FRIEND, "friend.unique", "zq7731w", "zebulon", "quartermain"):
        assert needle.encode() not in stored, needle
    assert b"email_this_page" in stored  # the scan does see what was stored


@pytest.mark.parametrize(
    ("friend", "sender", "page"),
    [
        ("not an address", "Zeb", "/t/parature/"),
        (FRIEND, "", "/t/parature/"),
        (FRIEND, "Zeb\x00", "/t/parature/"),
        (FRIEND, "Z" * 101, "/t/parature/"),
        (FRIEND, "Zeb", "https://evil.example/phish"),
        (FRIEND, "Zeb", "//evil.example/"),
    ],
)
def test_email_this_page_refuses_bad_input_and_sends_nothing(
    mail: Mail, friend: str, sender: str, page: str
) -> None:
    world = mail("parature")
    with pytest.raises((InvalidSubmission, Refused)):
        referrals.email_page(
            world.ledger,
            world.settings,
            "parature",
            "email_this_page",
            friend=friend,
            sender=sender,
            page_url=page,
        )
    assert world.sink.received == []


def refer(world: World, friend: str = FRIEND) -> referrals.Referral:
    with world.ledger.transaction() as tx:
        return referrals.refer(
            tx,
            world.settings,
            "eztalks",
            "referral",
            friend=friend,
            friend_name="Fran Friend",
            referrer_name="Ann",
        )


def test_a_referred_friend_gets_one_email_and_can_have_themselves_removed(
    mail: Mail, web: Web
) -> None:
    world = mail("eztalks")
    client = web(world)
    made = refer(world)
    again = refer(world, FRIEND.upper())  # the same friend: no second email
    assert again.id == made.id
    world.work()
    [arrived] = world.sink.wait_for(1)
    assert "Ann invites you" in arrived.mail["Subject"] and arrived.recipients == (FRIEND,)
    with world.ledger.reading() as tx:
        friend = subjects.get(tx, "eztalks", made.subject_id or 0)
        held = records.of(tx, friend)
        assert friend.kind == "referred_friend"
        assert {r.category for r in held} == {"user.contact.email", "user.name"}
        assert {p for r in held for p in r.purposes} == {"inform_on_request"}  # one purpose
        assert referrals.programme(tx, "eztalks") == {"referred": 1, "sent": 1, "removed": 0}
    path = re.search(r"https://privacy\.keepfaith\.test(/t/eztalks/referrals/\S+)", arrived.text)
    assert path is not None
    assert client.get(path.group(1)).status_code == 200
    assert client.post(path.group(1)).status_code == 200
    assert client.post(path.group(1)).status_code == 200  # idempotent
    with world.ledger.reading() as tx:
        assert records.of(tx, friend) == []
        assert referrals.programme(tx, "eztalks") == {"referred": 1, "sent": 1, "removed": 1}
    with pytest.raises(Refused):
        refer(world)  # nobody can refer them again
    forged = path.group(1)[:-1] + ("0" if path.group(1)[-1] != "0" else "1")
    assert client.post(forged).status_code == 401


def test_email_this_page_over_http_sends_once_and_refuses_bad_fields(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    path = "/api/t/parature/email-this-page/email_this_page"
    form = {"friend_email": FRIEND, "your_name": "Zeb", "page_url": "/t/parature/"}
    answer = client.post(path, data=form)
    assert answer.status_code == 200 and answer.json() == {"status": "sent", "clauses": ["PA-10"]}
    assert world.sink.wait_for(1)[0].recipients == (FRIEND,)
    bad = client.post(path, data={**form, "friend_email": "nope"})
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["friend_email"]
    assert "nope" not in bad.text
    offsite = client.post(path, data={**form, "page_url": "https://evil.example/"})
    assert offsite.status_code == 422 and list(offsite.json()["errors"]) == ["page_url"]
    other_point = client.post("/api/t/parature/email-this-page/registration", data=form)
    assert other_point.status_code == 409
    assert len(world.sink.received) == 1
