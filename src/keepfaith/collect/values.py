"""What a collected value must look like, by the kind of its category.

A collection point declares each field's category; the category says what the value is.
``problem`` gives the reason a value is refused, or ``None``:

- an email address (``user.contact.email``) is checked by email-validator: one ``@``,
  a domain, no spaces or line breaks, at most 254 characters (RFC 5321's path limit);
- a phone or fax number by phonenumbers: an international number (``+44 20 ...``) must be
  a possible number; one in national format is checked against the person's region when
  the submission gives one, else only for its shape (digits and separators, 4 to 15
  digits), since no statement says which country a national number belongs to;
- an age is a whole number of years from 0 to 150 (or a date; ``points`` reads both);
- any value that is not free text is one line (no CR, LF or other control characters),
  at most ``MAX_LINE`` characters; free text at most ``MAX_TEXT``.

Reasons never repeat the value: they end up in pages and logs. They are English, as the
JSON API returns them; marked ``N_``, the form pages show them in the page's language.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from keepfaith.translatable import N_

EMAIL = "user.contact.email"
PHONES = ("user.contact.phone_number", "user.contact.fax_number", "user.contact.phone")
MAX_EMAIL = 254
MAX_LINE = 1_000
MAX_TEXT = 20_000
MAX_AGE = 150

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PHONE_SHAPE = re.compile(r"[0-9 ()./\-]{4,30}")
_POSSIBLE = {
    phonenumbers.ValidationResult.IS_POSSIBLE,
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
}


def problem(category: str, text: str, *, free_text: bool, region: str | None = None) -> str | None:
    """Why ``text`` cannot be a value of ``category``, or ``None`` when it can."""
    if len(text) > (MAX_TEXT if free_text else MAX_LINE):
        return N_("is longer than %(n)s characters") % {"n": MAX_TEXT if free_text else MAX_LINE}
    if not free_text and _CONTROL.search(text):
        return N_("must be one line, without line breaks or control characters")
    if _within(category, EMAIL):
        return _email(text)
    if any(_within(category, kind) for kind in PHONES):
        return _phone(text, region)
    return None


def _within(category: str, kind: str) -> bool:
    return category == kind or category.startswith(kind + ".")


def _email(text: str) -> str | None:
    if len(text) > MAX_EMAIL:
        return N_("is longer than %(n)s characters") % {"n": MAX_EMAIL}
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return N_("must be an email address, like name@example.org")
    return None


def _phone(text: str, region: str | None) -> str | None:
    wrong = N_("must be a phone number, like +1 555 0100")
    international = text.lstrip().startswith(("+", "00"))
    if not international and not region:
        digits = sum(c.isdigit() for c in text)
        return None if _PHONE_SHAPE.fullmatch(text) and 4 <= digits <= 15 else wrong
    try:
        number = phonenumbers.parse(text, None if international else region)
    except phonenumbers.NumberParseException:
        return wrong
    return None if phonenumbers.is_possible_number_with_reason(number) in _POSSIBLE else wrong


def age_problem(years: int) -> str | None:
    """Why ``years`` cannot be a person's age, or ``None``."""
    wrong = N_("must be an age from 0 to %(n)s years") % {"n": MAX_AGE}
    return None if 0 <= years <= MAX_AGE else wrong
