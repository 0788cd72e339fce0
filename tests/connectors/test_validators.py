"""The validators the scanner counts sampled values with: the short cuts it takes give
the answers of the libraries they stand in front of."""

from __future__ import annotations

import dataclasses
import random

import pytest
from faker import Faker

from keepfaith.connectors import validators

TRICKY = [
    "ann@example.com",
    "Ann.Example@Example.COM",
    "a.b-c+d_e@sub.example.co.uk",
    "x!#$%&*+/=?^`{|}~@example.org",
    ".ann@example.com",
    "ann.@example.com",
    "an..n@example.com",
    "ann@-example.com",
    "ann@example-.com",
    "ann@exa_mple.com",
    "ann@example..com",
    "ann@localhost.localdomain",
    "ann@example.local",
    "ann@example.test",
    "ann@example.invalid",
    "ann@ab--cd.com",
    "ann@xn--bcher-kva.example",
    "ann@xn--zz.com",
    "ann@b\u00fccher.example",
    "j\u00f6rg@example.com",
    "ann\\@example.com",
    "ann[1]@example.com",
    "ann@" + "a" * 64 + ".com",
    "ann@" + ".".join(["a" * 60] * 4) + ".com",
    "a" * 65 + "@example.com",
    "a" * 200 + "@" + "b" * 40 + ".com",
    "ann@123.com",
    "ann@example.c0m",
    "ann@example.123",
    "ann@[127.0.0.1]",
    "postmaster@example.com",
]


def _reference(value: str) -> bool:
    """email-validator alone, on the whole address."""
    if "@" not in value or len(value) > 254 or not validators.EMAIL_CANDIDATE.fullmatch(value):
        return False
    return validators._email_validator_accepts(value)


def test_email_domains_judged_once_agree_with_email_validator() -> None:
    fake = Faker(["en_US", "de_DE", "fr_FR", "ja_JP", "pt_BR"])
    fake.seed_instance(17)
    generated = [fake.email() for _ in range(300)] + [fake.company_email() for _ in range(100)]
    rng = random.Random(17)
    mangled = [
        value[:i] + rng.choice(".-_@+ ") + value[i:]
        for value in generated[:200]
        for i in [rng.randrange(len(value))]
    ]
    values = TRICKY + generated + mangled
    domains: dict[str, bool] = {}
    answers = {value: validators.email(value, domains) for value in values}
    assert answers == {value: _reference(value) for value in values}
    assert answers == {value: validators.email(value) for value in values}
    assert sum(answers.values()) > 300 and not all(answers.values())
    assert len(domains) < len(values) / 2, "a domain is judged once"


def test_free_text_emails_with_the_memory() -> None:
    test = validators.contains_email_test()
    assert test("write to ann@example.com or bob@example.com")
    assert not test("no address here, only ann@localhost")


def test_checks_that_only_support_a_name_run_only_for_it() -> None:
    unnamed = validators.checks_for(())
    assert all(check.decisive for check in unnamed)
    phone = {c.category for c in validators.checks_for(("user.contact.phone_number",))}
    assert "user.contact.phone_number" in phone and "user.contact.address.postal_code" not in phone
    fax = {c.category for c in validators.checks_for(("user.contact.fax_number",))}
    assert "user.contact.phone_number" not in fax
    names = {c.category for c in validators.checks_for(("user.name",))}
    assert {"user.name.first", "user.name.last"} <= names


@pytest.mark.parametrize(
    ("values", "named", "found"),
    [
        (["+1 415 555 2671", "+44 20 7946 0958"] * 5, ("user.contact.phone_number",), True),
        (["+1 415 555 2671", "+44 20 7946 0958"] * 5, (), False),
        (["ann@example.com", "bob@example.org"] * 5, (), True),
    ],
)
def test_count_text_with_a_name(values: list[str], named: tuple[str, ...], found: bool) -> None:
    counts = validators.count_text(values, named)
    categories = {count.check.category for count in counts}
    expected = "user.contact.phone_number" if "+1" in values[0] else "user.contact.email"
    assert (expected in categories) is found


