"""The cookie banner in a real browser, on Parature's cookie declarations.

The test app gets a page of a pretend tenant site: it embeds the banner and, for every
declared cookie, a blocked script (``type="text/plain" data-category=...``) that sets
that cookie, as a third-party tag would. What the browser holds afterwards
(``context.cookies()``) is compared with the declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from playwright.sync_api import BrowserContext, Page, expect

from keepfaith.collect.cookie_choice import REFERENCE_PREFIX
from keepfaith.ledger import ConsentEvent, Ledger, consents, subjects
from keepfaith.statement import Statement, load
from keepfaith.statement.schema import CookieCategory
from tests.conftest import EXAMPLES

PARATURE = EXAMPLES / "parature" / "statement.yaml"
STORE = "keepfaith-consent:parature"


def add_site(app: FastAPI) -> None:
    """``/site``: a page with one blocked script per declared cookie, and the banner."""
    statement: Statement = next(iter(app.state.statements.values()))
    tags = "\n".join(
        f'<script type="text/plain" data-category="{c.category.value}" '
        f'src="/site/tag/{c.name}.js"></script>'
        for c in statement.cookies
    )
    html = (
        "<!doctype html><html><head><title>Site</title></head><body><p>A tenant page.</p>"
        f'{tags}\n<script src="/t/{statement.id}/cookie-banner.js"></script></body></html>'
    )

    def page() -> HTMLResponse:
        return HTMLResponse(html)

    def tag(name: str) -> Response:
        # Sets its declared cookie, and notes that it ran.
        code = (
            f'document.cookie = "{name}=1; path=/; max-age=3600";'
            f'(window.ran = window.ran || []).push("{name}");'
        )
        return Response(code, media_type="text/javascript")

    app.add_api_route("/site", page, methods=["GET"])
    app.add_api_route("/site/tag/{name}.js", tag, methods=["GET"])


@pytest.fixture
def site(serve: Callable[..., Any]) -> Any:
    return serve(PARATURE, extend=add_site)


def declared(*categories: CookieCategory) -> set[str]:
    return {c.name for c in load(PARATURE).cookies if c.category in categories}


NECESSARY = declared(CookieCategory.NECESSARY)
ALL = declared(*CookieCategory)
ADVERTISING = declared(CookieCategory.ADVERTISING)


def cookie_names(context: BrowserContext) -> set[str]:
    return {c["name"] for c in context.cookies()}


def open_site(page: Page, site: Any) -> None:
    page.goto(f"{site.url}/site")
    expect(page.locator("#keepfaith-banner")).to_be_visible()


def choose(page: Page, button: str) -> None:
    """Press a banner button and wait until the server has recorded the choice."""
    page.click(button)
    expect(page.locator("#keepfaith-banner")).to_have_count(0)
    page.wait_for_function(
        f"""() => {{
          const saved = JSON.parse(localStorage.getItem({STORE!r}) || "null");
          return saved !== null && saved.version === window.keepfaithCookies.config.version;
        }}"""
    )


def visitor_events(ledger: Ledger) -> list[ConsentEvent]:
    with ledger.transaction() as tx:
        visitors = [
            s
            for s in subjects.of_tenant(tx, "parature")
            if (s.reference or "").startswith(REFERENCE_PREFIX)
        ]
        return [e for s in visitors for e in consents.history(tx, s)]


def ran(page: Page) -> set[str]:
    return set(page.evaluate("() => window.ran || []"))


def test_accepting_sets_exactly_the_declared_cookies(page: Page, site: Any) -> None:
    open_site(page, site)
    # Before any choice only the necessary tag has run.
    page.wait_for_function("() => (window.ran || []).length > 0")
    assert ran(page) == NECESSARY
    assert cookie_names(page.context) == NECESSARY

    choose(page, "#keepfaith-accept")
    page.wait_for_function(f"() => (window.ran || []).length === {len(ALL)}")
    assert cookie_names(page.context) == ALL
    events = visitor_events(site.app.state.ledger)
    assert {(e.choice, e.kind.value, e.method.value) for e in events} == {
        ("recognise_returning_browser", "given", "explicit"),
        ("site_analytics", "given", "explicit"),
        ("ad_serving", "given", "explicit"),
        ("behavioural_advertising", "given", "explicit"),
    }


def test_rejecting_sets_no_optional_cookie_until_the_visitor_accepts(page: Page, site: Any) -> None:
    open_site(page, site)
    choose(page, "#keepfaith-reject")
    page.reload()
    page.wait_for_function("() => (window.ran || []).length > 0")
    expect(page.locator("#keepfaith-banner")).to_have_count(0)
    assert ran(page) == NECESSARY
    assert cookie_names(page.context) == NECESSARY
    events = visitor_events(site.app.state.ledger)
    assert len(events) == 4
    assert {e.kind.value for e in events} == {"withdrawn"}
    # Changing one's mind later: the same visitor, four more events.
    page.evaluate("() => window.keepfaithCookies.reopen()")
    choose(page, "#keepfaith-accept")
    page.wait_for_function(f"() => (window.ran || []).length === {len(ALL)}")
    assert cookie_names(page.context) == ALL
    events = visitor_events(site.app.state.ledger)
    assert len(events) == 8 and len({e.subject_id for e in events}) == 1


def test_a_blocked_script_runs_only_once_its_category_is_accepted(page: Page, site: Any) -> None:
    open_site(page, site)
    page.check("#kf-analytics")
    assert ran(page) == NECESSARY  # ticking is not yet a choice
    choose(page, "#keepfaith-save")
    page.wait_for_function(f"() => (window.ran || []).length === {len(NECESSARY) + 1}")
    assert cookie_names(page.context) == NECESSARY | declared(CookieCategory.ANALYTICS)


def test_gpc_browser_never_runs_advertising_scripts(gpc_page: Page, site: Any) -> None:
    open_site(gpc_page, site)
    expect(gpc_page.locator("#kf-advertising")).to_be_disabled()
    choose(gpc_page, "#keepfaith-accept")
    gpc_page.reload()
    gpc_page.wait_for_function(f"() => (window.ran || []).length === {len(ALL - ADVERTISING)}")
    assert cookie_names(gpc_page.context) == ALL - ADVERTISING
    assert ran(gpc_page).isdisjoint(ADVERTISING)
    events = {e.choice: e for e in visitor_events(site.app.state.ledger)}
    assert (events["ad_serving"].kind.value, events["ad_serving"].method.value) == (
        "withdrawn",
        "gpc",
    )
    assert events["site_analytics"].kind.value == "given"


def test_banner_asks_again_when_the_cookie_section_changes(page: Page, site: Any) -> None:
    open_site(page, site)
    choose(page, "#keepfaith-accept")
    page.reload()
    expect(page.locator("#keepfaith-banner")).to_have_count(0)

    statement: Statement = site.app.state.statements["parature"]
    longer = [
        c.model_copy(update={"lifetime_days": 730}) if c.name == "parature_visitor" else c
        for c in statement.cookies
    ]
    site.app.state.statements["parature"] = statement.model_copy(update={"cookies": tuple(longer)})
    # The script is cached for minutes; let that time pass, so the browser revalidates it.
    page.context.new_cdp_session(page).send("Network.clearBrowserCache")
    page.reload()
    expect(page.locator("#keepfaith-banner")).to_be_visible()
    expect(page.locator("#keepfaith-banner")).to_contain_text("730 days")
    # The same visitor answers again: a second set of events on one subject.
    choose(page, "#keepfaith-reject")
    events = visitor_events(site.app.state.ledger)
    assert len(events) == 8
    assert len({e.subject_id for e in events}) == 1
