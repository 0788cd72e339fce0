"""Count one chunk of log lines into per-day tallies, in a handful of C-level passes.

This is the part that runs in worker processes. Addresses and user agents enter it and
leave only as salted visitor keys (64-bit integers) and as the reduced fields the
statistics keep (browser family, OS, device class).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import and_, itemgetter, not_
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import numpy

from keepfaith.collect.logs import formats
from keepfaith.collect.logs.agents import Agents
from keepfaith.collect.logs.countries import Countries
from keepfaith.collect.logs.visitors import day_salt, keyer

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

OK_STATUSES = frozenset(f"{n}".encode() for n in (*range(200, 300), 304))
"""Statuses that count as a page view (success, or not modified)."""

SESSION_GAP = 30 * 60
"""Seconds without a page view after which a visitor's next view starts a new visit."""
TIME_ON_PAGE = ((10, "0-10s"), (30, "10-30s"), (60, "30-60s"), (180, "1-3m"), (600, "3-10m"))
"""Upper bounds of the time-on-page buckets; longer gaps, up to ``SESSION_GAP``, are
``10-30m``."""
BUCKETS = (*(label for _, label in TIME_ON_PAGE), "10-30m")
"""Time-on-page bucket labels, shortest first."""

_BOUNDS = [bound for bound, _ in TIME_ON_PAGE]
_CACHE_LIMIT = 200_000
_HOUR = itemgetter(slice(0, 2))


@dataclass
class DayTally:
    """What one chunk says about one day."""

    requests: int = 0
    bot_requests: int = 0
    pageviews: int = 0
    bytes: int = 0
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    """``(dimension, value) -> count``."""
    visitors: set[int] = field(default_factory=set)
    """Salted keys of the human visitors seen, for the day's sketch."""
    visits: int = 0
    """Visits started by a view that is not a visitor's first in the chunk."""
    firsts: dict[int, tuple[str, int]] = field(default_factory=dict)
    """Each visitor's first page view in the chunk (page, second), for ``stitch``."""
    lasts: dict[int, tuple[str, int]] = field(default_factory=dict)
    """Each visitor's last page view in the chunk."""


@dataclass
class ChunkTally:
    lines: int
    bad: list[int]
    """0-based line numbers within the chunk."""
    days: dict[dt.date, DayTally]
    undated: int = 0
    """Lines whose date could not be read (their line numbers are not known)."""


