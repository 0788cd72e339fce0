"""The tokens a message carries: in its unsubscribe link and address, its reply and bounce
addresses and its Message-ID.

Each names the message's id and proves it with an HMAC (``tokens.keyed_digest``, the one
home of signing) made for that one use, so a reply token never passes for an unsubscribe
link and no token can be made or altered without ``secret_key``. Tokens are lower-case
hex after the id, since mail systems may fold the case of an address's local part; they
never hold an address or a name, because links and addresses end up in logs and
histories.
"""

from __future__ import annotations

import re

from keepfaith.exceptions import InvalidToken
from keepfaith.ledger.crypto import tokens

SHORT = 20
"""Hex digits (80 bits) of proof in an address or a Message-ID."""
LONG = 32
"""Hex digits (128 bits) of proof in an unsubscribe link."""

_TOKEN = re.compile(r"^([1-9][0-9]{0,17})-([0-9a-f]{20,64})$")


def token(secret_key: str, use: str, message_id: int, length: int = SHORT) -> str:
    """``<id>-<proof>`` for one ``use`` (``reply``, ``bounce``, ``unsubscribe``...)."""
    proof = tokens.keyed_digest(secret_key, f"message.{use}", str(message_id))[:length]
    return f"{message_id}-{proof}"


def read(secret_key: str, use: str, value: str, length: int = SHORT) -> int:
    """The message id a token names; ``InvalidToken`` if it was forged, altered or made
    for another use."""
    found = _TOKEN.match(value.strip().lower()) if isinstance(value, str) else None
    if found is None:
        raise InvalidToken("the link is not valid")
    message_id, proof = int(found.group(1)), found.group(2)
    if not tokens.matches(proof, token(secret_key, use, message_id, length).split("-")[1]):
        raise InvalidToken("the link is not valid")
    return message_id


def unsubscribe_url(public_url: str, secret_key: str, tenant: str, message_id: int) -> str:
    """The one-click link (RFC 8058) of a message: a GET shows a button, a POST unsubscribes."""
    base = public_url.rstrip("/")
    return f"{base}/t/{tenant}/unsubscribe/{token(secret_key, 'link', message_id, LONG)}"


def read_unsubscribe(secret_key: str, value: str) -> int:
    """The message id of an unsubscribe link's token; ``InvalidToken`` if not genuine."""
    return read(secret_key, "link", value, LONG)


def address(secret_key: str, use: str, message_id: int, domain: str) -> str:
    """An address of ``domain`` that names the message: ``reply+12-ab12...@domain``."""
    return f"{use}+{token(secret_key, use, message_id)}@{domain}"


def message_id_header(secret_key: str, message_id: int, domain: str) -> str:
    """The Message-ID of a message, which replies quote in In-Reply-To and References."""
    return f"<{token(secret_key, 'message-id', message_id)}@{domain}>"


ADDRESS_USES = ("reply", "bounce", "unsubscribe")
_LOCAL = re.compile(r"^(reply|bounce|unsubscribe)\+([0-9]+-[0-9a-f]+)$")
_MESSAGE_ID = re.compile(r"<([0-9]+-[0-9a-f]+)@([^>]+)>")


def read_address(secret_key: str, value: str, domain: str) -> tuple[str, int] | None:
    """``(use, message id)`` of one of keepfaith's addresses of ``domain``, or ``None``
    when the address is not one (or its token is not genuine)."""
    local, _, at = value.strip().strip("<>").rpartition("@")
    if at.lower() != domain.lower():
        return None
    found = _LOCAL.match(local.lower())
    if found is None:
        return None
    try:
        return found.group(1), read(secret_key, found.group(1), found.group(2))
    except InvalidToken:
        return None


def read_message_ids(secret_key: str, header: str, domain: str) -> list[int]:
    """The ids of keepfaith's messages named in In-Reply-To or References (genuine only)."""
    found = []
    for value, at in _MESSAGE_ID.findall(header or ""):
        if at.lower() != domain.lower():
            continue
        try:
            found.append(read(secret_key, "message-id", value))
        except InvalidToken:
            continue
    return found
