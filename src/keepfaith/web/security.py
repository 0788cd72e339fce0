"""ASGI middleware that protects every response: headers, body size, rate, quiet logs.

Each is a plain ASGI wrapper (no per-request objects beyond what it needs), so the cost
stays small under load. None of them ever writes a client's address anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import re
import time
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("keepfaith.web")

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""No inline script or style anywhere; pages that need an inline style send their own
policy naming its hash (see ``csp_for``)."""

STATIC = "/static/"
"""Where keepfaith's own style sheet lives: the only answers a cache may keep as they are."""

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def csp_for(html: str) -> str:
    """The default policy, allowing exactly the inline ``<style>`` blocks of ``html``."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in _STYLE.findall(html)
    )
    return DEFAULT_CSP.replace("style-src 'self'", f"style-src 'self' {hashes}".rstrip())


class SecurityHeaders:
    """Adds the security headers to every HTTP response (a route's own CSP wins).

    Every answer is ``Cache-Control: no-store`` unless its route says otherwise (the
    banner script) or it is a static file: pages and JSON show personal data, and no
    browser or proxy cache should keep a copy of them.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": DEFAULT_CSP,
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        }
        if hsts:
            self.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if not scope["path"].startswith(STATIC):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses a request body larger than ``max_bytes`` with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _plain(send, 413, b'{"detail":"request body too large"}')
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI passes HTTPException through its body parsing untouched.
                    raise HTTPException(413, "request body too large")
            return message

        await self.app(scope, counting_receive, send)


class RateLimit:
    """Limits public write requests per client address: a token bucket per address.

    ``exempt(path)`` names paths that need staff credentials anyway (admin pages and the
    token-only API). Buckets live in this process's memory only; the address is never
    logged nor stored elsewhere.
    """

    MAX_BUCKETS = 100_000

    def __init__(
        self,
        app: ASGIApp,
        *,
        per_minute: int,
        exempt: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self.exempt = exempt
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self.capacity == 0
            or scope["method"] not in UNSAFE_METHODS
            or self.exempt(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        wait = self.take(scope.get("client", ("unknown", 0))[0] if scope.get("client") else "")
        if wait:
            await _plain(
                send, 429, b'{"detail":"too many requests"}', [(b"retry-after", str(wait).encode())]
            )
            return
        await self.app(scope, receive, send)

    def take(self, address: str) -> int:
        """Take one token for ``address``: 0 when allowed, else seconds until one is free."""
        now = self.clock()
        tokens, last = self.buckets.get(address, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.refill)
        if tokens < 1:
            self.buckets[address] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.refill))
        if len(self.buckets) >= self.MAX_BUCKETS:
            self.buckets.clear()  # a flood of addresses: forget, rather than grow unbounded
        self.buckets[address] = (tokens - 1, now)
        return 0


class AccessLog:
    """One log line per request: method, route, status and duration.

    The route is the template that matched (``/t/{tenant}/forms/{point}``), never the path
    as sent, which may carry an email address or a token; a path no route matched is
    logged as ``(unmatched)``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.1fms", scope["method"], route_of(scope), status, elapsed)


def route_of(scope: Scope) -> str:
    """The template of the route that answered, for the log; never the path as sent."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str) and template:
        return template
    return STATIC + "{path}" if scope["path"].startswith(STATIC) else "(unmatched)"


async def _plain(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": body})
