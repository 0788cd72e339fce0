"""The pages' languages: Babel catalogues, chosen by Accept-Language or the switch, and
complete for the example that declares a second language (Parature: en, de)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi import FastAPI

from keepfaith import translatable
from keepfaith.collect.links import link_token
from keepfaith.web import i18n
from tests.conftest import PARATURE_CONTACT, ROOT
from tests.web.conftest import SECRET

CENTER = "/t/parature/privacy-center"
METHOD_MAP = [
    (pattern.strip(), method.strip())
    for method, _, pattern in (
        line.strip()[1:-1].partition(":")
        for line in (ROOT / "babel.cfg").read_text("utf-8").splitlines()
        if line.startswith("[")
    )
]
"""What ``pybabel extract -F babel.cfg`` reads: the same files, read from the one place."""


def marked() -> set[str]:
    """Every text the pages mark for translation, as ``pybabel extract`` finds them."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords={"_": None, "N_": None, "gettext": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_german_catalogue_is_complete_and_the_template_current() -> None:
    german = translatable.catalogue("de")
    texts = marked()
    assert texts, "no text marked for translation"
    assert sorted(texts - set(german)) == []
    with (ROOT / "src/keepfaith/locale/messages.pot").open("rb") as pot:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}
    assert sorted(texts - template) == []


MAIL = ROOT / "src/keepfaith/messaging/templates"
FIELD = re.compile(r"\{\{\s*([a-z_]+)")


def test_every_email_a_person_gets_has_a_german_variant_with_the_same_values() -> None:
    english = [p for p in MAIL.iterdir() if p.suffix in {".txt", ".html"} and "_de." not in p.name]
    assert len(english) >= 8
    for path in english:
        german = path.with_name(f"{path.stem}_de{path.suffix}")
        assert german.is_file(), german.name
        original, translated = path.read_text("utf-8"), german.read_text("utf-8")
        assert set(FIELD.findall(original)) == set(FIELD.findall(translated)), german.name
        assert original.startswith("Subject:") == translated.startswith("Subject:")
        assert translated.endswith("\n") == original.endswith("\n"), german.name


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "de"),
        ("fr-FR, de;q=0.4", "de"),
        ("fr, en;q=0.1", "en"),
        ("en;q=0, de;q=0.2", "de"),
        ("", "en"),
        ("de;q=bad", "en"),
        ("x" * 5000, "en"),
    ],
)
def test_accept_language_picks_the_best_offered(header: str, expected: str) -> None:
    assert i18n.choose(["en", "de"], None, None, header) == expected


