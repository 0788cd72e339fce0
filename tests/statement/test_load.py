"""Loading: a broken statement is refused at its exact line and column, with one reason.

The table breaks the minimal statement one way at a time; the property test breaks it
at random and checks that nothing but ``StatementError`` (with a place in the file)
ever comes out of the loader.
"""

from __future__ import annotations

import copy
import io
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from keepfaith import StatementError
from keepfaith.statement import Statement, load, loads
from tests.conftest import FIXTURES

MINIMAL = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")
TITLE = "title: Acme privacy statement"
NEWSLETTER_BASIS = "    basis: opt_in\n"


def edit(old: str, new: str) -> str:
    """The minimal statement with ``old`` (found exactly once) replaced by ``new``."""
    assert MINIMAL.count(old) == 1, f"fixture changed: {old!r}"
    return MINIMAL.replace(old, new)


# (id, the broken text, a marker on the line the error must name, its column, reason)
BROKEN = [
    (
        "yaml-syntax",
        edit(TITLE, "title: Acme: privacy"),
        "title: Acme:",
        12,
        "YAML: mapping values are not allowed here",
    ),
    (
        "tab-indentation",
        edit("  website: ", "\twebsite: "),
        "\twebsite",
        1,
        "found character '\\t' that cannot start any token",
    ),
    (
        "duplicate-key",
        edit(
            "  website: https://acme.example\n",
            "  website: https://acme.example\n  website: https://b.example\n",
        ),
        "website: https://b.example",
        3,
        'found duplicate key "website"',
    ),
    (
        "unknown-key",
        edit("    marketing: true\n", "    marketing: true\n    marketting: true\n"),
        "marketting",
        5,
        "unknown key 'marketting' in purposes[2]",
    ),
    (
        "wrong-type",
        edit("  response_days: 30", "  response_days: thirty"),
        "response_days: thirty",
        3,
        "rights.response_days: Input should be a valid integer",
    ),
    (
        "bad-enum-value",
        edit("basis: opt_in", "basis: maybe"),
        "basis: maybe",
        5,
        "purposes[2].basis: Input should be 'required', 'opt_in', 'opt_out', 'legal', "
        "'legitimate_interest', 'vital_interest' or 'public_task'",
    ),
    (
        "undeclared-category",
        edit(
            "categories: [user.name, user.contact.email]\n",
            "categories: [user.name, user.contact.phone]\n",
        ),
        "categories: [user.name, user.contact.phone]",
        29,
        "category 'user.contact.phone' is not declared",
    ),
    (
        "undeclared-purpose",
        edit("purposes: [newsletter, account]", "purposes: [newsletter, ads]"),
        "purposes: [newsletter, ads]",
        28,
        "purpose 'ads' is not declared",
    ),
    (
        "undeclared-collection-point",
        edit(
            "    under_contract: true\n",
            "    under_contract: true\n    collection_points: [kiosk]\n",
        ),
        "collection_points: [kiosk]",
        25,
        "collection point 'kiosk' is not declared",
    ),
    (
        "undeclared-cookie-purpose",
        edit("    purpose: account\n", "    purpose: tracking\n"),
        "purpose: tracking",
        5,
        "purpose 'tracking' is not declared",
    ),
    (
        "undeclared-contact-role",
        edit("  contact: privacy\n", "  contact: lawyer\n"),
        "contact: lawyer",
        3,
        "contact role 'lawyer' is not declared",
    ),
    (
        "duplicate-id",
        edit("  - id: customer\n", "  - id: visitor\n"),
        "  - id: visitor\n    name: Customer",
        5,
        "duplicate subject_kinds id 'visitor'",
    ),
    (
        "duplicate-field",
        edit("      - {name: card,", "      - {name: email,"),
        "{name: email, category: user.financial",
        10,
        "duplicate field 'email' in 'signup'",
    ),
    (
        "missing-required-key",
        edit(NEWSLETTER_BASIS, ""),
        "  - id: newsletter",
        5,
        "missing required key 'purposes[2].basis'",
    ),
    (
        "impossible-date",
        edit("effective: 2024-01-15", "effective: 2024-13-45"),
        "effective:",
        12,
        "YAML: invalid date '2024-13-45': month must be in 1..12",
    ),
    (
        "not-a-date",
        edit("effective: 2024-01-15", "effective: soon"),
        "effective:",
        1,
        "effective: Input should be a valid date",
    ),
    (
        "bad-clause-id",
        edit("  minimum_age: 13", "  minimum_age: 13\n  clauses: [es-1]"),
        "clauses: [es-1]",
        13,
        "children.clauses[0]: String should match pattern",
    ),
    (
        "bad-tagged-scalar",
        edit(TITLE, "title: !!int many"),
        "title: !!int",
        8,
        "YAML: invalid int 'many'",
    ),
    (
        "control-character",
        edit(TITLE, "title: Acme\x00"),
        "title: Acme",
        12,
        "YAML: unacceptable character #x0000",
    ),
    (
        "number-as-key",
        edit(TITLE, f"{TITLE}\n1: one"),
        "1: one",
        1,
        "unknown key '1' in the statement",
    ),
    ("not-a-mapping", "- keepfaith: 1\n", "- keepfaith", 1, "a statement must be a YAML mapping"),
    (
        "nested-too-deeply",
        edit(TITLE, "title: " + "[" * 400 + "]" * 400),
        "keepfaith: 1",
        1,
        "YAML: nested too deeply",
    ),
]


def line_of(text: str, marker: str) -> int:
    assert text.count(marker) == 1, f"marker {marker!r} is not unique"
    return text[: text.index(marker)].count("\n") + 1


