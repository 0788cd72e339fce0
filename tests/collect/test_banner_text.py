"""The banner's strings: every language has every string, with the same placeholders."""

from __future__ import annotations

import re

import pytest

from keepfaith.collect.banner_text import (
    ENGLISH,
    TRANSLATIONS,
    banner_text,
    choose_language,
    languages_with_text,
)
from keepfaith.statement import load
from keepfaith.statement.schema import CookieCategory
from tests.conftest import EXAMPLES

PLACEHOLDER = re.compile(r"\{\w+\}")


@pytest.mark.parametrize("language", sorted(TRANSLATIONS))
def test_every_translation_is_complete(language: str) -> None:
    translated = TRANSLATIONS[language]
    assert set(translated) == set(ENGLISH)
    for key, english in ENGLISH.items():
        assert PLACEHOLDER.findall(translated[key]) == PLACEHOLDER.findall(english), key


def test_every_category_has_a_name_and_description() -> None:
    for category in CookieCategory:
        assert ENGLISH[f"category.{category.value}"]
        assert ENGLISH[f"category.{category.value}.description"]


def test_the_organisation_is_filled_in_and_the_rest_left_for_the_script() -> None:
    text = banner_text("fr", "Acme")
    assert text["intro"].startswith("Acme ")
    assert text["days"] == "{n} jours"
    assert banner_text("pt-BR", "Acme")["acceptAll"] == "Accept all"  # no text: English


@pytest.mark.parametrize(
    ("offered", "wanted", "accept", "expected"),
    [
        (("en", "fr"), None, "fr-CH, en;q=0.5", "fr"),
        (("en", "fr"), None, "", "en"),
        (("fr", "en"), None, "", "fr"),
        (("nl",), None, "nl", "en"),  # the statement's language has no banner text
        (("en", "de", "fr"), None, "de-AT, fr;q=0.5", "de"),
        (("en", "fr"), "de", "fr", "fr"),
    ],
)
def test_choose_language(
    offered: tuple[str, ...], wanted: str | None, accept: str, expected: str
) -> None:
    assert choose_language(offered, wanted, accept) == expected


def test_every_language_an_example_declares_has_banner_text() -> None:
    for path in sorted(EXAMPLES.glob("*/statement.yaml")):
        for tag in load(path).languages:
            assert tag.split("-")[0] in languages_with_text(), (path.parent.name, tag)
    assert banner_text("de", "Acme")["acceptAll"] == "Alle akzeptieren"
