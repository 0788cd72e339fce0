"""The ``axe`` fixture: it finds what it should, and works under a strict CSP."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.browser.conftest import Axe

FLAWED = (
    "<!doctype html><html lang=en><head><title>t</title></head><body><main>"
    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    "<button></button><p>ok</p></main></body></html>"
)
CLEAN = (
    "<!doctype html><html lang=en><head><title>t</title></head><body><main>"
    "<h1>Title</h1><button>Save</button></main></body></html>"
)


def test_axe_reports_serious_violations(page: Page, axe: Axe) -> None:
    page.set_content(FLAWED)
    found = {v["id"] for v in axe(page)}
    assert {"image-alt", "button-name"} <= found


def test_axe_finds_nothing_on_a_clean_page(page: Page, axe: Axe) -> None:
    page.set_content(CLEAN)
    assert axe(page, impact="minor") == []


def test_axe_runs_under_the_statement_pages_csp(page: Page, axe: Axe, serve: Any) -> None:
    from tests.conftest import EXAMPLES

    site = serve(EXAMPLES / "parature" / "statement.yaml")
    response = page.goto(f"{site.url}/t/parature/")
    assert response is not None and response.ok
    assert "script-src" in (response.headers.get("content-security-policy") or "")
    # It ran (a list back, not an exception): the page's own findings are not this test's.
    assert isinstance(axe(page), list)
    assert axe(page, include="body") == axe(page)