@pytest.mark.parametrize(
    ("text", "marker", "column", "reason"), [pytest.param(*case[1:], id=case[0]) for case in BROKEN]
)
def test_a_broken_statement_is_refused_at_its_place(
    tmp_path: Path, text: str, marker: str, column: int, reason: str
) -> None:
    path = tmp_path / "statement.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StatementError) as caught:
        load(path)
    line = 1 if marker == "keepfaith: 1" else line_of(text, marker)
    assert str(caught.value.location) == f"{path}:{line}:{column}"
    assert reason in caught.value.reason
    assert str(caught.value) == f"{path}:{line}:{column}: {caught.value.reason}"
    assert "\n" not in caught.value.reason


def test_every_problem_is_kept_first_one_first() -> None:
    text = edit("purposes: [newsletter, account]", "purposes: [ads, promo]")
    with pytest.raises(StatementError) as caught:
        loads(text, "s.yaml")
    line = line_of(text, "purposes: [ads, promo]")
    assert [(str(where), why) for where, why in caught.value.problems] == [
        (f"s.yaml:{line}:16", "purpose 'ads' is not declared"),
        (f"s.yaml:{line}:21", "purpose 'promo' is not declared"),
    ]


def test_an_unreadable_file_is_refused_at_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "statement.yaml"
    path.write_bytes(b"title: \xff\n")
    with pytest.raises(StatementError, match=r"statement\.yaml:1:1: cannot read file"):
        load(path)


def test_the_minimal_statement_loads() -> None:
    assert isinstance(loads(MINIMAL), Statement)


# --------------------------------------------------------------------------- property

Spot = tuple[Any, Any]


def _spots(node: Any) -> list[Spot]:
    """Every (container, key or index) in a parsed document, depth first."""
    found: list[Spot] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        found.append((node, key))
        found.extend(_spots(value))
    return found


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.dates(),
    st.text(max_size=12),
    st.sampled_from(["opt_in", "user.name", "PA-08", "signup", "", "2024-01-15", "yes"]),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(
        st.text(string.ascii_lowercase + "_", min_size=1, max_size=8), scalars, max_size=3
    ),
)
JUNK = string.ascii_letters + string.digits + " :-[]{}\t\"'&*!%#|>,?@`\\\x00\x85\u2028é"


def _dump(document: Any) -> str:
    out = io.StringIO()
    YAML(typ="rt").dump(document, out)
    return out.getvalue()


PARSED = YAML(typ="rt").load(MINIMAL)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The minimal statement broken one random way (or, rarely, still valid)."""
    how = draw(st.sampled_from(["delete", "replace", "duplicate", "rename", "junk"]))
    if how == "junk":
        lines = MINIMAL.splitlines(keepends=True)
        at = draw(st.integers(0, len(lines)))
        indent = draw(st.sampled_from(["", "  ", "    ", "      "]))
        lines.insert(at, indent + draw(st.text(JUNK, min_size=1, max_size=20)) + "\n")
        return "".join(lines)
    document = copy.deepcopy(PARSED)
    spots = _spots(document)
    if how == "duplicate":
        spots = [spot for spot in spots if isinstance(spot[0], list)]
    container, key = draw(st.sampled_from(spots))
    if how == "delete":
        del container[key]
    elif how == "replace":
        container[key] = draw(values)
    elif how == "duplicate":
        container.insert(key, copy.deepcopy(container[key]))
    elif isinstance(container, dict):
        container[draw(st.text(string.ascii_lowercase + "_.", min_size=1, max_size=10))] = (
            container.pop(key)
        )
    else:
        container[key] = {"renamed": container[key]}
    return _dump(document)


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_loading_a_mutated_statement_succeeds_or_says_where(text: str) -> None:
    try:
        loads(text, "s.yaml")
    except StatementError as error:
        last_line = text.count("\n") + 1
        for where, why in error.problems:
            assert where.file == "s.yaml"
            assert 1 <= where.line <= last_line, (where, why)
            assert where.column >= 1
            assert why and "\n" not in why, why


def test_an_unquoted_comma_in_a_flow_mapping_is_named_with_a_hint(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "{name: name, category: user.name, required: true, label: Your name}",
        "{name: name, category: user.name, required: true, label: Your name, first and last}",
    )
    path = tmp_path / "statement.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StatementError) as raised:
        load(path)
    line = text[: text.index("first and last")].count("\n") + 1
    assert raised.value.location.line == line and raised.value.location.file == str(path)
    assert "unknown key 'first and last'" in raised.value.reason
    assert (
        "unquoted comma" in raised.value.reason and "quote the whole value" in raised.value.reason
    )


def test_clause_ids_go_past_99_per_prefix() -> None:
    loaded = loads(MINIMAL.replace("keepfaith: 1\n", "keepfaith: 1\nclauses: [AC-100, AC-1234]\n"))
    assert {"AC-100", "AC-1234"} <= loaded.declared_clauses()
    with pytest.raises(StatementError):
        loads(MINIMAL.replace("keepfaith: 1\n", "keepfaith: 1\nclauses: [AC-1]\n"))


@pytest.mark.parametrize("key", ["?", "? [a, b]", "? {a: 1}"])
def test_a_key_that_is_a_mapping_or_a_list_is_an_error_at_its_line(key: str) -> None:
    # "?" alone makes the mapping below it a key: a TypeError in ruamel, not a located error.
    text = MINIMAL.replace("organisation:\n", f"organisation:\n{key}\n", 1)
    assert text != MINIMAL
    line = text.splitlines().index(key) + 1
    with pytest.raises(StatementError) as raised:
        loads(text, "s.yaml")
    problems = [(where.line, why) for where, why in raised.value.problems]
    assert any(at >= line and "YAML" in why for at, why in problems), problems
