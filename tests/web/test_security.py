"""Security on every response: headers, body-size limit, rate limit, and quiet logs."""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from keepfaith.web.security import BodyLimit, RateLimit


@pytest.mark.parametrize("path", ["/", "/login", "/t/nobody/", "/openapi.json", "/admin"])
def test_security_headers_on_every_response(client: httpx.Client, path: str) -> None:
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "strict-transport-security" not in headers


def test_hsts_behind_tls(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    client = make_client(make_app(behind_tls=True))
    assert "max-age=" in client.get("/").headers["strict-transport-security"]


def test_pages_load_no_script_and_no_inline_style(client: httpx.Client) -> None:
    page = client.get("/login").text
    assert "<script" not in page
    assert "<style" not in page
    assert "style=" not in page
    assert client.get("/static/keepfaith.css").status_code == 200


def test_too_large_body_is_refused_with_413(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    client = make_client(make_app(max_request_bytes=2048))
    refused = client.post("/login", data={"email": "x" * 4000, "password": "y"})
    assert refused.status_code == 413


def test_streamed_body_over_the_limit_is_refused_with_413() -> None:
    """A body without Content-Length is counted as it arrives."""
    inner = FastAPI()

    @inner.post("/echo")
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(len(await request.body())))

    app = BodyLimit(inner, max_bytes=1024)
    transport = httpx.ASGITransport(app=app)

    async def chunks(count: int) -> object:
        for _ in range(count):
            yield b"x" * 600

    async def post_both() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post("/echo", content=chunks(1)), await client.post(
                "/echo", content=chunks(3)
            )

    small, large = anyio.run(post_both)
    assert small.status_code == 200
    assert small.text == "600"
    assert large.status_code == 413


def test_public_writes_are_rate_limited_per_address(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    app = make_app(rate_limit_per_minute=3)
    first, second = make_client(app, address="203.0.113.7"), make_client(app, address="203.0.113.8")
    answers = [first.post("/login", data={}).status_code for _ in range(3)]
    assert 429 not in answers
    limited = first.post("/login", data={})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert second.post("/login", data={}).status_code != 429
    assert first.get("/").status_code == 200  # reading is never limited
    assert first.post("/admin/staff", data={}).status_code == 401  # staff-only: not counted


def test_rate_limit_zero_turns_it_off(
    make_app: Callable[..., FastAPI], make_client: Callable[..., httpx.Client]
) -> None:
    client = make_client(make_app(rate_limit_per_minute=0))
    assert all(client.post("/login", data={}).status_code != 429 for _ in range(70))


def test_rate_limit_refills_over_time() -> None:
    now = [0.0]
    limit = RateLimit(FastAPI(), per_minute=2, exempt=lambda path: False, clock=lambda: now[0])
    assert limit.take("a") == limit.take("a") == 0
    assert limit.take("a") == 30
    now[0] = 31.0
    assert limit.take("a") == 0


def test_access_log_has_no_address_and_no_query(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="keepfaith.web"):
        client.get("/t/parature/versions?token=secret-link-token")
    assert "GET /t/{tenant}/versions 200" in caplog.text  # the route, never the path
    assert "secret-link-token" not in caplog.text
    assert "127.0.0.1" not in caplog.text


def test_errors_answer_json_to_machines_and_a_page_to_browsers(client: httpx.Client) -> None:
    machine = client.get("/t/nobody/")
    assert machine.status_code == 404
    assert machine.json() == {"detail": "no such tenant"}
    browser = client.get("/admin", headers={"Accept": "text/html"})
    assert browser.status_code == 401
    assert 'href="/login"' in browser.text
