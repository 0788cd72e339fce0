"""The staff's workflow for complaints and disclosures, in a real browser (Parature).

The screenshots in docs/sharing.md and docs/complaints.md are taken here, so the guides
show the pages as they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from keepfaith.ledger import disclosures, records, staff, subjects
from keepfaith.ledger.cases import listing
from tests.browser.conftest import Axe
from tests.conftest import EXAMPLES, ROOT
from tests.ledger.support import read, write

PARATURE = EXAMPLES / "parature" / "statement.yaml"
IMAGES = ROOT / "docs" / "images"


@pytest.fixture
def site(serve: Callable[..., Any]) -> Any:
    return serve(PARATURE)


def signed_in(context: BrowserContext, site: Any, role: str) -> None:
    """Give the browser a staff session of ``role``."""
    ledger = site.app.state.ledger
    user = write(ledger, staff.create_user, f"{role}@example.com", "a long passphrase 1", role)
    token = write(ledger, staff.start_session, user, dt.timedelta(minutes=30))
    context.add_cookies([{"name": "kf_session", "value": token, "url": site.url}])


def shot(page: Page, name: str, axe: Axe) -> None:
    """Screenshot the page for the docs, once axe-core finds nothing serious on it."""
    assert axe(page) == [], name
    IMAGES.mkdir(exist_ok=True)
    page.screenshot(path=str(IMAGES / f"{name}.png"), full_page=True)


def test_a_complaint_is_made_then_acknowledged_and_resolved_by_staff(
    page: Page, context: BrowserContext, site: Any, axe: Axe
) -> None:
    page.goto(site.url + "/t/parature/privacy-center/complaints")
    expect(page.locator("#body")).to_contain_text("TRUSTe")
    page.fill("#email", "ann@example.com")
    page.fill("#text", "I unsubscribed in May and still get your newsletter.")
    shot(page, "complaint-form", axe)
    page.click("button[type=submit]")
    expect(page.locator("[role=status]")).to_contain_text("we have your complaint")
    signed_in(context, site, "support_agent")
    page.goto(site.url + "/admin/t/parature/complaints")
    expect(page.locator("#complaints")).to_contain_text("open")
    shot(page, "complaints-queue", axe)
    page.click("#complaints a")
    expect(page.locator("#text")).to_contain_text("still get your newsletter")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#state")).to_have_text("acknowledged")
    page.fill("#answer", "We found a second list with your address and removed it.")
    shot(page, "complaint-case", axe)
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#state")).to_have_text("resolved")
    expect(page.locator("#trail")).to_contain_text("acknowledged")
    with site.app.state.ledger.reading() as tx:
        [case] = listing(tx, "parature", kind="complaint")
    assert case.answer == {"resolved": "We found a second list with your address and removed it."}


def test_a_legal_request_is_recorded_and_read_in_the_log_the_register_and_the_story(
    page: Page, context: BrowserContext, site: Any, axe: Axe
) -> None:
    ledger = site.app.state.ledger
    with ledger.transaction() as tx:
        ann = subjects.add(tx, "parature", "customer")
        records.add(tx, ann, "user.name", "Ann", collection_point="correspondence")
    signed_in(context, site, "privacy_officer")
    page.goto(site.url + "/admin/t/parature/legal-requests")
    expect(page.locator("#bases")).to_contain_text("dispute")
    page.select_option("#kind", "subpoena")
    page.select_option("#basis", "legal_process")
    page.fill("#requester", "Fairfax County Circuit Court")
    page.fill("#reference", "Subpoena CL-2026-0412")
    page.fill("#subject", str(ann.id))
    page.fill("#categories", "user.name")
    shot(page, "legal-request", axe)
    page.get_by_role("button", name="Record and disclose").click()
    expect(page.locator("#log")).to_contain_text("Subpoena CL-2026-0412")
    expect(page.locator("#log")).to_contain_text("PA-24")
    shot(page, "disclosure-log", axe)
    page.goto(site.url + "/admin/t/parature/ropa")
    expect(page.locator("#ropa")).to_contain_text("E.U. Safe Harbor Framework")
    shot(page, "ropa", axe)
    page.goto(site.url + f"/admin/t/parature/subjects/{ann.id}/story")
    expect(page.locator("#story")).to_contain_text("disclosure")
    expect(page.locator("#story")).to_contain_text("PA-24")
    shot(page, "story", axe)
    logged = read(ledger, disclosures.of, "parature")
    assert [d.reference for d in logged] == ["Subpoena CL-2026-0412"]
