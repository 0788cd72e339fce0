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
    if settings.mail_domain:
        return settings.mail_domain
    sender = email.utils.parseaddr(settings.mail_from)[1]
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
    mail = EmailMessage(policy=POLICY)
    _header(mail, "From", settings.mail_from)
    _header(mail, "To", to)
    _header(mail, "Subject", rendered.subject)
    _header(mail, "Date", email.utils.format_datetime(now))
    _header(mail, "Message-ID", links.message_id_header(secret, message_id, domain))
    _header(mail, "Reply-To", links.address(secret, "reply", message_id, domain))
    if promotional:
        url = links.unsubscribe_url(settings.public_url, secret, tenant, message_id)
        mailto = links.address(secret, "unsubscribe", message_id, domain)
        _header(mail, "List-Unsubscribe", f"<{url}>, <mailto:{mailto}?subject=unsubscribe>")
        _header(mail, "List-Unsubscribe-Post", ONE_CLICK)
    mail.set_content(rendered.text)
    if rendered.html is not None:
        mail.add_alternative(rendered.html, subtype="html")
    data = mail.as_bytes()
    if settings.dkim_domain:
        data = sign(settings, data)
    return Envelope(links.address(secret, "bounce", message_id, domain), to, data)


def _header(mail: EmailMessage, name: str, value: str) -> None:
    """Set a header; a plain ASCII value of one line is stored as it is (parsing every
    header costs more than the rest of composing), anything else is parsed and encoded."""
    if value.isascii() and value.isprintable() and len(value) < 900:
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
