"""Composing a message: MIME headers and parts, keepfaith's addresses, a DKIM signature.

Every message has a Message-ID and a Reply-To that name it by signed token (replies come
back to ``keepfaith mail listen`` and are matched by them, never by their ``From``), and
an envelope sender that names it too, so a bounce marks the right message. A promotional
message also carries ``List-Unsubscribe`` (its HTTPS one-click link and a ``mailto:``)
and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058); with DKIM set up,
the signature covers both, as RFC 8058 asks.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import functools
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from keepfaith.exceptions import ConfigurationError
from keepfaith.messaging import links
from keepfaith.messaging.templates import Rendered
from keepfaith.settings import Settings

ONE_CLICK = "List-Unsubscribe=One-Click"
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"mime-version",
    b"content-type",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)
"""What the DKIM signature covers; RFC 8058 requires the two ``List-Unsubscribe`` fields."""
POLICY = email.policy.SMTP.clone(max_line_length=998)
"""CRLF line ends; header lines are not folded into encoded words below SMTP's limit, so
``List-Unsubscribe`` stays a plain list of links that mail clients read."""


@dataclass(frozen=True)
class Envelope:
    """What goes to the relay: the envelope sender, the recipient, and the message."""

    sender: str
    recipient: str
    data: bytes


def domain_of(settings: Settings) -> str:
    """The domain of keepfaith's own addresses: ``mail_domain``, or ``mail_from``'s."""
    return settings.mail_domain or _domain_of_sender(settings.mail_from)


@functools.lru_cache(maxsize=16)
def _domain_of_sender(mail_from: str) -> str:
    sender = email.utils.parseaddr(mail_from)[1]
    if "@" not in sender:
        raise ConfigurationError("mail_from must be set to an address to send mail")
    return sender.rpartition("@")[2]


def compose(
    settings: Settings,
    *,
    message_id: int,
    tenant: str,
    to: str,
    rendered: Rendered,
    promotional: bool,
    now: dt.datetime,
) -> Envelope:
    """The message ``message_id`` as the relay gets it."""
    if not settings.mail_from:
        raise ConfigurationError("mail_from must be set to send mail")
    domain, secret = domain_of(settings), settings.secret_key
    headers = [
        ("From", settings.mail_from),
        ("To", to),
        ("Subject", rendered.subject),
        ("Date", email.utils.format_datetime(now)),
        ("Message-ID", links.message_id_header(secret, message_id, domain)),
        ("Reply-To", links.address(secret, "reply", message_id, domain)),
    ]
    if promotional:
        url = links.unsubscribe_url(settings.public_url, secret, tenant, message_id)
        mailto = links.address(secret, "unsubscribe", message_id, domain)
        headers.append(("List-Unsubscribe", f"<{url}>, <mailto:{mailto}?subject=unsubscribe>"))
        headers.append(("List-Unsubscribe-Post", ONE_CLICK))
    data = _plain(headers, rendered) or _mime(headers, rendered)
    if settings.dkim_domain:
        data = sign(settings, data)
    return Envelope(links.address(secret, "bounce", message_id, domain), to, data)


def _mime(headers: list[tuple[str, str]], rendered: Rendered) -> bytes:
    """The message built by the standard library's ``email`` package."""
    mail = EmailMessage(policy=POLICY)
    for name, value in headers:
        _header(mail, name, value)
    mail.set_content(rendered.text)
    if rendered.html is not None:
        mail.add_alternative(rendered.html, subtype="html")
    return mail.as_bytes()


_LINE_BREAKS = frozenset("\r\x0b\x0c\x1c\x1d\x1e")
"""What ``str.splitlines`` breaks an ASCII text on besides ``\\n``."""


def _plain(headers: list[tuple[str, str]], rendered: Rendered) -> bytes | None:
    """The same bytes as ``_mime`` for the common message, written directly (the
    ``email`` package costs more than everything else the outbox does per message):
    plain ASCII headers of one line, and parts of ASCII text in lines that need no
    encoding. ``None`` for anything else, which ``_mime`` builds."""
    if not all(_is_plain(value) for _, value in headers):
        return None
    parts = [_part(rendered.text), None if rendered.html is None else _part(rendered.html)]
    if parts[0] is None or (rendered.html is not None and parts[1] is None):
        return None
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    text = 'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 7bit\r\n'
    if rendered.html is None:
        return f"{head}{text}MIME-Version: 1.0\r\n\r\n{parts[0]}".encode("ascii")
    boundary = "=" * 15 + f"{secrets.randbelow(10**19):019d}" + "=="
    if boundary in rendered.text or boundary in rendered.html:  # pragma: no cover - 1e-19
        return None
    html = 'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: 7bit\r\n'
    return (
        f"{head}MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\n{text}\r\n{parts[0]}\r\n"
        f"--{boundary}\r\n{html}MIME-Version: 1.0\r\n\r\n{parts[1]}\r\n"
        f"--{boundary}--\r\n"
    ).encode("ascii")


def _is_plain(value: str) -> bool:
    return value.isascii() and value.isprintable() and len(value) < 900


def _part(text: str) -> str | None:
    """A text part's body with CRLF line ends, if it goes as 7bit without any change."""
    if not text or not text.isascii() or not _LINE_BREAKS.isdisjoint(text):
        return None
    lines = text.splitlines()
    if any(len(line) > 998 for line in lines):
        return None
    return "\r\n".join(lines) + "\r\n"


def _header(mail: EmailMessage, name: str, value: str) -> None:
    """Set a header; a plain ASCII value of one line is stored as it is (parsing every
    header costs more than the rest of composing), anything else is parsed and encoded."""
    if _is_plain(value):
        mail.set_raw(name, value)
    else:
        mail[name] = value


def sign(settings: Settings, data: bytes) -> bytes:
    """``data`` with a DKIM-Signature (relaxed/simple, RSA-SHA256) prepended."""
    import dkim

    if not settings.dkim_selector or settings.dkim_key_file is None:
        raise ConfigurationError("DKIM needs dkim_selector and dkim_key_file with dkim_domain")
    key = _key(settings.dkim_key_file)
    present = {line.split(b":", 1)[0].strip().lower() for line in _header_lines(data)}
    headers = [name for name in SIGNED_HEADERS if name in present]
    signature = dkim.sign(
        data,
        settings.dkim_selector.encode(),
        settings.dkim_domain.encode(),
        key,
        include_headers=headers,
    )
    return bytes(signature) + data


@functools.lru_cache(maxsize=4)
def _key(path: Path) -> bytes:
    """The DKIM private key as dkimpy reads it: RSA in PKCS#1 PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        loaded = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"dkim_key_file {path} is not a readable PEM key") from error
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ConfigurationError("dkim_key_file must hold an RSA private key")
    return loaded.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _header_lines(data: bytes) -> list[bytes]:
    head = data.split(b"\r\n\r\n", 1)[0]
    return [line for line in head.split(b"\r\n") if line and line[:1] not in (b" ", b"\t")]
