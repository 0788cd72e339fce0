"""``keepfaith logs``: the tenant by default, usage, names that agree, reading without
migrating, and partials counted by separate processes that merge to the whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.collect.logs import ingest
from keepfaith.ledger import Ledger, statements
from keepfaith.statement import loads
from tests.conftest import FIXTURES
from tests.logs.support import (
    REAL_LOG,
    VISITS,
    all_stored_bytes,
    halves_by_address,
    logs_cli,
    real_addresses_and_agents,
    report,
    write_log,
)


def invoke(database_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["logs", *args, "--database-url", database_url])
    return result.exit_code, result.stdout, result.stderr


def test_ingest_uses_the_ledgers_one_tenant(ledger: Ledger, database_url: str, tmp_path: Path):
    log = write_log(tmp_path / "visits.log", VISITS)
    code, _, err = invoke(database_url, "ingest", str(log))
    assert (code, err) == (2, "error: give --tenant or --statement (the ledger holds none)\n")
    statement = loads((FIXTURES / "minimal.yaml").read_text(encoding="utf-8"))
    with ledger.transaction() as tx:
        statements.publish(tx, statement)
    logs_cli(database_url, "ingest", str(log))
    assert report(ledger, statement.id).totals()["pageviews"] == 5
    shown = json.loads(logs_cli(database_url, "report", "--format", "json").stdout)
    assert shown["tenant"] == statement.id
    ingest(ledger, "second", [log])
    code, _, err = invoke(database_url, "report")
    assert code == 2 and f"(the ledger holds {statement.id}, second)" in err


def test_the_usage_line_names_the_files() -> None:
    result = CliRunner().invoke(app, ["logs", "ingest", "--help"], env={"COLUMNS": "100"})
    assert "Usage: keepfaith logs ingest [OPTIONS] FILE..." in result.output
    result = CliRunner().invoke(app, ["logs", "merge", "--help"], env={"COLUMNS": "100"})
    assert "Usage: keepfaith logs merge [OPTIONS] PARTIAL..." in result.output


def test_table_json_and_export_use_the_same_names(
    ledger: Ledger, database_url: str, tmp_path: Path
) -> None:
    ingest(ledger, "acme", [write_log(tmp_path / "visits.log", VISITS)])
    table = logs_cli(database_url, "report", "--tenant", "acme").stdout
    shown = json.loads(
        logs_cli(database_url, "report", "--tenant", "acme", "--format", "json").stdout
    )
    exported = json.loads(logs_cli(database_url, "export", "--tenant", "acme").stdout)
    header = table.splitlines()[2].split()
    assert header == ["day", "visitors", "pageviews", "visits", "requests", "bot_requests"]
    assert set(header) <= set(shown["days"][0])
    assert set(exported["days"][0]) <= set(shown["days"][0])
    assert {"visitors", "pageviews", "visits"} <= set(exported) & (
        set(shown) | set(shown["totals"])
    )
    assert set(exported["top"]) <= set(shown["top"])
    assert "Top operating systems" in table and "Top oss" not in table
    assert "2 visitors (each day's unique visitors, summed)" in table


def test_a_periods_visitors_are_the_sum_of_its_days(ledger: Ledger, tmp_path: Path) -> None:
    again = [line.replace("02/Mar/2024", "03/Mar/2024") for line in VISITS]
    ingest(ledger, "acme", [write_log(tmp_path / "two-days.log", VISITS + again)])
    summary = report(ledger, "acme")
    assert [day.visitors for day in summary.days] == [2, 2] and summary.visitors == 4


def test_report_and_export_read_without_migrating(database_url: str) -> None:
    for command in ("report", "export"):
        code, _, err = invoke(database_url, command, "--tenant", "acme")
        assert (code, err) == (
            2,
            "error: the ledger has no visit statistics yet: ingest logs first\n",
        )
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        assert sa.inspect(connection).get_table_names() == []
    engine.dispose()


def test_two_processes_count_halves_that_merge_to_the_single_process_result(
    ledger: Ledger, database_url: str, tmp_path: Path, real_lines: list[str]
) -> None:
    """Two machines behind a load balancer that keeps each client on one of them."""
    halves = [write_log(tmp_path / f"half-{n}.log", half) for n, half in
              enumerate(halves_by_address(real_lines))]  # fmt: skip
    partials = [tmp_path / f"half-{n}.json" for n in range(2)]
    command = [sys.executable, "-m", "keepfaith.cli", "logs", "ingest", "--tenant", "acme"]
    env = {**os.environ, "COLUMNS": "200"}
    workers = [
        subprocess.Popen(
            [*command, str(half), "--partial", str(out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for half, out in zip(halves, partials, strict=True)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        assert b"written to" in out
    merged = logs_cli(database_url, "merge", *map(str, partials)).stdout
    assert merged.count("lines added to acme") == 2
    ingest(ledger, "whole", [REAL_LOG])
    parts, whole = report(ledger, "acme", top=10_000), report(ledger, "whole", top=10_000)
    assert parts.top == whole.top and parts.totals() == whole.totals()
    for mine, theirs in zip(parts.days, whole.days, strict=True):
        assert abs(mine.visitors - theirs.visitors) <= 0.02 * theirs.visitors
    again = logs_cli(database_url, "merge", str(partials[0])).stdout
    assert "already merged" in again and report(ledger, "acme", top=10_000) == parts
    addresses, _ = real_addresses_and_agents()
    written = b"".join(path.read_bytes() for path in partials)
    assert [address for address in addresses if address.encode() in written] == []
    stored = all_stored_bytes(database_url, tmp_path)
    assert len(stored) > 10_000
    assert [address for address in addresses if address.encode() in stored] == []


def test_a_partial_whose_lines_were_partly_counted_is_refused(
    ledger: Ledger, database_url: str, tmp_path: Path, real_lines: list[str]
) -> None:
    first = write_log(tmp_path / "first.log", real_lines[:6000])
    ingest(ledger, "acme", [first])
    partial = tmp_path / "whole.json"
    ingest(None, "acme", [REAL_LOG], partial_file=partial)
    before = report(ledger, "acme")
    code, _, err = invoke(database_url, "merge", str(partial))
    assert code == 2 and "chunks were already counted for acme" in err
    assert report(ledger, "acme") == before
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "something else"}')
    code, _, err = invoke(database_url, "merge", str(broken))
    assert code == 2 and err.startswith(f"error: {broken}: not a partial statistics file")
