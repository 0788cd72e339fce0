"""Ingesting the real Apache log: counts match an independent reading, nothing is kept
twice, halves merge to the whole, and no address or user agent survives."""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import importlib
import io
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from keepfaith.collect.logs import Memory, ingest, sources, tally, visitors
from keepfaith.collect.logs.agents import classify as classify_once
from keepfaith.ledger import Ledger
from tests.logs.support import (
    LINE,
    REAL_LOG,
    all_stored_bytes,
    counts,
    real_addresses_and_agents,
    report,
    write_log,
)

ingesting = importlib.import_module("keepfaith.collect.logs.ingest")  # not the function
MONTHS = {"May": 5}
classify = functools.lru_cache(maxsize=None)(classify_once)
MACHINE_FILES = ("/robots.txt", "/sitemap.xml", "/browserconfig.xml")  # the real log's
ASSETS = (".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg", ".woff", ".ttf")


def independent(lines: list[str]) -> dict[str, object]:
    """Count the log the plain way: one regex per line, sets and counters."""
    per_day: dict[dt.date, Counter[str]] = defaultdict(Counter)
    dims: dict[str, Counter[str]] = defaultdict(Counter)
    people: dict[dt.date, set[tuple[str, str]]] = defaultdict(set)
    for line in lines:
        match = LINE.match(line)
        if match is None:
            continue
        ip, dd, mon, yyyy, hour, request, status, size, referrer, agent = match.groups()
        day = dt.date(int(yyyy), MONTHS[mon], int(dd))
        who = classify(agent)
        per_day[day]["requests"] += 1
        per_day[day]["bytes"] += int(size) if size != "-" else 0
        per_day[day]["bot_requests"] += who.bot
        dims["status"][status[0] + "xx"] += 1
        if not who.bot:
            people[day].add((ip, agent))
        method, path = [*request.split(" "), ""][:2]
        path = unquote(path.split("?")[0])
        viewed = (
            not who.bot
            and method == "GET"
            and (status.startswith("2") or status == "304")
            and not path.lower().endswith(ASSETS)
            and path not in MACHINE_FILES
        )
        if viewed:
            per_day[day]["pageviews"] += 1
            dims["page"][path] += 1
            dims["browser"][who.browser] += 1
            dims["hour"][hour] += 1
            host = urlsplit(referrer).hostname if referrer != "-" else "(direct)"
            dims["referrer"][host or "(unknown)"] += 1
    return {"days": per_day, "dims": dims, "people": people}


@pytest.fixture(scope="module")
def expected(real_lines: list[str]) -> dict[str, object]:
    return independent(real_lines)


def test_counts_match_an_independent_reading(ledger: Ledger, expected: dict) -> None:
    result = ingest(ledger, "acme", [REAL_LOG])
    assert (result.lines, result.counted, result.bad) == (10_000, 10_000, 1)
    assert result.bad_lines == [(str(REAL_LOG), 8899)]
    stats = report(ledger, "acme")
    days = expected["days"]
    assert [d.day for d in stats.days] == sorted(days)
    for day in stats.days:
        want = days[day.day]
        got = (day.requests, day.bytes, day.bot_requests, day.pageviews)
        assert got == (want["requests"], want["bytes"], want["bot_requests"], want["pageviews"])
        exact = len(expected["people"][day.day])
        assert abs(day.visitors - exact) <= 0.02 * exact
    for dimension, want in expected["dims"].items():
        assert counts(ledger, "acme", dimension) == dict(want), dimension


def test_the_same_log_again_counts_nothing_twice(ledger: Ledger, tmp_path: Path) -> None:
    first = ingest(ledger, "acme", [REAL_LOG])
    before = report(ledger, "acme")
    packed = tmp_path / "again.log.gz"
    packed.write_bytes(gzip.compress(REAL_LOG.read_bytes()))
    again = ingest(ledger, "acme", [REAL_LOG, packed])
    assert (first.counted, again.counted, again.skipped) == (10_000, 0, 20_000)
    assert report(ledger, "acme") == before
    other = ingest(ledger, "other-tenant", [packed])
    assert other.counted == 10_000


def test_two_halves_merge_to_the_whole(ledger: Ledger, real_lines: list[str], tmp_path: Path):
    halves = [
        write_log(tmp_path / "first.log", real_lines[:5000]),
        write_log(tmp_path / "second.log", real_lines[5000:]),
    ]
    memory = Memory()
    for half in halves:
        ingest(ledger, "halves", [half], memory=memory)
    ingest(ledger, "whole", [REAL_LOG])
    whole, parts = report(ledger, "whole", top=10_000), report(ledger, "halves", top=10_000)
    assert parts.top == whole.top and parts.totals() == whole.totals()
    for mine, theirs in zip(parts.days, whole.days, strict=True):
        assert abs(mine.visitors - theirs.visitors) <= 0.01 * theirs.visitors
    # Under one day's salt the union of the halves' sketches is the whole's, exactly.
    ingest(ledger, "whole-same-salt", [REAL_LOG], memory=memory)
    same = report(ledger, "whole-same-salt")
    assert [d.visitors for d in same.days] == [d.visitors for d in parts.days]


def test_no_address_or_user_agent_survives(
    ledger: Ledger, database_url: str, tmp_path: Path
) -> None:
    ingest(ledger, "acme", [REAL_LOG])
    ledger.close()
    addresses, agents = real_addresses_and_agents()
    # An agent that is nothing but a program's name ("YisouSpider") is kept as that name,
    # the same for everyone running it; every other full string must be gone.
    agents = {agent for agent in agents if classify(agent).browser != agent}
    assert (len(addresses), len(agents) > 500) == (1753, True)
    stored = all_stored_bytes(database_url, tmp_path)
    assert len(stored) > 10_000
    assert [a for a in addresses if a.encode() in stored] == []
    assert [a for a in agents if a.encode() in stored] == []


def test_gzip_and_standard_input(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packed = tmp_path / "access.log.gz"
    packed.write_bytes(gzip.compress(REAL_LOG.read_bytes()))
    assert ingest(ledger, "from-gzip", [packed]).counted == 10_000
    with packed.open("rb") as stream:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(stream))
        assert ingest(ledger, "from-stdin", ["-"]).counted == 10_000
    assert report(ledger, "from-stdin").totals() == report(ledger, "from-gzip").totals()


def test_numbering_values_again_changes_no_count(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Agents, requests, referrers and pages are numbered while counting, within bounds;
    when the numbering starts again (here every few dozen values, in batches of 64 KB
    written one by one), every count stays what it is."""
    memory = Memory()
    ingest(ledger, "once", [REAL_LOG], memory=memory)
    monkeypatch.setattr(tally, "_CACHE_LIMIT", 40)
    monkeypatch.setattr(visitors, "LIMIT", 40)
    monkeypatch.setattr(sources, "CHUNK_SIZE", 65536)
    monkeypatch.setattr(ingesting, "BATCH_CHUNKS", 2)
    monkeypatch.setattr(ingesting, "FLUSH_CHUNKS", 2)
    generation = memory.generation
    small = Memory()
    result = ingest(ledger, "again", [REAL_LOG], memory=small)
    assert (result.counted, result.bad) == (10_000, 1) and small.generation > generation
    once, again = report(ledger, "once", top=10_000), report(ledger, "again", top=10_000)
    assert again.top == once.top and again.totals() == once.totals()
    assert counts(ledger, "again", "transition") == counts(ledger, "once", "transition")
    for mine, theirs in zip(again.days, once.days, strict=True):
        assert abs(mine.visitors - theirs.visitors) <= 0.02 * theirs.visitors
