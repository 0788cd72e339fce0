"""A collection-point form and the privacy center, in a real browser (Parature)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from keepfaith.collect.links import link_token
from keepfaith.ledger import Ledger, consents, subjects
from tests.browser.conftest import SECRET
from tests.conftest import EXAMPLES, PARATURE_CONTACT
from tests.ledger.support import read

PARATURE = EXAMPLES / "parature" / "statement.yaml"
FORM = "/t/parature/forms/contact_form"
CONTACT = PARATURE_CONTACT


@pytest.fixture
def site(serve: Callable[..., Any]) -> Any:
    return serve(PARATURE)


def people(ledger: Ledger) -> int:
    with ledger.transaction() as tx:
        return len(subjects.of_tenant(tx, "parature"))


def fill_contact_form(page: Page, site: Any) -> None:
    page.goto(site.url + FORM)
    for name, value in CONTACT.items():
        page.fill(f"#f-{name}", value)


def test_form_refuses_an_undeclared_field_with_a_clear_message(page: Page, site: Any) -> None:
    fill_contact_form(page, site)
    # A page altered to ask for more than the statement declares.
    page.evaluate(
        """() => {
          const extra = document.createElement("input");
          extra.name = "date_of_birth"; extra.value = "1990-01-01";
          document.querySelector("form").appendChild(extra);
        }"""
    )
    page.click("button[type=submit]")
    expect(page.locator("#errors")).to_contain_text("nothing was stored")
    expect(page.locator("#errors")).to_contain_text("date_of_birth")
    assert people(site.app.state.ledger) == 0


def test_form_refuses_an_under_age_person_with_a_clear_message(page: Page, site: Any) -> None:
    fill_contact_form(page, site)
    page.fill("#f-age-gate", "12")
    page.click("button[type=submit]")
    expect(page.locator("#e-age-gate")).to_contain_text("at least 13 years old")
    assert people(site.app.state.ledger) == 0
    page.fill("#f-age-gate", "30")  # the same person, of age: stored
    for name, value in CONTACT.items():
        page.fill(f"#f-{name}", value)
    page.click("button[type=submit]")
    expect(page.get_by_role("status")).to_contain_text("we received your information")
    assert people(site.app.state.ledger) == 1


def test_privacy_center_round_trips_a_change(page: Page, site: Any) -> None:
    fill_contact_form(page, site)
    page.click("button[type=submit]")
    expect(page.get_by_role("status")).to_contain_text("we received your information")
    ledger: Ledger = site.app.state.ledger
    with ledger.transaction() as tx:
        (person,) = subjects.of_tenant(tx, "parature")
    token = link_token(SECRET, "parature", str(person.id))
    page.goto(f"{site.url}/t/parature/privacy-center?token={token}")
    box = page.locator("#choice-marketing_email")
    expect(box).not_to_be_checked()  # opt-in: off until the person ticks it
    box.check()
    page.click("#choices button[type=submit]")
    expect(page.get_by_role("status")).to_contain_text("Your choices are saved")
    expect(page.locator("#choice-marketing_email")).to_be_checked()
    page.reload()
    expect(page.locator("#choice-marketing_email")).to_be_checked()
    events = read(ledger, consents.history, person)
    assert [(e.choice, e.kind.value, e.method.value) for e in events] == [
        ("marketing_email", "given", "explicit")
    ]
