"""Signed, expiring links that identify a person to the privacy center.

A message to a person carries a link with a token; whoever holds the token is that
person for the privacy center until it expires. The token holds the tenant and the
subject id only, never an email address or other personal data, because links end up
in mail logs, browser histories and proxies. It is signed with ``Settings.secret_key``
(HMAC-SHA256 through itsdangerous) so it cannot be forged or altered, and the tenant is
part of the signed value so a token of one tenant opens nothing in another.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from keepfaith.exceptions import AccessDenied, ConfigurationError

LINK_MAX_AGE = 30 * 24 * 3600
"""How long a privacy-center link stays valid, in seconds (30 days)."""

SESSION_MAX_AGE = 12 * 3600
"""How long a person's privacy-center session lasts after the link or login, in seconds."""

# A different salt per use, so a session cookie can never be replayed as a link.
_LINK = "keepfaith.privacy-center.link"
_SESSION = "keepfaith.privacy-center.session"


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    if not secret_key:
        raise ConfigurationError("secret_key must be set to sign privacy-center links")
    return URLSafeTimedSerializer(secret_key, salt=salt)


def link_token(secret_key: str, tenant: str, subject_id: str) -> str:
    """A token naming ``subject_id`` of ``tenant``, for a link in a message."""
    return _serializer(secret_key, _LINK).dumps([tenant, subject_id])


def read_link_token(
    secret_key: str, tenant: str, token: str, *, max_age: int = LINK_MAX_AGE
) -> str:
    """The subject id a token names; ``AccessDenied`` if forged, altered, expired or
    made for another tenant."""
    return _read(secret_key, _LINK, tenant, token, max_age)


def session_token(secret_key: str, tenant: str, subject_id: str) -> str:
    """The value of a person's privacy-center session cookie."""
    return _serializer(secret_key, _SESSION).dumps([tenant, subject_id])


def read_session_token(
    secret_key: str, tenant: str, token: str, *, max_age: int = SESSION_MAX_AGE
) -> str:
    """The subject id a session cookie names; ``AccessDenied`` as for links."""
    return _read(secret_key, _SESSION, tenant, token, max_age)


def _read(secret_key: str, salt: str, tenant: str, token: str, max_age: int) -> str:
    try:
        value = _serializer(secret_key, salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise AccessDenied("the link has expired; ask for a new one") from None
    except BadSignature:
        raise AccessDenied("the link is not valid") from None
    if not (isinstance(value, list) and len(value) == 2 and value[0] == tenant):
        raise AccessDenied("the link is not valid")
    return str(value[1])
