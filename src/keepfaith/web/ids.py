"""Numbers that arrive in requests: ids and ages, checked before they reach the database.

``str.isdigit()`` is true of characters such as ``'²'`` that ``int()`` refuses, and an id
beyond a 64-bit integer overflows the database's column: both would be a 500 instead of
a field error.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field

MAX_ID = 2**63 - 1
"""The largest id the ledger's 64-bit columns hold."""

IdField = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A ledger id in a JSON body."""

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A ledger id in a URL path."""


def is_number(text: str) -> bool:
    """Whether ``text`` is a plain decimal number (ASCII digits only)."""
    return text.isascii() and text.isdigit()


def is_id(text: str) -> bool:
    """Whether ``text`` is a ledger id."""
    return is_number(text) and 1 <= int(text) <= MAX_ID
