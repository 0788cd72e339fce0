"""What a request line and a referrer come down to: the page viewed, the referring domain.

A page view is a GET of something other than a page's resource (style, script, image,
font) or a file made for programs (``robots.txt``, ``sitemap.xml``...); its query string
is dropped but for the declared campaign parameters. A referrer keeps only its host
name. These run once per distinct value of a batch, not per line.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

ASSET_EXTENSIONS = frozenset(
    [
        "css",
        "js",
        "mjs",
        "map",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "ico",
        "svg",
        "webp",
        "avif",
        "bmp",
        "woff",
        "woff2",
        "ttf",
        "eot",
        "otf",
    ]
)
"""Requests for these are resources of a page, not page views."""
MACHINE_FILES = frozenset(
    [
        "/robots.txt", "/sitemap.xml", "/sitemap_index.xml", "/humans.txt", "/ads.txt",
        "/app-ads.txt", "/security.txt", "/crossdomain.xml", "/clientaccesspolicy.xml",
        "/browserconfig.xml", "/manifest.json", "/site.webmanifest", "/manifest.webmanifest",
    ]
)  # fmt: skip
"""Files made for programs (crawlers, browsers), not read by people: not page views,
nor is anything under ``/.well-known/``."""
OK_STATUSES = frozenset([*(str(n) for n in range(200, 300)), "304"])
"""Statuses that count as a page view (success, or not modified)."""


def page_of(request: str, campaign: frozenset[str] = frozenset()) -> str:
    """The page a request line views, or ``""`` if it is not a page view."""
    method, _, rest = request.partition(" ")
    if method != "GET":
        return ""
    text = rest.rpartition(" ")[0] if rest.count(" ") else rest
    if "://" in text[:12]:
        text = urlsplit(text).path or "/"
    path, _, query = text.partition("?")
    last = path.rsplit("/", 1)[-1]
    if "." in last and last.rsplit(".", 1)[-1].lower() in ASSET_EXTENSIONS:
        return ""
    path = unquote(path)[:512] or "/"
    if path.lower() in MACHINE_FILES or path.startswith("/.well-known/"):
        return ""
    if query and campaign:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k in campaign]
        if kept:
            path = f"{path}?{urlencode(sorted(kept))}"[:1024]
    return path


def referrer_domain(referrer: str) -> str:
    """The host name of a referrer URL: ``(direct)`` when none, ``(unknown)`` if unreadable,
    ``(address)`` when the host is an IP address (which may be a person's)."""
    if referrer in ("", "-"):
        return "(direct)"
    try:
        host = urlsplit(referrer).hostname
    except ValueError:
        host = None
    if not host:
        return "(unknown)"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host[:255]
    return "(address)"
