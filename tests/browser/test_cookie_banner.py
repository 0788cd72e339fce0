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
from tests.browser.conftest import ARTIFACTS
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
        "<!doctype html><html lang=en><head><title>Site</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "</head><body><main><p>A tenant page.</p></main>"
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
    expect(page.locator("#keepfaith-banner .kf-bar")).to_be_visible()


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
    expect(page.locator("#kf-analytics")).not_to_be_checked()  # the choice as it stands
    choose(page, "#keepfaith-prefs-accept")
    page.wait_for_function(f"() => (window.ran || []).length === {len(ALL)}")
    assert cookie_names(page.context) == ALL
    events = visitor_events(site.app.state.ledger)
    assert len(events) == 8 and len({e.subject_id for e in events}) == 1


def test_a_blocked_script_runs_only_once_its_category_is_accepted(page: Page, site: Any) -> None:
    open_site(page, site)
    page.click("#keepfaith-preferences")
    page.check("#kf-analytics")
    assert ran(page) == NECESSARY  # ticking is not yet a choice
    choose(page, "#keepfaith-save")
    page.wait_for_function(f"() => (window.ran || []).length === {len(NECESSARY) + 1}")
    assert cookie_names(page.context) == NECESSARY | declared(CookieCategory.ANALYTICS)


def test_gpc_browser_never_runs_advertising_scripts(gpc_page: Page, site: Any) -> None:
    open_site(gpc_page, site)
    expect(gpc_page.locator("#keepfaith-banner")).to_contain_text("Global Privacy Control")
    gpc_page.click("#keepfaith-preferences")
    expect(gpc_page.locator("#kf-advertising")).to_be_disabled()
    expect(gpc_page.locator("#kf-advertising")).not_to_be_checked()
    gpc_page.keyboard.press("Escape")
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
    expect(page.locator("#keepfaith-banner .kf-bar")).to_be_visible()
    expect(page.locator("#keepfaith-banner")).to_contain_text("730 days")
    expect(page.locator("#kf-intro")).to_contain_text("changed since you last chose")
    # The same visitor answers again: a second set of events on one subject.
    choose(page, "#keepfaith-reject")
    events = visitor_events(site.app.state.ledger)
    assert len(events) == 8
    assert len({e.subject_id for e in events}) == 1


def replace_statement(site: Any, **update: Any) -> None:
    """Serve a changed statement from now on (as a reload of the statement files would)."""
    statement: Statement = site.app.state.statements["parature"]
    site.app.state.statements["parature"] = statement.model_copy(update=update)


def test_a_changed_description_does_not_ask_again(page: Page, site: Any) -> None:
    open_site(page, site)
    choose(page, "#keepfaith-accept")
    statement: Statement = site.app.state.statements["parature"]
    reworded = [c.model_copy(update={"description": "Reworded."}) for c in statement.cookies]
    replace_statement(site, cookies=tuple(reworded))
    page.context.new_cdp_session(page).send("Network.clearBrowserCache")
    page.reload()
    page.wait_for_function(f"() => (window.ran || []).length === {len(ALL)}")
    expect(page.locator("#keepfaith-banner")).to_have_count(0)
    assert page.evaluate("() => window.keepfaithCookies.config.categories[1].cookies[0].purpose")


@pytest.mark.parametrize("failure", ["500", "network"])
def test_when_saving_fails_the_banner_comes_back_and_nothing_optional_runs(
    page: Page, site: Any, failure: str
) -> None:
    def fail(route: Any) -> None:
        if failure == "500":
            route.fulfill(status=500, body='{"detail": "down"}')
        else:
            route.abort()

    page.route("**/api/t/parature/cookies/consent", fail)
    open_site(page, site)
    page.wait_for_function("() => (window.ran || []).length > 0")
    page.click("#keepfaith-accept")
    alert = page.locator("#keepfaith-banner [role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_be_focused()
    expect(page.locator("#keepfaith-accept")).to_be_visible()
    assert ran(page) == NECESSARY
    assert cookie_names(page.context) == NECESSARY
    assert page.evaluate(f"() => localStorage.getItem({STORE!r})") is None
    assert visitor_events(site.app.state.ledger) == []
    # The server is back: the same click now saves and runs.
    page.unroute("**/api/t/parature/cookies/consent")
    choose(page, "#keepfaith-accept")
    page.wait_for_function(f"() => (window.ran || []).length === {len(ALL)}")


def test_gpc_alone_refusing_everything_optional_shows_no_banner(gpc_page: Page, site: Any) -> None:
    statement: Statement = site.app.state.statements["parature"]
    kept = [
        c
        for c in statement.cookies
        if c.category in (CookieCategory.NECESSARY, CookieCategory.ADVERTISING)
    ]
    replace_statement(site, cookies=tuple(kept))
    gpc_page.goto(f"{site.url}/site")
    gpc_page.wait_for_function(
        f"() => localStorage.getItem({STORE!r}) !== null && (window.ran || []).length > 0"
    )
    expect(gpc_page.locator("#keepfaith-banner")).to_have_count(0)
    assert ran(gpc_page) == NECESSARY
    events = visitor_events(site.app.state.ledger)
    assert events and {(e.kind.value, e.method.value) for e in events} == {("withdrawn", "gpc")}


def test_first_layer_is_compact_with_equal_buttons_on_a_phone(
    browser: Any, site: Any, request: pytest.FixtureRequest
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True)
    page = context.new_page()
    try:
        open_site(page, site)
        box = page.locator("#keepfaith-banner .kf-bar").bounding_box()
        assert box is not None and box["height"] <= 640 * 0.5
        for button in ("#keepfaith-accept", "#keepfaith-reject", "#keepfaith-preferences"):
            b = page.locator(button).bounding_box()
            assert b is not None and b["y"] + b["height"] <= 640, button  # above the fold
            assert round(b["height"]) >= 44, button  # a finger's target
        # Accepting and rejecting look alike: same colours, weight and size.
        looks = """(id) => { const s = getComputedStyle(document.getElementById(id));
            return [s.backgroundColor, s.color, s.fontWeight, s.fontSize, s.height]; }"""
        assert page.evaluate(looks, "keepfaith-accept") == page.evaluate(looks, "keepfaith-reject")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "cookie-banner-phone.png"))
        page.click("#keepfaith-preferences")
        save = page.locator("#keepfaith-save").bounding_box()
        assert save is not None and save["y"] + save["height"] <= 640  # the footer stays
        page.screenshot(path=str(ARTIFACTS / "cookie-banner-phone-preferences.png"))
    finally:
        context.close()


