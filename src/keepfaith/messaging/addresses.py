"""Email addresses: checked before anything is sent, and known afterwards by keyed hash.

An address reaches SMTP only after ``email-validator`` accepted it, so a value with a line
break, a second ``@`` or five thousand characters is refused before it becomes an
envelope or a header. Errors never repeat the address. ``digest`` is the only form an
address takes in the suppression list and the sent messages: an HMAC under the
deployment's ``secret_key`` (``keepfaith.ledger.crypto.tokens``), the same for ``Ann@X.org``
and ``ann@x.org``, that nobody without the key can compute or reverse.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from keepfaith.exceptions import InvalidSubmission
from keepfaith.ledger.crypto import tokens
from keepfaith.translatable import N_

MAX_LENGTH = 254
"""Longest address SMTP carries (RFC 5321's path limit less the brackets)."""


def checked(address: object, field: str = "to") -> str:
    """The address, normalised (domain in lower case), or ``InvalidSubmission`` naming
    ``field`` and the reason, never the value."""
    if not isinstance(address, str) or not address.strip():
        raise InvalidSubmission({field: N_("an email address is required")})
    if len(address) > MAX_LENGTH:
        raise InvalidSubmission({field: N_("is longer than %(n)s characters") % {"n": MAX_LENGTH}})
    try:
        valid = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidSubmission({field: N_("is not a valid email address")}) from None
    return str(valid.normalized)


def digest(secret_key: str, address: str) -> str:
    """The keyed hash an address is known by once a message to it is sent."""
    return tokens.keyed_digest(secret_key, "address", address.strip().casefold())
