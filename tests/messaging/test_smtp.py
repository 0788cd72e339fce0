"""SMTP out: pipelining where the relay offers it, one session for many messages, DKIM."""

from __future__ import annotations

import asyncio
import base64
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from keepfaith import messaging
from keepfaith.ledger import Keyring
from keepfaith.ledger import messages as outbox_rows
from keepfaith.messaging.delivery import Selection, deliver
from tests.conftest import EXAMPLES
from tests.ledger.support import KEY, open_ledger
from tests.messaging.conftest import World, mail_settings, person

Mail = Callable[..., World]
NEWS = {"title": "News", "text": "Three new features."}


class StrictPipeliningRelay:
    """A relay that answers a transaction's MAIL, RCPT and DATA only once it has all
    three: a client that waits for each reply before the next command hangs."""

    def __init__(self) -> None:
        self.transactions = 0
        self.sessions = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.port = 0

    def __enter__(self) -> StrictPipeliningRelay:
        threading.Thread(target=self._run, daemon=True).start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _run(self) -> None:
        server = self._loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.close()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.sessions += 1
        writer.write(b"220 strict.test ESMTP\r\n")
        await reader.readline()  # EHLO
        writer.write(b"250-strict.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        while True:
            first = await reader.readline()
            if not first or first.upper().startswith(b"QUIT"):
                writer.write(b"221 bye\r\n")
                break
            rcpt, data = await reader.readline(), await reader.readline()
            assert first.startswith(b"MAIL FROM:") and rcpt.startswith(b"RCPT TO:")
            assert data.strip() == b"DATA"
            writer.write(b"250 sender ok\r\n250 recipient ok\r\n354 go ahead\r\n")
            while (await reader.readline()) != b".\r\n":
                pass
            self.transactions += 1
            writer.write(b"250 queued\r\n")
        await writer.drain()
        writer.close()


@pytest.fixture
def strict() -> Iterator[StrictPipeliningRelay]:
    with StrictPipeliningRelay() as relay:
        yield relay


def test_commands_are_pipelined_and_one_session_carries_many_messages(
    database_url: str, strict: StrictPipeliningRelay
) -> None:
    ledger, _ = open_ledger(
        database_url, [EXAMPLES / "starclicks" / "statement.yaml"], keys=Keyring({"k1": KEY})
    )
    settings = mail_settings(database_url, strict.port, smtp_connections=1, smtp_timeout=5)
    people = [
        person(ledger, "starclicks", "customer", "registration", f"bea{number}@example.org")
        for number in range(5)
    ]
    with ledger.transaction() as tx:
        ids = [
            messaging.queue(tx, p, "technical_bulletins", "notice", context=NEWS).id for p in people
        ]
    counts = deliver(ledger, settings, Selection(tuple(ids)))
    assert counts.get("sent") == 5 and strict.transactions == 5
    assert strict.sessions == 1  # one connection, reused
    ledger.close()


def test_a_relay_without_pipelining_gets_one_command_at_a_time(mail: Mail) -> None:
    world = mail("starclicks")
    world.sink.pipelining = False
    bea = person(world.ledger, "starclicks", "customer", "registration", "bea@example.org")
    with world.ledger.transaction() as tx:
        messaging.queue(tx, bea, "technical_bulletins", "notice", context=NEWS)
    world.work()
    assert len(world.sink.wait_for(1)) == 1


@pytest.fixture
def dkim_key(tmp_path: Path) -> tuple[Path, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def test_dkim_signs_every_message_and_covers_the_unsubscribe_headers(
    mail: Mail, dkim_key: tuple[Path, bytes]
) -> None:
    path, record = dkim_key
    world = mail("parature", dkim_domain="keepfaith.test", dkim_selector="kf", dkim_key_file=path)
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
    [arrived] = world.sink.wait_for(1)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"kf._domainkey.keepfaith.test."
        return record

    assert dkim.verify(arrived.data, dnsfunc=dns)
    signature = arrived.mail["DKIM-Signature"]
    signed = re.search(r"h=([^;]+)", signature.replace("\r\n", "").replace(" ", ""))
    assert signed is not None
    covered = signed.group(1).lower().split(":")
    assert "list-unsubscribe" in covered and "list-unsubscribe-post" in covered
    tampered = re.sub(rb"(List-Unsubscribe: <https://)[^/]+", rb"\1evil.example", arrived.data)
    assert tampered != arrived.data and not dkim.verify(tampered, dnsfunc=dns)


def test_an_unreachable_relay_leaves_the_message_queued_for_the_retry(mail: Mail) -> None:
    world = mail("starclicks", smtp_port=1)  # nothing listens there
    bea = person(world.ledger, "starclicks", "customer", "registration", "bea@example.org")
    with world.ledger.transaction() as tx:
        queued = messaging.queue(tx, bea, "technical_bulletins", "notice", context=NEWS)
    world.work()
    with world.ledger.reading() as tx:
        waiting = outbox_rows.get(tx, queued.id)
    assert waiting.status == "queued" and waiting.attempts == 0
