"""The emails a person gets come in their page's language: German variants of the
templates (``name_de``), with the footer in German too."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from keepfaith.messaging import templates
from keepfaith.statement import load
from tests.conftest import EXAMPLES
from tests.messaging.conftest import World
from tests.messaging.test_sign_in import deliver, made_person
from tests.web.conftest import form_token

Mail = Callable[..., World]
Web = Callable[[World], httpx.Client]
REQUESTS = "/t/parature/privacy-center/requests"


def test_a_template_in_german_is_chosen_where_there_is_one() -> None:
    assert templates.localised(None, "parature", "notice", "de-DE") == "notice_de"
    assert templates.localised(None, "parature", "notice", "en") == "notice"
    assert templates.localised(None, "parature", "notice", "fr") == "notice"  # none yet
    assert templates.localised(None, "parature", "notice", "../x") == "notice"


def test_a_german_message_has_the_german_footer() -> None:
    statement = load(EXAMPLES / "parature" / "statement.yaml")
    purpose = statement.purposes[0]
    values = {"title": "Neu", "text": "Text.", "privacy_center_url": "https://x.test/pc"}
    german = templates.render(None, statement, purpose, "notice_de", values, promotional=False)
    assert "Ihre Einstellungen, was wir speichern" in german.text
    assert "Your choices" not in german.text
    english = templates.render(None, statement, purpose, "notice", values, promotional=False)
    assert "Your choices, what we hold" in english.text


def test_a_request_made_on_the_german_page_is_verified_in_german(mail: Mail, web: Web) -> None:
    world = mail("parature")
    client = web(world)
    made_person(client)
    token = form_token(client, REQUESTS)
    asked = client.post(
        REQUESTS,
        data={"kind": "portability", "email": "ann@example.com", "csrf_token": token},
        headers={"Accept-Language": "de"},
    )
    assert asked.status_code == 200, asked.text
    deliver(world)
    arrived = world.sink.wait_for(1)[-1]
    assert arrived.mail["Subject"].startswith("Bestätigen Sie"), arrived.mail["Subject"]
    assert "Wenn Sie es nicht waren" in arrived.text
