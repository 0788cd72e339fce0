"""A real SMTP server on loopback for the tests: aiosmtpd, recording what it accepts.

``Sink()`` listens on a free port of 127.0.0.1 in a thread of its own, advertises
PIPELINING (as most relays do), and keeps every message it accepted, envelope and bytes.
``answer`` decides the reply to each message's data (``"250 OK"`` by default), so a test
can make the relay refuse or defer; ``on_data`` runs as a message arrives, before the
reply goes back; ``on_rcpt`` as a recipient is given, before the message's data.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Received:
    """One message the sink accepted."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes

    @property
    def mail(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        body = self.mail.get_body(("plain",))
        assert body is not None
        return str(body.get_content())


class Sink:
    """An SMTP server that accepts mail on loopback and remembers it."""

    def __init__(
        self,
        *,
        pipelining: bool = True,
        answer: Callable[[Envelope], str] | None = None,
        on_data: Callable[[Envelope], None] | None = None,
        on_rcpt: Callable[[str], None] | None = None,
    ) -> None:
        self.pipelining = pipelining
        self.answer = answer or (lambda envelope: "250 OK")
        self.on_data = on_data
        self.on_rcpt = on_rcpt
        self.received: list[Received] = []
        self.refused: list[str] = []
        self.sessions = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    def __enter__(self) -> Sink:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the SMTP sink did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(self._loop.create_server(self._smtp, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())
        pending = asyncio.all_tasks(self._loop)
        for running in pending:
            running.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    def _smtp(self) -> SMTP:
        with self._lock:
            self.sessions += 1
        return SMTP(_Handler(self), hostname="sink.test", enable_SMTPUTF8=True)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Wait until ``count`` messages have arrived; all of them."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} messages arrived")
            time.sleep(0.02)
        return list(self.received)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.received if address in m.recipients]


class _Handler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> Any:
        session.host_name = hostname
        if self.sink.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.sink.on_rcpt is not None:
            self.sink.on_rcpt(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.sink.on_data is not None:
            self.sink.on_data(envelope)
        reply = self.sink.answer(envelope)
        if reply.startswith("2"):
            assert isinstance(envelope.original_content, bytes)
            self.sink.received.append(
                Received(
                    str(envelope.mail_from),
                    tuple(envelope.rcpt_tos),
                    bytes(envelope.original_content),
                )
            )
        else:
            self.sink.refused.append(reply)
        return reply
