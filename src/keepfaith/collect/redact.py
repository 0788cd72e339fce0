"""Redaction of national-identity-like numbers from free text (PA-08).

A statement may promise that national identity numbers are never asked for; people
still type them into a "message" box. Free-text fields are scanned before storage and
anything shaped like such a number is replaced by ``REDACTED``, so it never reaches the
ledger. The patterns err on the side of redacting: a false positive costs a few digits
of a message, a false negative keeps a number the statement says is never held.

Shapes recognised:

- US Social Security numbers, with dashes, spaces or dots (``123-45-6789``), or as nine
  bare digits that pass the SSA's structural rules (area not 000, 666 or 9xx; group not
  00; serial not 0000);
- US Individual Taxpayer Identification numbers (``9xx-7x-xxxx``, same separators);
- Canadian Social Insurance numbers (``123-456-789``);
- UK National Insurance numbers (``AB 12 34 56 C``).
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
"""What replaces a redacted number in the stored text."""

_SEP = r"[-\s.]"
_PATTERNS = (
    # SSN or ITIN with separators; digits on either side mean it is part of a longer number.
    re.compile(rf"(?<!\d)\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{4}}(?!\d)"),
    # Nine bare digits shaped like an SSN.
    re.compile(r"(?<!\d)(?!000|666|9)\d{3}(?!00)\d{2}(?!0000)\d{4}(?!\d)"),
    # Canadian SIN.
    re.compile(rf"(?<!\d)\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{3}}(?!\d)"),
    # UK National Insurance number (prefix letters exclude D, F, I, Q, U, V).
    re.compile(
        r"(?<![A-Za-z0-9])[A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z][A-CEGHJ-NPR-TW-Za-ceghj-npr-tw-z]"
        r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-Da-d](?![A-Za-z0-9])"
    ),
)


def redact(text: str) -> tuple[str, int]:
    """``text`` with every national-identity-like number replaced, and how many were."""
    count = 0
    for pattern in _PATTERNS:
        text, found = pattern.subn(REDACTED, text)
        count += found
    return text, count


def contains_national_id(text: str) -> bool:
    """Whether ``text`` holds anything ``redact`` would remove."""
    return any(pattern.search(text) for pattern in _PATTERNS)
