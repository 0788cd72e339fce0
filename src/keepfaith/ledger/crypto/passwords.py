"""Password hashing, for staff and people alike: argon2id, one hasher for the deployment.

``verify`` takes the stored hash or ``None`` for an unknown login: an unknown login costs
the same hash as a known one, so the time of an answer tells nothing. The stand-in hash
it compares against is made on first use, not at import.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash to store for ``password``."""
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; ``False`` (after as long) when ``None``."""
    try:
        _hasher.verify(stored if stored is not None else _stand_in(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with weaker parameters than the hasher's current ones."""
    return _hasher.check_needs_rehash(stored)


@functools.cache
def _stand_in() -> str:
    return _hasher.hash("keepfaith: compared against when the login is unknown")
