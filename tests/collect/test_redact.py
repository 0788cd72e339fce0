"""Redacting national-identity-like numbers from free text (PA-08)."""

from __future__ import annotations

import pytest

from keepfaith.collect.redact import REDACTED, contains_national_id, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSN 123-45-6789.", f"SSN {REDACTED}."),
        ("ssn: 123 45 6789", f"ssn: {REDACTED}"),
        ("123.45.6789", REDACTED),
        ("bare 123456789 digits", f"bare {REDACTED} digits"),
        ("ITIN 912-70-1234", f"ITIN {REDACTED}"),
        ("SIN 046-454-286", f"SIN {REDACTED}"),
        ("NI number QQ 12 34 56 C", "NI number QQ 12 34 56 C"),  # QQ is no valid prefix
        ("NI number AB 12 34 56 C", f"NI number {REDACTED}"),
        ("NI AB123456C ok", f"NI {REDACTED} ok"),
    ],
)
def test_national_id_shapes_are_redacted(text: str, expected: str) -> None:
    assert redact(text)[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "call 555 123 4567",
        "order 1234567890123",
        "on 2024-01-15 at 10:30",
        "card 4111 1111 1111 1111",
        "bare 000123456 is no SSN",
        "zip 20171-1234",
        "",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert redact(text) == (text, 0)
    assert not contains_national_id(text)


def test_every_occurrence_is_counted() -> None:
    text, count = redact("first 123-45-6789 then 987-65-4320")
    assert count == 2 and "6789" not in text and "4320" not in text
