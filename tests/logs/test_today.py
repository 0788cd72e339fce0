"""The real log in every format counts exactly as the per-line ingestion did.

``fixtures/elastic-apache.json`` holds what keepfaith's per-line ingestion counted on
the real log (in each format ``support.rewritten`` makes of it) before the columnar
engine replaced it: totals and every counted value per day, bad lines by number, and the
exact number of distinct people per day. It holds no address; a test checks that too.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from keepfaith.collect.logs import ingest
from keepfaith.ledger import Ledger, statistics
from keepfaith.ledger.statistics import visit_counts, visit_days
from tests.logs.support import REAL_LOG, WIDE_NETWORKS, rewritten, write_geoip

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "elastic-apache.json").read_text())
FORMATS = RECORDED["formats"]


def stored(ledger: Ledger) -> tuple[dict[str, Any], dict[str, dict[str, int]], dict[str, int]]:
    """Per-day totals, per ``"day dimension"`` counts, and per-day visitor estimates."""
    names = ("requests", "bot_requests", "pageviews", "sessions", "bytes")
    days: dict[str, Any] = {}
    estimates: dict[str, int] = {}
    counts: dict[str, dict[str, int]] = {}
    with ledger.engine.connect() as connection:
        for row in connection.execute(sa.select(visit_days)):
            days[str(row.day)] = {name: getattr(row, name) for name in names}
            if statistics.estimate(row.visitors):
                estimates[str(row.day)] = statistics.estimate(row.visitors)
        for row in connection.execute(sa.select(visit_counts)):
            counts.setdefault(f"{row.day} {row.dimension}", {})[row.value] = row.count
    return days, counts, estimates


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_counts_as_the_per_line_ingestion_did(
    ledger: Ledger, tmp_path: Path, fmt: str
) -> None:
    want = FORMATS[fmt]
    log = tmp_path / f"real.{fmt}.log"
    log.write_bytes(rewritten(fmt))
    geoip = write_geoip(tmp_path / "wide.mmdb", WIDE_NETWORKS) if fmt == "combined" else None
    result = ingest(ledger, "acme", [log], geoip=geoip)
    assert result.formats == {str(log): want["detected"]}
    got = (result.lines, result.counted, result.bad, [n for _, n in result.bad_lines])
    assert got == (want["lines"], want["counted"], want["bad"], want["bad_lines"])
    assert (result.requests, result.pageviews) == (want["requests"], want["pageviews"])
    assert sorted(result.days) == [dt.date.fromisoformat(day) for day in sorted(want["days"])]
    days, counts, estimates = stored(ledger)
    assert days == want["days"]
    assert sorted(counts) == sorted(want["counts"])
    for key, values in want["counts"].items():
        assert counts[key] == values, key
    assert sorted(estimates) == sorted(want["visitors"])
    for day, exact in want["visitors"].items():
        assert abs(estimates[day] - exact) <= 0.02 * exact, day


def test_the_recording_holds_no_address() -> None:
    text = json.dumps(RECORDED)
    addresses = {line.split(b" ", 1)[0].decode() for line in REAL_LOG.read_bytes().splitlines()}
    assert len(addresses) == 1753
    assert [address for address in addresses if address in text] == []
