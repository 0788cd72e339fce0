"""Signed, expiring links that identify a person to the privacy center.

A message to a person carries a link with a token; whoever holds the token is that
person for the privacy center until it expires. The token holds the tenant and the
subject id only, never an email address or other personal data, because links end up
in mail logs, browser histories and proxies. It is signed with ``Settings.secret_key``
(``keepfaith.ledger.crypto.tokens``) so it cannot be forged or altered, and the tenant is
part of the signed value so a token of one tenant opens nothing in another.
"""

from __future__ import annotations

from keepfaith.exceptions import ExpiredToken, InvalidToken
from keepfaith.ledger.crypto import tokens

LINK_MAX_AGE = 30 * 24 * 3600
"""How long a privacy-center link stays valid, in seconds (30 days)."""

SESSION_MAX_AGE = 12 * 3600
"""How long a person's privacy-center session lasts after the link or login, in seconds."""

# A different purpose per use, so a session cookie can never be replayed as a link.
_LINK = "privacy-center.link"
_SESSION = "privacy-center.session"


def link_token(secret_key: str, tenant: str, subject_id: str) -> str:
    """A token naming ``subject_id`` of ``tenant``, for a link in a message."""
    return tokens.dumps(secret_key, _LINK, [tenant, subject_id])


def read_link_token(
    secret_key: str, tenant: str, token: str, *, max_age: int = LINK_MAX_AGE
) -> str:
    """The subject id a token names; ``InvalidToken`` (``ExpiredToken``) if forged,
    altered, expired or made for another tenant."""
    return _read(secret_key, _LINK, tenant, token, max_age)


def session_token(secret_key: str, tenant: str, subject_id: str) -> str:
    """The value of a person's privacy-center session cookie."""
    return tokens.dumps(secret_key, _SESSION, [tenant, subject_id])


def read_session_token(
    secret_key: str, tenant: str, token: str, *, max_age: int = SESSION_MAX_AGE
) -> str:
    """The subject id a session cookie names; ``InvalidToken`` as for links."""
    return _read(secret_key, _SESSION, tenant, token, max_age)


def _read(secret_key: str, purpose: str, tenant: str, token: str, max_age: int) -> str:
    try:
        value = tokens.loads(secret_key, purpose, token, max_age=max_age)
    except ExpiredToken:
        raise ExpiredToken("the link has expired; ask for a new one") from None
    except InvalidToken:
        raise InvalidToken("the link is not valid") from None
    if not (isinstance(value, list) and len(value) == 2 and value[0] == tenant):
        raise InvalidToken("the link is not valid")
    return str(value[1])
