"""The people's pages and the console in Chromium: sign in by an emailed link (caught by
a loopback SMTP server), change a choice, find it in the console, issue and revoke a
token; screenshots at desktop and phone widths for the docs; axe-core on every page.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from keepfaith import jobs
from keepfaith.ledger import staff
from keepfaith.ledger.staff import Role
from keepfaith.settings import Settings
from keepfaith.web.app import create_app, prepare
from tests.browser.conftest import SECRET, LiveServer, axe_violations
from tests.conftest import EXAMPLES, PARATURE_CONTACT, ROOT
from tests.messaging.sink import Sink

PARATURE = EXAMPLES / "parature" / "statement.yaml"
CENTER = "/t/parature/privacy-center"
CONSOLE = "/admin/t/parature"
IMAGES = ROOT / "docs" / "images"
LINK = re.compile(r"https://privacy\.example\.test(/t/parature/privacy-center\?token=\S+)")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
OWNER_EMAIL, PASSWORD = "owner@example.test", "a long owner password"


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink() as running:
        yield running


@pytest.fixture
def site(database_url: str, sink: Sink) -> Iterator[Any]:
    settings = Settings(
        database_url=database_url,
        statements=(PARATURE,),
        secret_key=SECRET,
        cookie_secure=False,
        access_log=False,
        rate_limit_per_minute=0,
        public_url="https://privacy.example.test",
        mail_from="Privacy <privacy@example.test>",
        mail_domain="example.test",
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_security="none",
    )
    prepare(settings)
    server = LiveServer(create_app(settings)).__enter__()
    server.settings = settings  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.__exit__()
        server.app.state.ledger.close()


def shoot(page: Page, name: str, must_see: list[str]) -> None:
    """Screenshots at desktop and phone widths into docs/images, each checked for the
    elements that must show without scrolling."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")
        for selector in must_see:
            box = page.locator(selector).first.bounding_box()
            assert box is not None, selector
            assert box["y"] + box["height"] <= size["height"], (
                f"{selector} below the fold ({label})"
            )
            assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], (
                f"{selector} ({label})"
            )
        wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert wide[0] <= wide[1], f"the page scrolls sideways ({label}): {wide}"
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / f"{name}-{label}.png"))
    page.set_viewport_size(DESKTOP)


def no_serious_violations(page: Page) -> None:
    found = axe_violations(page)
    assert found == [], found


def sign_in_by_email(page: Page, site: Any, sink: Sink) -> None:
    page.goto(site.url + "/t/parature/forms/contact_form")
    for name, value in PARATURE_CONTACT.items():
        page.fill(f"#f-{name}", value)
    page.click("button[type=submit]")
    expect(page.get_by_role("status")).to_be_visible()
    page.click("#privacy-center-link")  # the thank-you page links the privacy center
    expect(page.locator("#sign-in")).to_be_visible()
    if page.evaluate("document.documentElement.lang") == "en":
        shoot(page, "privacy-center-sign-in", ["h1", "#link-email", "#sign-in button"])
    no_serious_violations(page)
    page.fill("#link-email", PARATURE_CONTACT["email"])
    page.click("#sign-in button")
    expect(page.locator("#message")).to_be_visible()
    # Playwright's sync API keeps an event loop on this thread; the worker runs its own.
    worker = threading.Thread(
        target=jobs.work, args=(site.app.state.ledger, site.settings), kwargs={"burst": True}
    )
    worker.start()
    worker.join(timeout=60)
    [mail] = sink.wait_for(1)
    found = LINK.search(mail.text)
    assert found, mail.text
    page.goto(site.url + found.group(1))
    expect(page.locator("#your-choices")).to_be_visible()
    assert "token=" not in page.url


def test_a_person_signs_in_by_email_link_and_changes_a_choice(
    page: Page, site: Any, sink: Sink
) -> None:
    sign_in_by_email(page, site, sink)
    box = page.locator("#choice-marketing_email")
    expect(box).not_to_be_checked()
    box.check()
    page.click("#choices button[type=submit]")
    expect(page.get_by_role("status")).to_contain_text("Your choices are saved")
    expect(page.locator("#history")).to_contain_text("given")
    expect(page.locator("#held")).to_contain_text("Email address")
    shoot(page, "privacy-center", ["h1", "#your-choices", "#group-uses legend"])
    no_serious_violations(page)
    page.goto(site.url + "/t/parature/")
    expect(page.locator("#privacy-center-link")).to_be_visible()


