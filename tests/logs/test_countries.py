"""Page views by country, from a GeoIP database, with no address kept.

The test writes a small MaxMind DB (with mmdb-writer, the format GeoLite2 uses) that
places two documentation networks, and ingests a log whose visitors come from them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from keepfaith.collect.logs import ingest
from keepfaith.collect.logs.countries import UNKNOWN, Countries
from keepfaith.collect.logs.report import NO_COUNTRIES, as_table
from keepfaith.exceptions import ConfigurationError
from keepfaith.ledger import Ledger
from tests.logs.support import all_stored_bytes, counts, line, logs_cli, report, write_log

NETHERLANDS = "198.51.100"
UNITED_STATES = "203.0.113"
NOWHERE = "192.0.2.9"


@pytest.fixture
def geoip(tmp_path: Path) -> Path:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-Country")
    writer.insert_network(IPSet([f"{NETHERLANDS}.0/24"]), {"country": {"iso_code": "NL"}})
    writer.insert_network(IPSet([f"{UNITED_STATES}.0/24"]), {"country": {"iso_code": "US"}})
    path = tmp_path / "countries.mmdb"
    writer.to_db_file(str(path))
    return path


def visits() -> list[str]:
    return [
        line(f"{NETHERLANDS}.7", "09:00:00", "/"),
        line(f"{NETHERLANDS}.7", "09:01:00", "/a"),
        line(f"{NETHERLANDS}.8", "09:02:00", "/"),
        line(f"{UNITED_STATES}.1", "09:03:00", "/"),
        line(f"{UNITED_STATES}.1", "09:03:05", "/style.css"),  # a resource, not a view
        line(NOWHERE, "09:04:00", "/"),
    ]


def test_page_views_are_counted_by_country(ledger: Ledger, tmp_path: Path, geoip: Path) -> None:
    log = write_log(tmp_path / "visits.log", visits())
    ingest(ledger, "acme", [log], geoip=geoip)
    assert counts(ledger, "acme", "country") == {"NL": 3, "US": 1, UNKNOWN: 1}
    summary = report(ledger, "acme")
    assert summary.top["country"][0] == ("NL", 3)
    assert "Top countries" in as_table(summary) and NO_COUNTRIES not in as_table(summary)


def test_without_a_database_no_country_is_counted_and_the_table_says_how(
    ledger: Ledger, tmp_path: Path
) -> None:
    ingest(ledger, "acme", [write_log(tmp_path / "visits.log", visits())])
    assert counts(ledger, "acme", "country") == {}
    table = as_table(report(ledger, "acme"))
    assert "Top countries\n         -  none: countries are counted when" in table
    assert "--geoip FILE" in NO_COUNTRIES


def test_the_cli_takes_the_database_and_keeps_no_address(
    ledger: Ledger, database_url: str, tmp_path: Path, geoip: Path
) -> None:
    log = write_log(tmp_path / "visits.log", visits())
    logs_cli(database_url, "ingest", str(log), "--tenant", "acme", "--geoip", str(geoip))
    assert counts(ledger, "acme", "country") == {"NL": 3, "US": 1, UNKNOWN: 1}
    stored = all_stored_bytes(database_url, tmp_path)
    addresses = [f"{NETHERLANDS}.7", f"{NETHERLANDS}.8", f"{UNITED_STATES}.1", NOWHERE]
    assert [a for a in addresses if a.encode() in stored] == []


def test_an_unreadable_database_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"not a database")
    with pytest.raises(ConfigurationError, match="cannot read the GeoIP database"):
        Countries(broken)
