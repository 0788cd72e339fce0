"""The SMTP client: the only code in keepfaith that hands mail to a relay.

aiosmtplib opens each session: the connection, TLS (``smtp_security``), EHLO and AUTH.
Its client waits for every reply before the next command, so once a session is open
keepfaith reads the replies itself: when the relay offers PIPELINING (RFC 2920) a
message's ``MAIL FROM``, ``RCPT TO`` and ``DATA`` go out in one write and their replies
are read in order; the session is then reused for message after message.

A message is sent in two steps so that the outbox can record, between them, that it is
about to be handed over: ``begin`` sends the envelope and the body but not the final
dot (a relay discards a message whose connection drops before it), and ``finish`` sends
the dot and reads the relay's verdict. See ``keepfaith.messaging.delivery``.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from dataclasses import dataclass

from keepfaith.messaging.compose import Envelope
from keepfaith.settings import Settings

_LINE_ENDINGS = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class Reply:
    """One reply of the relay: its code and text."""

    code: int
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 400

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()[:500]


class SMTPFailure(Exception):
    """A message, or the session, failed: ``temporary`` ones are tried again later."""

    def __init__(self, reason: str, *, temporary: bool, reply: Reply | None = None) -> None:
        super().__init__(reason)
        self.temporary = temporary
        self.reply = reply


class _Replies(asyncio.Protocol):
    """Reads the relay's replies, however they are split into packets, in order."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.replies: deque[Reply] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.lost = False

    def data_received(self, data: bytes) -> None:
        self.buffer.extend(data)
        lines: list[bytes] = []
        while (end := self.buffer.find(b"\n")) != -1:
            line = bytes(self.buffer[: end + 1]).rstrip(b"\r\n")
            del self.buffer[: end + 1]
            lines.append(line)
            if line[3:4] != b"-":  # the last line of a reply
                self.replies.append(_parse(lines))
                lines = []
        if lines:  # a reply cut in the middle: keep its lines for the next packet
            self.buffer[:0] = b"".join(line + b"\r\n" for line in lines)
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def next(self, timeout: float) -> Reply:
        while not self.replies:
            if self.lost:
                raise SMTPFailure("the relay closed the connection", temporary=True)
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self.waiter, timeout)
            except TimeoutError:
                raise SMTPFailure("the relay did not answer in time", temporary=True) from None
        return self.replies.popleft()


def _parse(lines: list[bytes]) -> Reply:
    try:
        code = int(lines[-1][:3])
    except ValueError:
        raise SMTPFailure("the relay sent a reply that is not SMTP", temporary=True) from None
    text = " ".join(line[4:].decode("utf-8", "replace").strip() for line in lines)
    return Reply(code, text)


class Connection:
    """One session with the relay, reused for message after message."""

    def __init__(
        self,
        transport: asyncio.WriteTransport,
        replies: _Replies,
        extensions: set[str],
        timeout: float,
    ) -> None:
        self.transport = transport
        self.replies = replies
        self.pipelining = "pipelining" in extensions
        self.smtputf8 = "smtputf8" in extensions
        self.timeout = timeout
        self.in_message = False

    @classmethod
    async def open(cls, settings: Settings, local_hostname: str) -> Connection:
        """A new session with the relay the settings name (TLS and AUTH as they say)."""
        import aiosmtplib

        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            username=settings.smtp_username or None,
            password=settings.smtp_password.get_secret_value() or None,
            timeout=settings.smtp_timeout,
            local_hostname=local_hostname,
        )
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:
                await client.ehlo()
        except aiosmtplib.SMTPAuthenticationError as error:
            raise SMTPFailure(
                f"the relay refused the login: {error.code}", temporary=False
            ) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            reason = f"cannot open a session with the relay: {type(error).__name__}"
            raise SMTPFailure(reason, temporary=True) from None
        extensions = {name.lower() for name in client.esmtp_extensions}
        transport = client.transport
        assert isinstance(transport, asyncio.WriteTransport)
        replies = _Replies()
        # From here on keepfaith reads the replies: aiosmtplib's protocol reads one per command.
        transport.set_protocol(replies)
        return cls(transport, replies, extensions, settings.smtp_timeout)

    @property
    def usable(self) -> bool:
        return not self.replies.lost and not self.transport.is_closing()

    async def begin(self, envelope: Envelope) -> None:
        """Send the envelope and the body, all but the final dot; ``SMTPFailure`` if the
        relay refuses the sender, the recipient or the data (the session stays usable)."""
        utf8 = not (envelope.sender + envelope.recipient).isascii()
        if utf8 and not self.smtputf8:
            raise SMTPFailure("the relay cannot take an address outside ASCII", temporary=False)
        options = b" SMTPUTF8" if utf8 else b""
        commands = [
            b"MAIL FROM:<" + envelope.sender.encode() + b">" + options,
            b"RCPT TO:<" + envelope.recipient.encode() + b">",
            b"DATA",
        ]
        if self.pipelining:
            self._write(b"".join(command + b"\r\n" for command in commands))
            replies = [await self._reply() for _ in commands]
        else:
            replies = []
            for command in commands:
                self._write(command + b"\r\n")
                replies.append(await self._reply())
                if not replies[-1].ok:
                    break
        refused = next((reply for reply in replies if not reply.ok), None)
        if refused is not None:
            if replies[-1].code == 354:  # DATA was accepted although a command before failed
                self._write(b".\r\n")
                await self._reply()
            await self.reset()
            raise SMTPFailure(str(refused), temporary=refused.temporary, reply=refused)
        body = _LEADING_DOT.sub(b"..", _LINE_ENDINGS.sub(b"\r\n", envelope.data))
        self._write(body if body.endswith(b"\r\n") else body + b"\r\n")
        self.in_message = True

    async def finish(self) -> Reply:
        """Send the final dot and return the relay's verdict on the message."""
        self._write(b".\r\n")
        self.in_message = False
        return await self._reply()

    async def reset(self) -> None:
        self._write(b"RSET\r\n")
        await self._reply()

    def abort(self) -> None:
        """Drop the session: a message begun but not finished is discarded by the relay."""
        self.transport.abort()

    async def close(self) -> None:
        if self.usable and not self.in_message:
            try:
                self._write(b"QUIT\r\n")
                await self._reply()
            except SMTPFailure:
                pass
        self.transport.close()

    def _write(self, data: bytes) -> None:
        if not self.usable:
            raise SMTPFailure("the relay closed the connection", temporary=True)
        self.transport.write(data)

    async def _reply(self) -> Reply:
        return await self.replies.next(self.timeout)


async def send_once(settings: Settings, envelope: Envelope) -> Reply:
    """Hand one envelope to the relay on a session of its own (a forwarded reply)."""
    from keepfaith.messaging.compose import domain_of

    connection = await Connection.open(settings, domain_of(settings))
    try:
        await connection.begin(envelope)
        reply = await connection.finish()
    finally:
        await connection.close()
    if not reply.ok:
        raise SMTPFailure(str(reply), temporary=reply.temporary, reply=reply)
    return reply
