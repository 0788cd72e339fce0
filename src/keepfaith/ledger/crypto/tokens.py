"""Signed and random tokens: the one home of itsdangerous, HMAC and token digests.

- ``sign`` / ``unsign``: a short value signed for one use (a cookie visitor's id).
- ``dumps`` / ``loads``: a JSON value signed with the time it was made, refused after a
  lifetime (privacy-center links and sessions).
- ``keyed_digest``: an HMAC-SHA256 of a message (a stored login name, a CSRF token).
- ``matches``: compare a token someone sent with the one expected, in constant time.
- ``random_token`` and ``digest``: a fresh 256-bit token, and the SHA-256 stored in its
  place, so a copy of the database opens nothing (staff sessions, API tokens).

Everything signed is signed with ``Settings.secret_key`` and a *purpose* (itsdangerous'
salt), so a token made for one use never passes for another.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, Signer, URLSafeTimedSerializer

from keepfaith.exceptions import ConfigurationError, ExpiredToken, InvalidToken

_SALT = "keepfaith."


def _secret(secret_key: str) -> str:
    if not secret_key:
        raise ConfigurationError("secret_key must be set to sign links, cookies and tokens")
    return secret_key


@functools.lru_cache(maxsize=64)
def _signer(secret_key: str, purpose: str) -> Signer:
    return Signer(_secret(secret_key), salt=_SALT + purpose)


@functools.lru_cache(maxsize=64)
def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    # Built once per key and use: a message's privacy-center link is made per message.
    return URLSafeTimedSerializer(_secret(secret_key), salt=_SALT + purpose)


def sign(secret_key: str, purpose: str, value: str) -> str:
    """``value`` with its signature appended, for ``purpose``."""
    return _signer(secret_key, purpose).sign(value).decode()


def unsign(secret_key: str, purpose: str, token: str) -> str:
    """The value ``sign`` signed; ``InvalidToken`` if altered, forged or for another use."""
    try:
        return _signer(secret_key, purpose).unsign(token).decode()
    except BadSignature:
        raise InvalidToken("the token is not valid") from None


def dumps(secret_key: str, purpose: str, value: Any) -> str:
    """A URL-safe token carrying ``value`` (JSON) and the time it was made."""
    return _serializer(secret_key, purpose).dumps(value)


def loads(secret_key: str, purpose: str, token: str, *, max_age: int) -> Any:
    """The value of a ``dumps`` token; ``ExpiredToken`` after ``max_age`` seconds,
    ``InvalidToken`` if altered, forged or made for another use."""
    try:
        return _serializer(secret_key, purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ExpiredToken("the token has expired") from None
    except BadSignature:
        raise InvalidToken("the token is not valid") from None


def keyed_digest(secret_key: str, purpose: str, message: str) -> str:
    """HMAC-SHA256 (hex) of ``message`` for ``purpose``: unforgeable without the key."""
    key = _secret(secret_key).encode()
    data = f"{_SALT}{purpose}\0{message}".encode("utf-8", "surrogatepass")
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def matches(sent: str, expected: str) -> bool:
    """Whether a token sent equals the one expected, compared in constant time.

    Compared as bytes, so a sent token with characters outside ASCII (or a lone
    surrogate) is simply wrong rather than an error.
    """
    return hmac.compare_digest(
        sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def random_token(prefix: str = "", *, size: int = 32) -> str:
    """A new random token of ``size`` bytes (256 bits by default), URL-safe, after
    ``prefix``."""
    return prefix + secrets.token_urlsafe(size)


def digest(token: str) -> str:
    """The stored form of a random token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