class Tallier:
    """Caches that make counting fast: agents, pages, referrer domains, salts, times."""

    def __init__(
        self,
        secret: bytes,
        site: str,
        campaign: frozenset[str] = frozenset(),
        geoip: str | None = None,
    ):
        self.secret = secret
        self.site = site.encode()
        self.campaign = campaign
        self.agents = Agents.shared()
        self.pages: dict[bytes, str] = {}
        self.is_page: dict[bytes, bool] = {}
        self.domains: dict[bytes, str] = {}
        self.day_of: dict[bytes, dt.date | None] = {}
        self.salts: dict[dt.date, bytes] = {}
        self.seconds: dict[bytes, int] = {}
        self.countries = Countries(geoip) if geoip else None

    def tally(self, chunk: bytes, fmt: str) -> ChunkTally:
        columns = formats.parse(chunk, fmt)
        for token in set(columns.days) - self.day_of.keys():
            self.day_of[token] = _parse_day(token)
        days: dict[dt.date, DayTally] = {}
        undated = 0
        for day, part in _by_day(columns, self.day_of):
            if day is None:
                undated += len(part)
            else:
                days[day] = self._tally_day(day, part)
        return ChunkTally(chunk.count(b"\n"), columns.bad, days, undated)

    def _tally_day(self, day: dt.date, c: formats.Columns) -> DayTally:
        self.agents.learn(set(c.agents))
        self._learn_pages(set(c.requests))
        known, bot_of, pages = self.agents.known, self.agents.bot_of, self.pages
        bots = list(map(bot_of.__getitem__, c.agents))
        humans = list(map(not_, bots))
        viewed = list(
            map(
                and_,
                map(and_, humans, map(self.is_page.__getitem__, c.requests)),
                map(OK_STATUSES.__contains__, c.statuses),
            )
        )
        tally = DayTally(requests=len(c), bot_requests=sum(bots), pageviews=sum(viewed))
        tally.bytes = _total(c.sizes)
        counts = tally.counts
        classes = b"".join(c.statuses)[::3]  # the first digit of every status
        for digit in set(classes):
            counts["status", f"{digit - 48}xx"] += classes.count(digit)
        for agent, n in Counter(compress(c.agents, bots)).items():
            counts["bot", known[agent].browser.rsplit(" ", 1)[0]] += n
        for request, n in Counter(compress(c.requests, viewed)).items():
            counts["page", pages[request]] += n
        for referrer, n in Counter(compress(c.referrers, viewed)).items():
            counts["referrer", self._domain(referrer)] += n
        for raw, n in Counter(compress(c.agents, viewed)).items():
            who = known[raw]
            counts["browser", who.browser] += n
            counts["os", who.os] += n
            counts["device", who.device] += n
        for hour, n in Counter(map(_HOUR, compress(c.times, viewed))).items():
            counts["hour", hour.decode()] += n
        if self.countries is not None:
            for address, n in Counter(compress(c.ips, viewed)).items():
                counts["country", self.countries.of(address)] += n
        self._visitors(day, c, humans, viewed, tally)
        return tally

    def _visitors(
        self,
        day: dt.date,
        c: formats.Columns,
        humans: list[bool],
        viewed: list[bool],
        tally: DayTally,
    ) -> None:
        salt = self._salt(day)
        columns = (c.ips, c.agents, c.hosts) if c.hosts else (c.ips, c.agents)
        site = () if c.hosts else (self.site,)
        people = set(compress(zip(*columns, strict=True), humans))
        people_sites = [(*person, *site) for person in people] if site else list(people)
        keys = dict(zip(people, map(keyer(salt), people_sites), strict=True))
        viewers = zip(*(compress(column, viewed) for column in columns), strict=True)
        tally.visitors = set(keys.values())
        times = list(compress(c.times, viewed))
        for time in set(times) - self.seconds.keys():
            self.seconds[time] = int(time[:2]) * 3600 + int(time[3:5]) * 60 + int(time[6:8])
        views = (
            list(map(keys.__getitem__, viewers)),
            list(map(self.seconds.__getitem__, times)),
            list(map(self.pages.__getitem__, compress(c.requests, viewed))),
        )
        tally.firsts, tally.lasts, tally.visits = sequence(views, tally.counts)

    def _salt(self, day: dt.date) -> bytes:
        salt = self.salts.get(day)
        if salt is None:
            salt = self.salts[day] = day_salt(self.secret, day)
        return salt

    def _learn_pages(self, requests: set[bytes]) -> None:
        new = requests - self.pages.keys()
        if len(self.pages) + len(new) > _CACHE_LIMIT:
            self.pages.clear()
            self.is_page.clear()
            new = requests
        for request in new:
            page = self.pages[request] = page_of(request, self.campaign)
            self.is_page[request] = bool(page)

    def _domain(self, referrer: bytes) -> str:
        domain = self.domains.get(referrer)
        if domain is None:
            if len(self.domains) > _CACHE_LIMIT:
                self.domains.clear()
            domain = self.domains[referrer] = referrer_domain(referrer)
        return domain


def page_of(request: bytes, campaign: frozenset[str] = frozenset()) -> str:
    """The page a request line views, or ``""`` if it is not a page view.

    A page view is a GET of something other than a page resource (style, script, image,
    font). The query string is dropped, except the declared campaign parameters.
    """
    method, _, rest = request.partition(b" ")
    if method != b"GET":
        return ""
    target = rest.rpartition(b" ")[0] if rest.count(b" ") else rest
    text = target.decode("utf-8", "replace")
    if "://" in text[:12]:
        text = urlsplit(text).path or "/"
    path, _, query = text.partition("?")
    last = path.rsplit("/", 1)[-1]
    if "." in last and last.rsplit(".", 1)[-1].lower() in ASSET_EXTENSIONS:
        return ""
    path = unquote(path)[:512] or "/"
    if query and campaign:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k in campaign]
        if kept:
            path = f"{path}?{urlencode(sorted(kept))}"[:1024]
    return path


