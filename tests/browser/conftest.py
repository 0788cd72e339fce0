"""Browser tests: the app served by uvicorn on loopback, driven by Debian's Chromium.

Playwright drives ``/usr/bin/chromium`` (installed by ``.ci/run``; Playwright's own browser
download does not work here). When a test fails, a screenshot of its page is saved under
``test-artifacts/``.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from keepfaith.settings import Settings
from keepfaith.web.app import create_app, prepare
from tests.conftest import ROOT

CHROMIUM = os.environ.get("KEEPFAITH_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


class LiveServer:
    """An ASGI app served by uvicorn in a thread, on a free loopback port."""

    def __init__(self, app: Any) -> None:
        self.app: FastAPI = app
        # uvicorn serves on this very socket, so no other process can take the port
        # between choosing it and listening on it.
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


SECRET = "browser tests: a long enough random secret key"


@pytest.fixture
def serve(database_url: str) -> Iterator[Any]:
    """Serve keepfaith for some statement files; ``extend(app)`` adds test-only routes,
    other keywords are settings.

    Returns a ``LiveServer`` whose ``app`` holds the ledger (``app.state.ledger``).
    """
    servers: list[LiveServer] = []

    def start(*statements: Path, extend: Any = None, **more: Any) -> LiveServer:
        settings = Settings(
            database_url=database_url,
            statements=statements,
            secret_key=SECRET,
            cookie_secure=False,
            access_log=False,
            rate_limit_per_minute=0,
            **more,
        )
        prepare(settings)
        app = create_app(settings)
        if extend is not None:
            extend(app)
        server = LiveServer(app).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()
        server.app.state.ledger.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run .ci/run or apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: no cookies, no storage."""
    context = browser.new_context()
    yield context
    context.close()


@pytest.fixture
def gpc_context(browser: Browser) -> Iterator[BrowserContext]:
    """A browser profile that sends Global Privacy Control, header and script property."""
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl',"
        " {get: () => true, configurable: true});"
    )
    yield context
    context.close()


@pytest.fixture
def page(request: pytest.FixtureRequest, context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    yield page
    _screenshot_if_failed(request, page)


@pytest.fixture
def gpc_page(request: pytest.FixtureRequest, gpc_context: BrowserContext) -> Iterator[Page]:
    page = gpc_context.new_page()
    yield page
    _screenshot_if_failed(request, page)


#: axe-core's impacts, least to most severe; ``axe`` reports from ``serious`` up by default.
IMPACTS = ("minor", "moderate", "serious", "critical")
Axe = Callable[..., list[Any]]


@functools.cache
def _axe_source() -> str:
    """The pinned axe-core script: the one ``axe-playwright-python`` bundles (axe-core
    4.12.1, a dev extra); the banner's tests and the pages' tests run this one copy."""
    return files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Page, include: str | None = None, impact: str = "serious") -> list[Any]:
    """Run axe-core on a page; its violations at or above ``impact``.

    ``axe_violations(page)`` checks the whole document, ``include="#id"`` part of it.
    The script is evaluated through the DevTools protocol, so a page's Content Security
    Policy does not keep it out. Each violation is axe's dict (``id``, ``impact``,
    ``help``, ``nodes``); assert ``== []`` so a failure prints them.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source() + "\n;undefined")
    result = page.evaluate(
        """async (include) => {
          const context = include ? {include: [include]} : document;
          return await window.axe.run(context, {resultTypes: ["violations"]});
        }""",
        include,
    )
    floor = IMPACTS.index(impact)
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]],
        }
        for v in result["violations"]
        if IMPACTS.index(v["impact"] or "minor") >= floor
    ]


@pytest.fixture
def axe() -> Axe:
    """``axe_violations``, as a fixture for the tests that take it as one."""
    return axe_violations


def _screenshot_if_failed(request: pytest.FixtureRequest, page: Page) -> None:
    if request.node.stash.get(_FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.nodeid.replace("/", "_").replace("::", "-")
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
