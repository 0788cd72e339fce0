"""Helpers for the log tests and the log clauses' conformance tests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import Result
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.collect import logs
from keepfaith.collect.logs import Report
from keepfaith.ledger import Ledger
from tests.conftest import SHARED

REAL_LOG = SHARED / "data" / "access-logs" / "elastic-apache.log"
"""Real visitor addresses: read in place, never copied into the repository."""

LINE = re.compile(
    r'^(\S+) \S+ \S+ \[(\d\d)/(\w{3})/(\d{4}):(\d\d):\d\d:\d\d [^\]]+\] "([^"]*)" (\d{3}) (\S+)'
    r' "([^"]*)" "([^"]*)"$'
)
"""An independent reading of the combined format, for checking counts."""


FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0.0.0 Safari/537.36"
)


def line(ip: str, time: str, path: str, agent: str = FIREFOX, day: str = "02/Mar/2024") -> str:
    """A combined-format line with a search referrer that holds a query."""
    return (
        f'{ip} - - [{day}:{time} +0000] "GET {path} HTTP/1.1" 200 100'
        f' "https://search.example/?q=secret" "{agent}"'
    )


VISITS = [
    line("198.51.100.1", "10:00:00", "/?utm_source=news&email=ann@example.com"),
    line("198.51.100.2", "10:00:05", "/a", CHROME),
    line("198.51.100.1", "10:00:20", "/a"),
    line("198.51.100.1", "10:00:21", "/style.css"),
    line("198.51.100.1", "10:01:20", "/b"),
    line("198.51.100.1", "11:00:00", "/"),  # more than 30 minutes later: a new visit
]
"""Two visitors, three visits: / -> /a (20 s) -> /b (60 s), /a alone, and / again."""


def report(ledger: Ledger, tenant: str, *args: Any, **options: Any) -> Report:
    """``collect.logs.report`` in a transaction of its own."""
    with ledger.reading() as tx:
        return logs.report(tx, tenant, *args, **options)


def counts(ledger: Ledger, tenant: str, dimension: str, **options: Any) -> dict[str, int]:
    """``collect.logs.counts`` in a transaction of its own."""
    with ledger.reading() as tx:
        return logs.counts(tx, tenant, dimension, **options)


def write_log(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def logs_cli(database_url: str, *args: str, input: bytes | None = None) -> Result:
    """Run ``keepfaith logs ARGS --database-url URL`` in-process; fail on a non-zero exit."""
    result = CliRunner().invoke(app, ["logs", *args, "--database-url", database_url], input=input)
    assert result.exit_code == 0, result.output
    return result


def real_addresses_and_agents() -> tuple[set[str], set[str]]:
    """The real log's distinct addresses, and its full user-agent strings."""
    lines = REAL_LOG.read_text(encoding="utf-8").splitlines()
    addresses = {line.split(" ", 1)[0] for line in lines}
    agents = {m.group(10) for m in map(LINE.match, lines) if m} - {"-", ""}
    return addresses, agents


def all_stored_bytes(database_url: str, folder: Path) -> bytes:
    """Every byte keepfaith stored: the files under ``folder`` (the SQLite database and
    its journals among them, but not the test's own ``.log``/``.gz`` inputs) and, on
    PostgreSQL, every value of every table."""
    files = [p for p in folder.rglob("*") if p.is_file() and p.suffix not in (".log", ".gz")]
    stored = b"".join(path.read_bytes() for path in files)
    if database_url.startswith("sqlite"):
        return stored
    engine = sa.create_engine(database_url)
    values: list[bytes] = []
    with engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                values += [v if isinstance(v, bytes) else str(v).encode() for v in row]
    engine.dispose()
    return stored + b"\n".join(values)


HOSTS = (b"www.example.org:443", b"shop.example.org:80")
"""The virtual hosts the real log is spread over when rewritten as ``vhost_combined``."""
_COMBINED = re.compile(
    rb'^(\S+) \S+ \S+ \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)'
    rb' "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$'
)


MACHINE_FILES = re.compile(
    rb'^\S+ \S+ \S+ \[[^\]]+\] "\w+ /(robots\.txt|sitemap\.xml|browserconfig\.xml)[ ?"]'
)
"""Requests for files made for programs, not people: no longer page views since the
columnar engine came (the per-line ingestion counted them as pages)."""


def rewritten(fmt: str) -> bytes:
    """The real log in another format, made here and never stored: ``combined`` as it
    is, ``vhost_combined`` with every line given one of two hosts, ``common`` without
    referrer and agent, ``json`` as nginx-style objects. A line that is not combined
    (the truncated one) is kept as it is, so it stays the one bad line. Requests for
    ``MACHINE_FILES`` are left out: on them the page rule changed on purpose."""
    lines = [
        line for line in REAL_LOG.read_bytes().split(b"\n")[:-1] if not MACHINE_FILES.match(line)
    ]
    out = []
    for number, line in enumerate(lines):
        match = _COMBINED.match(line)
        if match is None or fmt == "combined":
            out.append(line)
        elif fmt == "vhost_combined":
            out.append(HOSTS[number % 2] + b" " + line)
        elif fmt == "common":
            out.append(line[: match.end(5)])
        else:
            ip, stamp, request, status, size, referrer, agent = match.groups()
            record = {
                "remote_addr": ip.decode(),
                "time_local": stamp.decode(),
                "request": request.decode(),
                "status": int(status),
                "body_bytes_sent": size.decode(),
                "http_referer": referrer.decode(),
                "http_user_agent": agent.replace(b'\\"', b'"').decode(),
            }
            out.append(json.dumps(record).encode())
    return b"".join(line + b"\n" for line in out)


def halves_by_address(lines: list[str]) -> tuple[list[str], list[str]]:
    """The real log's lines split in two by address (every visitor wholly in one half),
    each half in log order: what two machines behind a load balancer that pins clients
    would each write."""
    first = [line for line in lines if sum(line.split(" ", 1)[0].encode()) % 2 == 0]
    second = [line for line in lines if sum(line.split(" ", 1)[0].encode()) % 2 == 1]
    return first, second


def write_geoip(path: Path, networks: dict[str, str]) -> Path:
    """A MaxMind DB (the format GeoLite2 uses) placing each network in its country."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-Country")
    for network, code in networks.items():
        writer.insert_network(IPSet([network]), {"country": {"iso_code": code}})
    writer.to_db_file(str(path))
    return path


WIDE_NETWORKS = {"0.0.0.0/1": "NL", "128.0.0.0/2": "US"}
"""Two halves of the address space, so the real log's views land in two countries."""