def test_a_page_follows_accept_language_and_the_switch(client: httpx.Client) -> None:
    german = client.get(CENTER, headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert german.status_code == 200
    assert '<html lang="de">' in german.text and "Ihre Datenschutzzentrale" in german.text
    assert german.headers["content-language"] == "de"
    english = client.get(CENTER)
    assert '<html lang="en">' in english.text and "Your privacy center" in english.text
    assert 'id="languages"' in english.text and 'href="?lang=de"' in english.text
    switched = client.get(CENTER + "?lang=de")
    assert (
        "Ihre Datenschutzzentrale" in switched.text
        and "kf_lang=de" in switched.headers["set-cookie"]
    )
    kept = client.get(CENTER)  # the cookie keeps the choice
    assert "Ihre Datenschutzzentrale" in kept.text
    back = client.get(CENTER + "?lang=en", headers={"Accept-Language": "de"})
    assert "Your privacy center" in back.text
    unknown = client.get(CENTER + "?lang=xx")
    assert unknown.status_code == 200


def test_the_persons_page_is_complete_in_german(client: httpx.Client, app: FastAPI) -> None:
    made = client.post("/api/t/parature/collect/contact_form", json={"fields": PARATURE_CONTACT})
    token = link_token(SECRET, "parature", str(made.json()["subject"]))
    client.get(f"{CENTER}?token={token}")
    page = client.get(CENTER, headers={"Accept-Language": "de"}).text
    for english in ("Your choices", "What we hold about you", "Save my choices", "Off until"):
        assert english not in page, english
    for german in ("Ihre Einstellungen", "Was wir über Sie speichern", "Wie wir Ihre Daten"):
        assert german in page, german


def test_a_tenant_without_a_second_language_offers_no_switch(
    make_app: object, make_client: object
) -> None:
    from tests.web.conftest import EZTALKS

    app = make_app((EZTALKS,))  # type: ignore[operator]
    page = make_client(app).get("/t/eztalks/privacy-center", headers={"Accept-Language": "de"})  # type: ignore[operator]
    assert '<html lang="en">' in page.text and 'id="languages"' not in page.text


def test_the_catalogue_files_are_where_the_docs_say() -> None:
    assert (Path(translatable.LOCALE) / "de" / "LC_MESSAGES" / "messages.po").is_file()
    assert translatable.available() >= {"en", "de"}


def test_the_console_comes_in_german_too(staff_client: object) -> None:
    from keepfaith.ledger.staff import Role

    officer = staff_client(Role.PRIVACY_OFFICER)  # type: ignore[operator]
    for path, german in [
        ("/admin/t/parature", "Einwilligungsprotokoll"),
        ("/admin/t/parature/subjects", "Eine Person finden"),
        ("/admin/t/parature/consents", "Als CSV herunterladen"),
        ("/admin/t/parature/consents/rates", "Einwilligungsquoten"),
    ]:
        page = officer.get(path, headers={"Accept-Language": "de"})
        assert page.status_code == 200 and german in page.text, path
        assert '<html lang="de">' in page.text


def test_the_request_complaint_and_disclosure_pages_come_in_german(client: httpx.Client) -> None:
    made = client.post("/api/t/parature/collect/contact_form", json={"fields": PARATURE_CONTACT})
    token = link_token(SECRET, "parature", str(made.json()["subject"]))
    client.get(f"{CENTER}?token={token}")
    german = {"Accept-Language": "de"}
    for path, english, words in [
        (
            "/requests",
            "Ask about your data",
            ("Ihren Daten", "Meine Daten löschen"),
        ),
        ("/complaints", "Make a complaint", ("Sich beschweren", "Was schiefgelaufen ist")),
        ("/disclosures", "Who received your data", ("Wer Ihre Daten erhalten hat",)),
    ]:
        page = client.get(CENTER + path, headers=german)
        assert page.status_code == 200, path
        assert english not in page.text and "Your email address" not in page.text, path
        assert all(word in page.text for word in words), path
        assert english in client.get(CENTER + path, headers={"Accept-Language": "en"}).text


def test_a_message_made_by_a_route_is_shown_in_german(client: httpx.Client) -> None:
    from tests.web.conftest import form_token

    requests = CENTER + "/requests"
    token = form_token(client, requests)
    sent = client.post(
        requests,
        data={"kind": "portability", "email": "ann@example.com", "csrf_token": token},
        headers={"Accept-Language": "de"},
    )
    assert sent.status_code == 200
    assert "ist ein Code an sie unterwegs" in sent.text and "Bestätigen" in sent.text
    case = sent.text.split("/requests/")[1].split("/")[0]
    wrong = client.post(
        f"{requests}/{case}/verify",
        data={"code": "000000x", "csrf_token": form_token(client, requests)},
        headers={"Accept-Language": "de"},
    )
    assert "Dieser Code stimmt nicht: noch " in wrong.text, wrong.text


def test_a_forms_errors_are_german_on_the_page_and_english_in_the_api(
    client: httpx.Client,
) -> None:
    from tests.web.conftest import form_token

    form = "/t/parature/forms/contact_form"
    token = form_token(client, form)
    sent = {**PARATURE_CONTACT, "email": "", "phone": "no number", "csrf_token": token}
    page = client.post(form, data=sent, headers={"Accept-Language": "de"})
    assert page.status_code == 422
    assert "ist erforderlich</span>" in page.text and "is required" not in page.text
    assert "muss eine Telefonnummer sein, etwa +1 555 0100" in page.text
    api = client.post(
        "/api/t/parature/collect/contact_form",
        json={"fields": {**PARATURE_CONTACT, "email": ""}},
        headers={"Accept-Language": "de"},
    )
    assert api.status_code == 422 and "is required" in api.text and "erforderlich" not in api.text


def test_a_reason_with_a_number_is_found_by_its_pattern() -> None:
    token = i18n.current.set("de")
    try:
        assert i18n.translated("is longer than 254 characters") == "ist länger als 254 Zeichen"
        assert i18n.translated("is required") == "ist erforderlich"
        assert i18n.translated("no such reason 1 2") == "no such reason 1 2"
        assert i18n.translated(None) == ""
    finally:
        i18n.current.reset(token)
    assert i18n.translated("is required") == "is required"


def test_the_statements_versions_page_comes_in_german(client: httpx.Client) -> None:
    page = client.get("/t/parature/versions", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert "Alle Fassungen dieser Datenschutzerklärung" in page.text and "(geltend)" in page.text
    assert "Every version" not in page.text


def test_every_state_and_kind_a_staff_page_shows_is_marked_and_german() -> None:
    from keepfaith.jobs.listing import STATUSES
    from keepfaith.ledger.cases import Kind, State
    from keepfaith.ledger.rows import Status
    from keepfaith.ledger.staff import Role
    from keepfaith.web import values

    assert set(values.CASE_STATES) == {s.value for s in State}
    assert set(values.CASE_KINDS) == {k.value for k in Kind}
    assert set(values.SUBJECT_STATUSES) == {s.value for s in Status}
    assert set(values.JOB_STATUSES) == set(STATUSES)
    assert set(values.STAFF_ROLES) == {r.value.replace("_", " ") for r in Role}
    german = translatable.catalogue("de")
    shown = values.CASE_STATES + values.CASE_KINDS + values.SUBJECT_STATUSES + values.STAFF_ROLES
    assert [name for name in shown + values.JOB_STATUSES if german.get(name, name) == name] == []


def test_a_requests_state_and_kind_are_german_on_the_console(
    client: httpx.Client, staff_client: object, api_token: object
) -> None:
    from keepfaith.ledger.staff import Role

    token = api_token(Role.PRIVACY_OFFICER)  # type: ignore[operator]
    made = client.post(
        "/api/t/parature/requests",
        json={"kind": "portability", "email": "ana.requests@example.org"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 202, made.text
    client = staff_client(Role.PRIVACY_OFFICER)  # type: ignore[operator]
    queue = client.get("/admin/t/parature/requests", headers={"Accept-Language": "de"})
    assert queue.status_code == 200
    assert "Datenübertragbarkeit" in queue.text and "unbestätigt" in queue.text
    english = client.get("/admin/t/parature/requests", headers={"Accept-Language": "en"})
    assert "<td>portability</td><td>unverified</td>" in english.text


PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_every_translation_uses_only_its_messages_placeholders() -> None:
    # A translation naming a value its message does not give would fail at render time.
    wrong = [
        message
        for language in translatable.available() - {"en"}
        for message, text in translatable.catalogue(language).items()
        for variant in ((text,) if isinstance(text, str) else text)
        if set(PLACEHOLDER.findall(variant)) - set(PLACEHOLDER.findall(message))
    ]
    assert wrong == []
