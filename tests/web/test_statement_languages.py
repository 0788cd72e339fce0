"""The statement's own text (``translations``) on the pages people read: the statement
page, the privacy center and the banner show it in the page's language, English
otherwise (Parature declares en, de and gives German for every text)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
from babel.messages.extract import extract_from_dir
from fastapi import FastAPI
from typer.testing import CliRunner

from keepfaith.cli import app as cli
from keepfaith.collect.links import link_token
from tests.conftest import PARATURE_CONTACT, ROOT
from tests.web.conftest import PARATURE, SECRET
from tests.web.test_cookies import banner_config_of
from tests.web.test_languages import METHOD_MAP

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def test_the_statement_page_follows_accept_language_and_the_switch(client: httpx.Client) -> None:
    german = client.get("/t/parature/", headers=GERMAN)
    assert german.status_code == 200
    assert '<html lang="de">' in german.text and german.headers["content-language"] == "de"
    for words in ("E-Mails über Parature, seine Dienste und seine Partner", "E-Mail-Adresse"):
        assert words in german.text, words
    assert "Email about Parature, its Services and its partners" not in german.text
    assert 'href="?lang=en"' in german.text and "Content-Security-Policy" in german.headers
    english = client.get("/t/parature/")
    assert '<html lang="en">' in english.text
    assert "Email about Parature, its Services and its partners" in english.text
    assert "E-Mail-Adresse" not in english.text
    switched = client.get("/t/parature/?lang=de")
    assert "kf_lang=de" in switched.headers["set-cookie"] and '<html lang="de">' in switched.text
    assert '<html lang="de">' in client.get("/t/parature/").text  # the cookie keeps it
    assert '<html lang="en">' in client.get("/t/parature/?lang=en", headers=GERMAN).text


def test_the_privacy_center_shows_the_statements_german(client: httpx.Client) -> None:
    made = client.post("/api/t/parature/collect/contact_form", json={"fields": PARATURE_CONTACT})
    token = link_token(SECRET, "parature", str(made.json()["subject"]))
    client.get(f"/t/parature/privacy-center?token={token}")
    german = client.get("/t/parature/privacy-center", headers=GERMAN).text
    assert "E-Mails über Parature, seine Dienste und seine Partner" in german
    assert "Email about Parature" not in german
    assert "E-Mail-Adresse" in german  # a held category, by its German name
    english = client.get("/t/parature/privacy-center", headers={"Accept-Language": "en"}).text
    assert "Email about Parature, its Services and its partners" in english
    assert "E-Mail-Adresse" not in english


def test_a_form_shows_its_german_labels(client: httpx.Client) -> None:
    german = client.get("/t/parature/forms/contact_form", headers=GERMAN).text
    assert "Kontaktformular" in german and "Zahl der Nutzer in Ihrer Organisation" in german
    english = client.get("/t/parature/forms/contact_form").text
    assert "Number of users in your organization" in english


def test_the_banner_shows_the_cookies_german(client: httpx.Client) -> None:
    def cookies(headers: dict[str, str]) -> dict[str, str]:
        script = client.get("/t/parature/cookie-banner.js", headers=headers).text
        config = json.loads(banner_config_of(script))
        return {c["name"]: c["purpose"] for g in config["categories"] for c in g["cookies"]}

    german, english = cookies(GERMAN), cookies({"Accept-Language": "en"})
    script = client.get("/t/parature/cookie-banner.js", headers=GERMAN).text
    names = {g["id"]: g["name"] for g in json.loads(banner_config_of(script))["categories"]}
    assert names["analytics"] == "Statistik"  # the categories: keepfaith's own words
    assert german["ad_server"].startswith("Beobachtet Informationen über die")
    assert english["ad_server"].startswith("Monitors information about the advertisements")
    assert german.keys() == english.keys()
    # The version the banner records against is the same in every language.
    versions = {
        json.loads(banner_config_of(client.get("/t/parature/cookie-banner.js", headers=h).text))[
            "version"
        ]
        for h in (GERMAN, {"Accept-Language": "en"})
    }
    assert len(versions) == 1


def test_a_language_with_the_statements_text_but_no_catalogue_is_offered(
    tmp_path: Path, make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    text = PARATURE.read_text("utf-8").replace("languages: [en, de, fr]", "languages: [en, de, nl]")
    text += "  nl:\n    purposes:\n      marketing_email: {name: E-mail over Parature}\n"
    path = tmp_path / "statement.yaml"
    path.write_text(text, encoding="utf-8")
    client = make_client(make_app((path,)))
    page = client.get("/t/parature/", headers={"Accept-Language": "nl"})
    assert '<html lang="nl">' in page.text and "E-mail over Parature" in page.text
    assert 'href="?lang=nl"' in client.get("/t/parature/").text  # in the switch
    center = client.get("/t/parature/privacy-center", headers={"Accept-Language": "nl"})
    assert center.headers["content-language"] == "nl"
    assert "Your privacy center" in center.text  # keepfaith's words: no Dutch catalogue


STATEMENT_WORDS = [
    (pattern, method)
    for pattern, method in METHOD_MAP
    if pattern.startswith("src/keepfaith/statement/")
]
PLACEHOLDER_OR_TAG = re.compile(r"%\(\w+\)s|<[^>]*>")


def keepfaiths_sentences() -> set[str]:
    """The English pieces of keepfaith's own words on the statement page: each marked
    message split at its placeholders and tags, the pieces of three words or more."""
    pieces = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), STATEMENT_WORDS, keywords={"_": None, "N_": None}
    ):
        text = message if isinstance(message, str) else message[0]
        pieces.update(p.strip(" .,:;()") for p in PLACEHOLDER_OR_TAG.split(text))
    return {p for p in pieces if len(p.split()) >= 3}


def shown(page: str) -> str:
    """A page's text as a reader sees it: no tags, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_keepfaiths_own_words_on_the_statement_page_come_in_german(client: httpx.Client) -> None:
    english = shown(client.get("/t/parature/").text)
    german = shown(client.get("/t/parature/", headers=GERMAN).text)
    pieces = keepfaiths_sentences()
    on_the_page = {p for p in pieces if p in english}
    assert len(on_the_page) > 40, "the scan finds keepfaith's sentences on the English page"
    assert sorted(p for p in on_the_page if p in german) == []
    for words in (
        "Was wir erheben",
        "Wir bestätigen jede Beschwerde innerhalb von 10 Tagen.",
        "Wenn wir Ihre Beschwerde nicht lösen, können Sie sich an TRUSTe wenden",
        "nur mit Ihrer Einwilligung",  # a basis, from the words for enum values
        "15 Tage, nachdem wir Ihnen eine E-Mail geschickt haben",
    ):
        assert words.lower() in german.lower(), words
    # The same facts in both languages: every number the English page shows, the German
    # page shows too (days, ages, versions, phone numbers).
    assert set(re.findall(r"\d+", english)) == set(re.findall(r"\d+", german))


def test_keepfaith_render_writes_its_own_words_in_the_language_asked() -> None:
    result = CliRunner().invoke(
        cli, ["render", str(PARATURE), "--format", "markdown", "--language", "de"]
    )
    assert result.exit_code == 0, result.output
    assert "## Was wir erheben {#collected}" in result.output
    assert "## What we collect" not in result.output
    english = CliRunner().invoke(cli, ["render", str(PARATURE), "--format", "markdown"])
    assert "## What we collect {#collected}" in english.output