def test_keyboard_alone_reaches_every_choice(page: Page, site: Any) -> None:
    open_site(page, site)
    expect(page.locator("#keepfaith-banner .kf-bar")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#keepfaith-accept")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#keepfaith-preferences")).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.locator("#keepfaith-banner [role=dialog][aria-modal=true]")
    expect(dialog).to_be_visible()
    # Focus is inside the dialog and stays there (Tab wraps around).
    for _ in range(40):
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('[aria-modal=true]')")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#keepfaith-banner .kf-bar")).to_be_visible()
    page.click("#keepfaith-preferences")
    page.focus("#kf-analytics")
    page.keyboard.press("Space")
    page.focus("#keepfaith-save")
    page.keyboard.press("Enter")
    expect(page.locator("#keepfaith-banner")).to_have_count(0)
    page.wait_for_function(f"() => (window.ran || []).length === {len(NECESSARY) + 1}")


def test_no_serious_accessibility_violation_in_either_layer(
    page: Page, site: Any, axe: Any
) -> None:
    open_site(page, site)
    assert axe(page, include="#keepfaith-banner") == []
    page.click("#keepfaith-preferences")
    page.locator("#keepfaith-banner details").first.evaluate("d => d.open = true")
    assert axe(page, include="#keepfaith-banner") == []
    page.emulate_media(color_scheme="dark")
    assert axe(page, include="#keepfaith-banner") == []


def test_the_host_page_themes_the_banner_with_css_variables(page: Page, site: Any) -> None:
    open_site(page, site)
    # As a host stylesheet would (the test site's CSP allows no inline <style>).
    page.evaluate(
        "() => document.getElementById('keepfaith-banner')"
        ".style.setProperty('--kf-accent', 'rgb(0, 128, 0)')"
    )
    colour = page.evaluate(
        "() => getComputedStyle(document.getElementById('keepfaith-accept')).backgroundColor"
    )
    assert colour == "rgb(0, 128, 0)"


def test_the_banner_speaks_the_statements_language_the_browser_prefers(
    browser: Any, site: Any
) -> None:
    replace_statement(site, languages=("en", "fr"))
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        open_site(page, site)
        expect(page.locator("#keepfaith-accept")).to_have_text("Tout accepter")
        expect(page.locator("#keepfaith-reject")).to_have_text("Tout refuser")
        assert page.get_attribute("#keepfaith-banner", "lang") == "fr"
        page.click("#keepfaith-preferences")
        expect(page.locator("label[for=kf-analytics]")).to_have_text("Mesure d'audience")
    finally:
        context.close()
    english = browser.new_context(locale="de-DE")  # not offered: the first language
    page = english.new_page()
    try:
        open_site(page, site)
        expect(page.locator("#keepfaith-accept")).to_have_text("Accept all")
    finally:
        english.close()


def test_the_demo_host_page_runs_tags_once_accepted(page: Page, serve: Callable[..., Any]) -> None:
    demo = serve(PARATURE, banner_demo=True)
    page.goto(f"{demo.url}/t/parature/cookie-banner/demo")
    expect(page.locator("#keepfaith-banner .kf-bar")).to_be_visible()
    expect(page.locator("#ran-necessary")).to_have_text("ran")
    expect(page.locator("#ran-analytics")).to_have_text("not run")
    choose(page, "#keepfaith-accept")
    expect(page.locator("#ran-analytics")).to_have_text("ran")
    page.click("#change-cookies")
    expect(page.locator("#keepfaith-save")).to_be_visible()


def test_withdrawing_deletes_the_categorys_cookies(page: Page, site: Any) -> None:
    open_site(page, site)
    choose(page, "#keepfaith-accept")
    page.wait_for_function(f"() => (window.ran || []).length === {len(ALL)}")
    assert cookie_names(page.context) == ALL
    page.evaluate("() => window.keepfaithCookies.reopen()")
    choose(page, "#keepfaith-prefs-reject")
    assert cookie_names(page.context) == NECESSARY


def test_screenshots_at_desktop_width(page: Page, site: Any) -> None:
    """The pictures docs/cookie-banner.md shows (copied from test-artifacts/)."""
    page.set_viewport_size({"width": 1280, "height": 800})
    open_site(page, site)
    bar = page.locator("#keepfaith-banner .kf-bar").bounding_box()
    assert bar is not None and bar["height"] < 800 / 3  # compact: a corner, not the page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cookie-banner-desktop.png"))
    page.click("#keepfaith-preferences")
    page.locator("#keepfaith-banner details").nth(2).evaluate("d => d.open = true")
    page.screenshot(path=str(ARTIFACTS / "cookie-banner-desktop-preferences.png"))