def staff_sign_in(page: Page, site: Any, role: Role = Role.OWNER) -> None:
    with site.app.state.ledger.transaction() as tx:
        staff.create_user(tx, OWNER_EMAIL, PASSWORD, role)
    page.goto(site.url + "/login")
    page.fill("#email", OWNER_EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin$"))


def test_staff_see_the_change_in_the_console(
    page: Page, browser: Browser, site: Any, sink: Sink
) -> None:
    sign_in_by_email(page, site, sink)
    page.locator("#choice-marketing_email").check()
    page.click("#choices button[type=submit]")
    expect(page.get_by_role("status")).to_contain_text("Your choices are saved")
    officer = browser.new_context().new_page()
    staff_sign_in(officer, site)
    officer.click(f'a[href="{CONSOLE}"]')
    expect(officer.locator("h1")).to_have_text("Parature, Inc.")
    shoot(officer, "console-home", ["h1", "nav.side", ".cards li"])
    no_serious_violations(officer)
    officer.click(f'nav.side a[href="{CONSOLE}/subjects"]')
    officer.fill("#q", PARATURE_CONTACT["email"].upper())
    officer.click("#search button")
    officer.locator("#found a").first.click()
    expect(officer.locator("#consents")).to_be_visible()
    expect(officer.locator("table").nth(1)).to_contain_text("given")
    shoot(officer, "console-subject", ["h1", "#records"])
    no_serious_violations(officer)
    officer.click(f'nav.side a[href="{CONSOLE}/consents"]')
    expect(officer.locator("#log")).to_contain_text("given")
    shoot(officer, "console-consent-log", ["h1", "#filters", "#csv"])
    no_serious_violations(officer)
    with officer.expect_download() as download:
        officer.click("#csv")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("event,at,subject,choice") and "given" in text
    officer.click(f'nav.side a[href="{CONSOLE}/consents/rates"]')
    expect(officer.locator("#chart svg")).to_be_visible()
    shoot(officer, "console-rates", ["h1", "#chart svg"])
    no_serious_violations(officer)
    officer.context.close()


def test_an_owner_issues_and_revokes_a_token(page: Page, site: Any) -> None:
    staff_sign_in(page, site)
    page.goto(site.url + "/admin/staff")
    page.fill("#token-name", "crm")
    page.select_option("#token-role", "auditor")
    page.click("#token-form button")
    token = page.locator("#new-token code").inner_text()
    me = httpx.get(site.url + "/admin/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["role"] == "auditor"
    no_serious_violations(page)
    page.goto(site.url + "/admin/staff")
    row = page.locator("tr", has_text="crm")
    row.locator("button", has_text="Revoke").click()
    expect(page.locator("tr", has_text="crm")).to_have_count(0)
    me = httpx.get(site.url + "/admin/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


def test_the_pages_in_german_and_in_dark_mode(browser: Browser, site: Any, sink: Sink) -> None:
    context = browser.new_context(color_scheme="dark", locale="de-DE")
    page = context.new_page()
    try:
        sign_in_by_email(page, site, sink)  # the browser asks for German: the page is German
        expect(page.locator("h1")).to_have_text("Ihre Datenschutzzentrale")
        assert page.evaluate("document.documentElement.lang") == "de"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(20, 21, 24)", background  # the dark palette
        shoot(page, "privacy-center-dark-de", ["h1", "#your-choices"])
        no_serious_violations(page)  # contrast included, in the dark palette
        page.locator("#languages a", has_text="English").click()
        expect(page.locator("h1")).to_have_text("Your privacy center")
        page.reload()
        expect(page.locator("h1")).to_have_text("Your privacy center")  # the switch stays
    finally:
        context.close()


def test_a_german_owner_works_the_staff_pages_in_german(browser: Browser, site: Any) -> None:
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    try:
        staff_sign_in(page, site)
        assert page.evaluate("document.documentElement.lang") == "de"
        expect(page.locator("h2").first).to_have_text("Mandanten")
        page.goto(site.url + "/admin/staff")
        page.fill("#token-name", "crm")
        page.click("#token-form button")
        expect(page.locator("#new-token")).to_contain_text("Kopieren Sie es jetzt")
        no_serious_violations(page)
        page.goto(site.url + "/admin/staff")
        page.locator("tr", has_text="crm").locator("button", has_text="Widerrufen").click()
        expect(page.locator("tr", has_text="crm")).to_have_count(0)
        for path, heading in [
            (f"{CONSOLE}/requests", "Anträge auf Betroffenenrechte: parature"),
            (f"{CONSOLE}/publish", "Eine neue Fassung von parature veröffentlichen"),
        ]:
            page.goto(site.url + path)
            expect(page.locator("h1")).to_have_text(heading)
            no_serious_violations(page)
        page.goto(site.url + "/t/parature/")  # the statement, its own words in German
        assert page.evaluate("document.documentElement.lang") == "de"
        expect(page.locator("h1")).to_have_text("Datenschutzerklärung von Parature")
        no_serious_violations(page)
    finally:
        context.close()
