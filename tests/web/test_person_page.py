"""The person's one page: choices by group with effect and clause, what is held with its
source and purpose, requests and their state, consent history with receipts, GPC; and
the links to it from the statement page and the thank-you page."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from keepfaith.collect.links import link_token
from keepfaith.ledger import Subject, subjects
from tests.conftest import PARATURE_CONTACT
from tests.ledger.support import read
from tests.web.conftest import SECRET, form_token

CENTER = "/t/parature/privacy-center"


def signed_in(client: httpx.Client, app: FastAPI) -> Subject:
    made = client.post("/api/t/parature/collect/contact_form", json={"fields": PARATURE_CONTACT})
    assert made.status_code == 201, made.text
    person = read(app.state.ledger, subjects.get, "parature", made.json()["subject"])
    token = link_token(SECRET, "parature", str(person.id))
    assert client.get(f"{CENTER}?token={token}").is_redirect
    return person


def section(page: str, anchor: str) -> str:
    """The text of the ``<section>`` whose heading has id ``anchor``."""
    found = re.search(rf'<h2 id="{anchor}">.*?</section>', page, re.S)
    assert found, anchor
    return found.group(0)


def test_choices_are_grouped_with_their_effect_and_clause(
    client: httpx.Client, app: FastAPI
) -> None:
    signed_in(client, app)
    page = client.get(CENTER).text
    choices = section(page, "your-choices")
    uses = re.search(r'id="group-uses".*?</fieldset>', choices, re.S)
    cookies = re.search(r'id="group-cookies".*?</fieldset>', choices, re.S)
    assert uses and cookies
    assert "choice:marketing_email" in uses.group(0) and "choice:cookie:" in cookies.group(0)
    assert "Off until you turn it on" in uses.group(0)  # marketing email: opt-in
    assert "On unless you turn it off" in uses.group(0)  # partner sharing: opt-out
    statement = app.state.statements["parature"]
    marketing = next(p for p in statement.purposes if p.id == "marketing_email")
    assert marketing.clauses and all(f">{c}</a>" in uses.group(0) for c in marketing.clauses)
    assert 'id="gpc-state"' in choices and "no signal" in choices


def test_what_is_held_shows_each_category_with_its_source_and_purpose(
    client: httpx.Client, app: FastAPI
) -> None:
    signed_in(client, app)
    held = section(client.get(CENTER).text, "your-information")
    statement = app.state.statements["parature"]
    point = statement.collection_point("contact_form")
    email = statement.category("user.contact.email")
    row = re.search(rf"<tr><th scope=\"row\">{re.escape(email.name)}.*?</tr>", held, re.S)
    assert row, held
    assert point.name in row.group(0)
    names = {p.id: p.name for p in statement.purposes}
    assert any(names[p] in row.group(0) for p in point.purposes)
    assert "ann@example.com" not in held.split("Correct your information")[0]  # categories only


def test_requests_and_consent_history_with_receipts_show(
    client: httpx.Client, app: FastAPI
) -> None:
    signed_in(client, app)
    page = client.get(CENTER).text
    assert "You have made no requests." in section(page, "your-requests")
    assert "No choice recorded yet." in section(page, "your-history")
    token = form_token(client, CENTER)
    sent = {"csrf_token": token, "choice:marketing_email": "on", "choice:partner_sharing": "on"}
    sent["choice:offer_information"] = "on"
    assert client.post(f"{CENTER}/choices", data=sent).status_code == 303
    asked = client.post(
        f"{CENTER}/requests",
        data={
            "kind": "correct",
            "email": "ann@example.com",
            "category": "user.name",
            "value": "Ann Other",
            "csrf_token": token,
        },
    )
    assert asked.status_code == 200, asked.text
    page = client.get(CENTER).text
    requests = section(page, "your-requests")
    assert "Correct" in requests and "waiting for you to confirm it is you" in requests
    history = section(page, "your-history")
    receipts = client.get("/api/t/parature/consents/receipts").json()
    assert len(receipts) == 1
    assert receipts[0]["consentReceiptID"][:8] in history and "given" in history


def test_the_gpc_signal_is_shown(client: httpx.Client, app: FastAPI) -> None:
    signed_in(client, app)
    page = client.get(CENTER, headers={"Sec-GPC": "1"}).text
    assert 'id="gpc"' in page and 'id="gpc-state"' not in page


def test_the_statement_and_the_thank_you_page_link_to_the_privacy_center(
    client: httpx.Client,
) -> None:
    statement = client.get("/t/parature/")
    assert f'href="{CENTER}" id="privacy-center-link"' in statement.text
    form = "/t/parature/forms/contact_form"
    token = form_token(client, form)
    fields = dict(PARATURE_CONTACT)
    done = client.post(form, data={"csrf_token": token, **fields}, follow_redirects=True)
    assert "Thank you" in done.text, done.text[:2000]
    assert f'href="{CENTER}" id="privacy-center-link"' in done.text


def test_a_sign_in_form_is_offered_to_everyone(client: httpx.Client) -> None:
    page = client.get(CENTER).text
    assert f'action="{CENTER}/sign-in"' in page and 'name="email"' in page


def test_the_tenants_colour_themes_its_pages(client: httpx.Client, app: FastAPI) -> None:
    theme = client.get("/t/parature/theme.css")
    colour = app.state.statements["parature"].organisation.colour
    assert theme.status_code == 200 and theme.headers["content-type"].startswith("text/css")
    assert theme.text == f":root {{ --brand: {colour}; }}\n"
    page = client.get(CENTER).text
    assert '<link rel="stylesheet" href="/t/parature/theme.css">' in page
    sheet = client.get("/static/keepfaith.css").text
    assert "var(--brand)" in sheet and "prefers-color-scheme: dark" in sheet
    assert ":focus-visible" in sheet
