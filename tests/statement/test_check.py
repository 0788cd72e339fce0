"""``keepfaith check``: one broken copy of the minimal statement per rule, found at its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.exceptions import StatementError
from keepfaith.statement import load
from keepfaith.statement.check import RULES, Finding, check, check_file
from tests.conftest import EXAMPLES, FIXTURES

MINIMAL = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")
PHONE = "  - id: user.contact.phone\n    name: Phone number\n"
CATEGORIES_END = "  - id: user.content.free_text\n"


def mutate(*replacements: tuple[str, str]) -> str:
    """The minimal statement with each ``old`` text (found exactly once) replaced."""
    text = MINIMAL
    for old, new in replacements:
        assert text.count(old) == 1, f"fixture changed: {old!r}"
        text = text.replace(old, new)
    return text


def line_of(text: str, marker: str) -> int:
    """The 1-based line where ``marker`` (found exactly once, maybe over lines) starts."""
    assert text.count(marker) == 1, f"marker {marker!r} is not unique"
    return text[: text.index(marker)].count("\n") + 1


def write(tmp_path: Path, text: str, name: str = "statement.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# Each case: rule code, severity, the replacements that break the statement, and a
# marker for the line the first finding must point at.
CASES = [
    pytest.param(
        "category-not-collected",
        "warning",
        [
            (CATEGORIES_END, PHONE + CATEGORIES_END),
            (
                "categories: [user.name, user.contact.email]\n",
                "categories: [user.name, user.contact.phone]\n",
            ),
        ],
        "categories: [user.name, user.contact.phone]",
        id="purpose-uses-uncollected-category",
    ),
    pytest.param(
        "opt-out-through-cookie",
        "warning",
        [
            (
                "    basis: required\n    categories: [user.name, user.contact.email]\n",
                "    basis: opt_out\n    categories: [user.name, user.contact.email]\n",
            ),
            ("    category: necessary\n", "    category: functional\n"),
        ],
        "basis: opt_out",
        id="opt-out-purpose-through-a-non-essential-cookie",
    ),
    pytest.param(
        "category-unused",
        "warning",
        [(CATEGORIES_END, PHONE + CATEGORIES_END)],
        "id: user.contact.phone",
        id="category-nothing-collects-or-uses",
    ),
    pytest.param(
        "route-not-offered",
        "error",
        [
            ("    preference_center: true\n", ""),
            ("[one_click, reply]", "[one_click, preference_center]"),
        ],
        "[one_click, preference_center]",
        id="preference-center-route-while-not-offered-there",
    ),
    pytest.param(
        "interest-not-stated",
        "error",
        [
            (
                "    name: Connect the call\n    basis: required",
                "    name: Connect the call\n    basis: legitimate_interest",
            )
        ],
        "basis: legitimate_interest",
        id="legitimate-interest-without-the-interest",
    ),
    pytest.param(
        "yaml-flow-comma",
        "warning",
        [
            (
                "measures: [Encrypted connections, Encrypted card numbers]",
                "measures: [Encrypted connections, at rest and in transit, Encrypted card numbers]",
            )
        ],
        "at rest and in transit",
        id="unquoted-comma-splits-a-flow-list-item",
    ),
    pytest.param(
        "opt-in-without-consent",
        "error",
        [("    consent_for: [newsletter]\n", ""), ("    preference_center: true\n", "")],
        "basis: opt_in",
        id="opt-in-without-consent",
    ),
    pytest.param(
        "recipient-category-without-purpose",
        "error",
        [
            (
                "    categories: [user.contact.email, user.name]\n    purposes: [newsletter",
                "    categories: [user.contact.email, user.financial.credit_card]\n"
                "    purposes: [newsletter",
            )
        ],
        "categories: [user.contact.email, user.financial.credit_card]",
        id="recipient-category-none-of-its-purposes-uses",
    ),
    pytest.param(
        "recipient-category-without-purpose",
        "error",
        [
            (CATEGORIES_END, PHONE + CATEGORIES_END),
            (
                "      - {name: note,",
                "      - {name: phone, category: user.contact.phone}\n      - {name: note,",
            ),
            (
                "    categories: [user.contact.email, user.name]\n"
                "    purposes: [newsletter, account]\n",
                "    categories: [user.contact.phone]\n",
            ),
        ],
        "categories: [user.contact.phone]",
        id="recipient-category-no-purpose-uses",
    ),
    pytest.param(
        "national-id",
        "error",
        [
            (
                CATEGORIES_END,
                "  - id: user.government_id.national_identification_number\n"
                "    name: SSN\n" + CATEGORIES_END,
            )
        ],
        "user.government_id.national_identification_number",
        id="national-id-category",
    ),
    pytest.param(
        "national-id",
        "error",
        [(CATEGORIES_END, "  - id: user.government_id.ssn\n    name: SSN\n" + CATEGORIES_END)],
        "user.government_id.ssn",
        id="ssn-category",
    ),
    pytest.param(
        "minimum-age",
        "error",
        [("  minimum_age: 13\n", "  minimum_age: 12\n")],
        "minimum_age: 12",
        id="children-under-13",
    ),
    pytest.param(
        "cookie-without-purpose",
        "warning",
        [("    purpose: account\n", "")],
        "- name: session",
        id="cookie-without-purpose",
    ),
    pytest.param(
        "marketing-without-unsubscribe",
        "error",
        [("    unsubscribe: [one_click, reply]\n", ""), ("    preference_center: true\n", "")],
        "marketing: true",
        id="marketing-without-unsubscribe",
    ),
    pytest.param(
        "service-and-marketing",
        "error",
        [("    marketing: true\n", "    marketing: true\n    service: true\n")],
        "service: true",
        id="service-and-marketing",
    ),
    pytest.param(
        "widget-personal-category",
        "error",
        [
            (
                "      - {name: browser, category: user.device.browser}\n",
                "      - {name: browser, category: user.device.browser}\n"
                "      - {name: caller, category: user.name}\n",
            )
        ],
        "{name: caller, category: user.name}",
        id="widget-collects-a-name",
    ),
    pytest.param(
        "recipient-category-not-collected",
        "warning",
        [
            (
                "    under_contract: true\n",
                "    under_contract: true\n    collection_points: [voice_widget]\n",
            )
        ],
        "categories: [user.contact.email, user.name]\n    purposes: [newsletter",
        id="recipient-bound-to-points-that-do-not-collect",
    ),
    pytest.param(
        "email-notice-without-days",
        "warning",
        [("  email_effective_days: 15\n", "")],
        "notify: email",
        id="email-notice-without-days",
    ),
    pytest.param(
        "translation-missing",
        "warning",
        [
            ("organisation:\n", "languages: [en, de]\norganisation:\n"),
            (
                "  measures: [Encrypted connections, Encrypted card numbers]\n",
                "  measures: [Encrypted connections, Encrypted card numbers]\n"
                "translations:\n  de:\n    purposes:\n      account: {name: Ihr Konto}\n",
            ),
        ],
        "title: Acme privacy statement",
        id="translation-missing",
    ),
]


def test_minimal_statement_is_clean(minimal_statement_path: Path) -> None:
    assert check(load(minimal_statement_path)) == []
    assert check_file(minimal_statement_path) == []


@pytest.mark.parametrize(("code", "severity", "replacements", "marker"), CASES)
def test_rule_finds_its_problem_at_its_line(
    tmp_path: Path,
    code: str,
    severity: str,
    replacements: list[tuple[str, str]],
    marker: str,
) -> None:
    text = mutate(*replacements)
    path = write(tmp_path, text)
    findings = check_file(path)
    # A national id category added alone is also unused: both are true.
    also = {"category-unused"} if code == "national-id" else set()
    assert {f.code for f in findings} == {code} | also
    findings = [f for f in findings if f.code == code]
    first = findings[0]
    assert first.severity == severity
    assert first.location is not None
    assert (first.location.file, first.location.line) == (str(path), line_of(text, marker))
    assert "\n" not in first.message


def test_every_rule_has_a_case() -> None:
    codes = {case.values[0] for case in CASES}
    for rule in RULES:
        assert rule.__doc__, f"{rule.__name__} says what it checks"
    assert len(codes - {"yaml-flow-comma"}) == len(RULES)  # that one reads the YAML itself


def test_passport_number_is_not_a_national_id(tmp_path: Path) -> None:
    text = mutate(
        (
            CATEGORIES_END,
            "  - id: user.government_id.passport_number\n    name: Passport\n" + CATEGORIES_END,
        )
    )
    assert [f.code for f in check_file(write(tmp_path, text))] == ["category-unused"]


def test_opt_in_offered_only_in_the_privacy_center_is_enough(tmp_path: Path) -> None:
    text = mutate(("    consent_for: [newsletter]\n", ""))
    assert check_file(write(tmp_path, text)) == []


def test_privacy_center_alone_is_a_way_out_of_marketing(tmp_path: Path) -> None:
    text = mutate(("    unsubscribe: [one_click, reply]\n", ""))
    assert check_file(write(tmp_path, text)) == []


def test_statement_that_does_not_load_is_one_located_error(tmp_path: Path) -> None:
    text = mutate(("  minimum_age: 13\n", "  minimum_age: 13\n  maximum_age: 99\n"))
    findings = check_file(write(tmp_path, text))
    assert [(f.code, f.severity) for f in findings] == [("invalid", "error")]
    assert findings[0].location is not None
    assert findings[0].location.line == line_of(text, "maximum_age")
    assert "maximum_age" in findings[0].message


def test_unreadable_file_raises(tmp_path: Path) -> None:
    with pytest.raises(StatementError, match="cannot read file"):
        check_file(tmp_path / "missing.yaml")


def test_finding_prints_as_file_line_column() -> None:
    finding = Finding("minimum-age", "error", ("children", "minimum_age"), "too young")
    assert str(finding) == "error: too young [minimum-age]"
    assert finding.to_dict()["path"] == ["children", "minimum_age"]


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


def test_cli_clean_exits_0(minimal_statement_path: Path) -> None:
    result = runner.invoke(app, ["check", str(minimal_statement_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_cli_findings_exit_1_with_located_lines(tmp_path: Path) -> None:
    text = mutate(("  minimum_age: 13\n", "  minimum_age: 12\n"))
    path = write(tmp_path, text)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    line = line_of(text, "minimum_age: 12")
    assert result.stdout == (f"{path}:{line}:3: error: minimum age 12 is below 13 [minimum-age]\n")


def test_cli_json_lists_findings_of_every_file(
    tmp_path: Path, minimal_statement_path: Path
) -> None:
    broken = write(tmp_path, mutate(("    purpose: account\n", "")))
    result = runner.invoke(
        app, ["check", "--format", "json", str(minimal_statement_path), str(broken)]
    )
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)
    assert finding["file"] == str(broken)
    assert finding["code"] == "cookie-without-purpose"
    assert finding["severity"] == "warning"
    assert finding["path"] == ["cookies", 0, "name"]


def test_cli_json_clean_is_an_empty_list(minimal_statement_path: Path) -> None:
    result = runner.invoke(app, ["check", "--format", "json", str(minimal_statement_path)])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_cli_unreadable_exits_2(tmp_path: Path, minimal_statement_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(app, ["check", str(minimal_statement_path), str(missing)])
    assert result.exit_code == 2
    assert f"{missing}:1:1: error: cannot read file" in result.stderr


def test_cli_invalid_statement_exits_1_with_its_line(tmp_path: Path) -> None:
    text = mutate(("keepfaith: 1\n", "keepfaith: 1\ncolour: blue\n"))
    path = write(tmp_path, text)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:{line_of(text, 'colour')}:1: error: unknown key")
    assert result.stdout.rstrip().endswith("[invalid]")


@pytest.mark.parametrize("name", ["digium", "estara", "eztalks", "parature", "starclicks"])
def test_example_statement_checks_clean(name: str) -> None:
    result = runner.invoke(app, ["check", str(EXAMPLES / name / "statement.yaml")])
    assert result.exit_code == 0, result.output
