"""The statement's text per language (``translations``): refused at its line when wrong,
warned of when incomplete, shown in place of the default's, never material in a diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepfaith.exceptions import StatementError
from keepfaith.statement import check, load, loads
from keepfaith.statement.check import check_file
from keepfaith.statement.diff import diff, is_material
from keepfaith.statement.render import render_html, render_markdown
from keepfaith.statement.translations import TEXT, localised, missing
from tests.conftest import EXAMPLES, FIXTURES

MINIMAL = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")
GERMAN = """translations:
  de:
    title: Datenschutzerklärung von Acme
    purposes:
      account: {name: Ihr Konto verwalten}
"""


def with_german(block: str = GERMAN, languages: str = "languages: [en, de]\n") -> str:
    text = MINIMAL.replace("organisation:\n", f"{languages}organisation:\n", 1)
    return text + block


def line_of(text: str, marker: str) -> int:
    assert text.count(marker) == 1, marker
    return text[: text.index(marker)].count("\n") + 1


def test_a_translation_replaces_the_text_it_gives_and_nothing_else() -> None:
    statement = loads(with_german())
    german = localised(statement, "de")
    assert german.purpose("account").name == "Ihr Konto verwalten"
    assert german.title == "Datenschutzerklärung von Acme"
    # What it does not give stays the default's; everything but text is the statement's.
    assert german.purpose("billing").name == statement.purpose("billing").name
    assert german.model_dump(exclude={"title", "purposes"}) == statement.model_dump(
        exclude={"title", "purposes"}
    )
    assert [p.model_dump(exclude={"name"}) for p in german.purposes] == [
        p.model_dump(exclude={"name"}) for p in statement.purposes
    ]
    assert localised(statement, "en") is statement
    assert localised(statement, None) is statement
    assert localised(statement, "de-AT").title == german.title  # by its base language


@pytest.mark.parametrize(
    ("block", "marker", "reason"),
    [
        pytest.param(
            "translations:\n  fr:\n    title: Déclaration\n",
            "fr:",
            "language 'fr' is not declared in languages (en, de)",
            id="undeclared-language",
        ),
        pytest.param(
            "translations:\n  en:\n    title: Again\n",
            "en:\n    title: Again",
            "'en' is the statement's default language",
            id="default-language",
        ),
        pytest.param(
            "translations:\n  de:\n    purposes:\n      advertising: {name: Werbung}\n",
            "advertising:",
            "purposes has no item 'advertising'",
            id="unknown-id",
        ),
        pytest.param(
            "translations:\n  de:\n    purposes:\n      account: {basis: opt_in}\n",
            "{basis: opt_in}",
            "'basis' cannot be translated in purposes.account (translatable: name, description",
            id="not-text",
        ),
        pytest.param(
            "translations:\n  de:\n    security:\n      measures: [Verschlüsselt]\n",
            "measures: [Verschlüsselt]",
            "security.measures has 2 items in the statement and 1 here",
            id="wrong-length",
        ),
        pytest.param(
            "translations:\n  de:\n    subject_kinds:\n      visitor: {name: Besucher, der}\n",
            "visitor: {name",
            "an unquoted comma",
            id="cut-at-a-comma",
        ),
        pytest.param(
            "translations:\n  de:\n    purposes:\n      account: {name: [a, b]}\n",
            "{name: [a, b]}",
            "purposes.account.name must be a text",
            id="not-a-string",
        ),
    ],
)
def test_a_wrong_translation_is_refused_at_its_line(
    tmp_path: Path, block: str, marker: str, reason: str
) -> None:
    text = with_german(block)
    path = tmp_path / "statement.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StatementError) as caught:
        load(path)
    location, message = caught.value.problems[0]
    assert (location.file, location.line) == (str(path), line_of(text, marker))
    assert reason in message
    findings = check_file(path)
    assert findings[0].code == "invalid" and reason in findings[0].message


def test_a_missing_text_is_a_warning_at_the_default_text(tmp_path: Path) -> None:
    text = with_german()
    path = tmp_path / "statement.yaml"
    path.write_text(text, encoding="utf-8")
    findings = [f for f in check_file(path) if f.code == "translation-missing"]
    assert findings and {f.severity for f in findings} == {"warning"}
    by_path = {f.path: f for f in findings}
    billing = next(i for i, p in enumerate(load(path).purposes) if p.id == "billing")
    assert ("purposes", billing, "name") in by_path
    assert ("title",) not in by_path  # given
    found = by_path[("purposes", billing, "name")]
    assert found.location is not None
    assert found.location.line == line_of(text, "name: Take payment")
    assert "no 'de' text for purposes[" in found.message


def test_a_declared_language_without_a_block_is_not_a_finding() -> None:
    statement = loads(with_german(block=""))
    assert [f for f in check(statement) if f.code == "translation-missing"] == []
    assert list(missing(statement, "de")) == []


def test_every_translatable_field_is_text() -> None:
    for model, names in TEXT.items():
        for name in names:
            annotation = str(model.model_fields[name].annotation)
            assert "str" in annotation, f"{model.__name__}.{name}: {annotation}"


def test_the_parature_example_is_complete_in_german() -> None:
    statement = load(EXAMPLES / "parature" / "statement.yaml")
    assert list(missing(statement, "de")) == []
    german = localised(statement, "de")
    assert german.purpose("marketing_email").name.startswith("E-Mails über Parature")
    assert german.category("user.contact.email").name == "E-Mail-Adresse"
    assert german.collection_point("contact_form").fields[0].label == "Name"
    assert german.security.measures[0].startswith("SSL schützt")


def test_the_page_is_rendered_in_the_language_asked_for() -> None:
    statement = loads(with_german())
    german = render_html(statement, language="de", switch=[("en", "English"), ("de", "Deutsch")])
    assert '<html lang="de">' in german
    assert "Ihr Konto verwalten" in german and "Administer your account" not in german
    assert 'href="?lang=en"' in german
    english = render_html(statement)
    assert '<html lang="en">' in english and "Administer your account" in english
    assert 'id="languages"' not in english
    # A language with no text renders the default's, and says so in lang.
    assert '<html lang="en">' in render_html(statement, language="fr")
    assert "Ihr Konto verwalten" in render_markdown(statement, language="de")


def test_a_changed_translation_is_never_material() -> None:
    old = loads(with_german())
    new = loads(with_german(GERMAN.replace("Ihr Konto verwalten", "Konto führen")))
    changes = diff(old, new)
    assert [(c.kind, c.material, c.path) for c in changes] == [
        ("translation_changed", False, ("translations", "de"))
    ]
    added = diff(loads(with_german(block="")), old)
    assert [(c.kind, c.material) for c in added] == [("translation_added", False)]
    removed = diff(old, loads(with_german(block="")))
    assert [(c.kind, c.material) for c in removed] == [("translation_removed", False)]
    assert not is_material(changes + added + removed)