def test_a_check_passes_only_values_of_its_shape() -> None:
    fake = Faker(["en_US", "de_DE", "fr_FR"])
    fake.seed_instance(7)
    values = [
        *TRICKY,
        *(fake.phone_number() for _ in range(100)),
        *(fake.name() for _ in range(100)),
        *(fake.credit_card_number() for _ in range(50)),
        *(fake.iban() for _ in range(50)),
        *(fake.ipv4() for _ in range(20)),
        *(fake.ipv6() for _ in range(20)),
        *(fake.sentence() for _ in range(20)),
    ]
    for check in validators.CHECKS:
        if check.shape is None:
            continue
        passing = [value for value in values if check.test(value)]
        assert passing, check.described
        assert all(check.shape(value) for value in passing), check.described
        if check.clue is not None:
            assert all(check.clue.search(value) for value in passing), check.described
    assert sum(check.clue is not None for check in validators.CHECKS) >= 4


def test_a_column_without_the_clue_of_a_check_is_not_read_by_it() -> None:
    """A column with no digit anywhere is no card or IBAN column, and one with no @ no
    email column: those checks read none of its values, not even their shape (and the
    names are counted still)."""
    calls: list[str] = []
    card = next(c for c in validators.CHECKS if c.category == "user.financial.credit_card")

    def counted(value: str) -> object:
        calls.append(value)
        return validators.CARD_SHAPE.match(value)

    spy = dataclasses.replace(card, shape=counted)
    checks = tuple(spy if c is card else c for c in validators.CHECKS)
    names = ["Ann Example", "Bob Smith", "Luis Goncalves"] * 4
    original = validators.CHECKS
    validators.CHECKS = checks
    try:
        counts = validators.count_text(names)
        assert not calls and "user.name" in {c.check.category for c in counts}
        validators.count_text(["4111 1111 1111 1111", *names])
        assert calls, "with a digit somewhere, the check reads the values"
    finally:
        validators.CHECKS = original


def test_the_phone_check_reads_a_bounded_subset_of_a_column() -> None:
    """phonenumbers reads the first ``PHONE_VALUES`` distinct values and no more: a
    column whose first values are valid numbers and the rest not passes on those."""
    good = [f"+1 415 555 {2600 + i:04d}" for i in range(validators.PHONE_VALUES)]
    bad = [f"+999 {1000000 + i}" for i in range(30)]
    assert all(validators.phone(value) for value in good)
    assert not any(validators.phone(value) for value in bad)
    named = ("user.contact.phone_number",)
    (count,) = [c for c in validators.count_text(good + bad, named) if c.check.category == named[0]]
    assert (count.passed, count.checked, count.sampled) == (len(good), len(good), 50)
    assert count.share == 1.0
    assert str(count) == "20 of 20 sampled values checked (of 50) are valid phone numbers"
    # Repeated values count as often as they were sampled; the bound is on distinct ones.
    (count,) = [
        c for c in validators.count_text(good * 2 + bad, named) if c.check.category == named[0]
    ]
    assert (count.passed, count.checked, count.sampled) == (40, 40, 70)
    # Fewer distinct values than the bound: every one read, the count as before.
    (count,) = validators.count_text(good[:5] * 2, named)
    assert count.checked is None and str(count).startswith("10 of 10 sampled values are")
    # And the bad ones first: the share is out of reach within the subset.
    assert not [c for c in validators.count_text(bad + good, named) if c.check is count.check]


def test_emails_inside_long_free_text_are_counted() -> None:
    """Text longer than any address is failed by the value checks, yet read for the
    addresses inside it."""
    note = "Please call back, " + "it is about the order " * 12 + "or write to ann@example.com"
    assert 254 < len(note) <= validators.MAX_CHARS
    values = [note] * 3 + ["nothing to see in this note " * 10] * 7
    (count,) = validators.count_text(values, ())
    assert count.check is validators.EMBEDDED and (count.passed, count.sampled) == (3, 10)