def referrer_domain(referrer: bytes) -> str:
    """The host name of a referrer URL: ``(direct)`` when none, ``(unknown)`` if unreadable,
    ``(address)`` when the host is an IP address (which may be a person's)."""
    if referrer in (b"", b"-"):
        return "(direct)"
    try:
        host = urlsplit(referrer.decode("utf-8", "replace")).hostname
    except ValueError:
        host = None
    if not host:
        return "(unknown)"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host[:255]
    return "(address)"


def _parse_day(token: bytes) -> dt.date | None:
    try:
        if token[2:3] == b"/":
            month = formats.MONTHS.get(token[3:6])
            return dt.date(int(token[7:11]), month, int(token[:2])) if month else None
        return dt.date.fromisoformat(token.decode())
    except ValueError:
        return None


def _total(sizes: list[bytes]) -> int:
    """The sum of byte counts (``-`` is none), right-aligned and summed as digit columns."""
    width = 12  # a terabyte; a longer size is summed the slow way
    text = b"".join(map(bytes.rjust, sizes, repeat(width), repeat(b"0"))).replace(b"-", b"0")
    if not sizes or len(text) != width * len(sizes):
        return sum(int(size) for size in sizes if size != b"-")
    digits = numpy.frombuffer(text, dtype=numpy.uint8).reshape(-1, width) - 48
    columns = digits.sum(axis=0, dtype=numpy.int64).tolist()
    return sum(total * 10**power for power, total in enumerate(reversed(columns)))


_COLUMNS = ("ips", "days", "times", "requests", "statuses", "sizes", "referrers", "agents")


def _by_day(
    columns: formats.Columns, day_of: dict[bytes, dt.date | None]
) -> list[tuple[dt.date | None, formats.Columns]]:
    """Split columns by date; most chunks hold a single day and pass through whole."""
    tokens = columns.days
    if not tokens:
        return []
    if tokens.count(tokens[0]) == len(tokens):
        return [(day_of[tokens[0]], columns)]
    dates = list(map(day_of.__getitem__, tokens))
    groups = []
    for day in dict.fromkeys(dates):
        keep = [date == day for date in dates]
        part = formats.Columns(
            **{name: list(compress(getattr(columns, name), keep)) for name in _COLUMNS},
            hosts=list(compress(columns.hosts, keep)) if columns.hosts else [],
        )
        groups.append((day, part))
    return groups


def sequence(
    views: tuple[list[int], list[int], list[str]], counts: Counter[tuple[str, str]]
) -> tuple[dict[int, tuple[str, int]], dict[int, tuple[str, int]], int]:
    """Count visits, entries, moves and time on page among page views in log order.

    A visitor's first view here cannot be judged without what came before (in an earlier
    chunk): it is returned in ``firsts`` for ``ingest.stitch``; ``lasts`` holds each
    visitor's last view. Returns ``(firsts, lasts, visits started)``.
    """
    lasts: dict[int, tuple[str, int]] = {}
    firsts: dict[int, tuple[str, int]] = {}
    started = 0
    for visitor, second, page in zip(*views, strict=True):
        last = lasts.get(visitor)
        if last is None:
            firsts[visitor] = (page, second)
        else:
            started += step(last, page, second, counts)
        lasts[visitor] = (page, second)
    return firsts, lasts, started


def step(last: tuple[str, int] | None, page: str, second: int, counts: Counter[Any]) -> int:
    """Count one page view after ``last``, the visitor's previous one (if any, in log
    order); return 1 if it starts a visit."""
    if last is None or second - last[1] > SESSION_GAP:
        counts["entry", page] += 1
        return 1
    counts["time_on_page", BUCKETS[bisect_right(_BOUNDS, second - last[1])]] += 1
    if page != last[0]:
        counts["transition", f"{last[0]} → {page}"] += 1
    return 0
