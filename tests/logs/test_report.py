"""Reports, the partner export, page sequences, retention and the ``keepfaith logs`` CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from keepfaith.collect.logs import apply_retention, export, ingest
from keepfaith.collect.logs.report import as_csv, as_table
from keepfaith.ledger import Ledger
from keepfaith.statement import loads
from tests.conftest import FIXTURES
from tests.logs.support import REAL_LOG, VISITS, counts, logs_cli, report, write_log


def test_page_sequences_and_time_on_page_without_anyone(ledger: Ledger, tmp_path: Path):
    log = write_log(tmp_path / "visits.log", VISITS)
    ingest(ledger, "acme", [log], campaign={"utm_source"})
    assert counts(ledger, "acme", "page") == {"/?utm_source=news": 1, "/a": 2, "/b": 1, "/": 1}
    assert counts(ledger, "acme", "entry") == {"/?utm_source=news": 1, "/a": 1, "/": 1}
    assert counts(ledger, "acme", "transition") == {"/?utm_source=news → /a": 1, "/a → /b": 1}
    assert counts(ledger, "acme", "time_on_page") == {"10-30s": 1, "1-3m": 1}
    assert counts(ledger, "acme", "referrer") == {"search.example": 5}
    day = report(ledger, "acme").days[0]
    assert (day.visitors, day.visits, day.pageviews, day.requests) == (2, 3, 5, 6)


def test_report_renders_as_table_csv_and_json(
    ledger: Ledger, database_url: str, tmp_path: Path
) -> None:
    ingest(ledger, "acme", [write_log(tmp_path / "visits.log", VISITS)])
    summary = report(ledger, "acme", days=7, top=2)
    assert summary.since == dt.date(2024, 2, 25) and summary.until == dt.date(2024, 3, 2)
    assert summary.top["page"] == [("/", 2), ("/a", 2)]
    assert "Top pages" in as_table(summary) and "2024-03-02" in as_table(summary)
    rows = list(csv.reader(io.StringIO(as_csv(summary))))
    assert rows[0] == ["section", "key", "value"] and ["visitors", "period", "2"] in rows
    result = logs_cli(database_url, "report", "--tenant", "acme", "--format", "json")
    data = json.loads(result.stdout)
    assert data["totals"]["pageviews"] == 5 and data["top"]["browser"][0][0] == "Firefox 120"


def test_export_folds_rare_values_into_other(ledger: Ledger) -> None:
    ingest(ledger, "acme", [REAL_LOG])
    with ledger.reading() as tx:
        data = export(tx, "acme", min_count=10)
    assert data["pageviews"] == 1929 and data["clicks"] == sum(
        counts(ledger, "acme", "transition").values()
    )
    for key in ("page", "referrer", "browser", "os", "device", "transition"):
        values = data["top"][key]
        assert all(row["count"] >= 10 for row in values if row["value"] != "(other)")
    assert sum(row["count"] for row in data["top"]["page"]) == 1929
    assert sorted(data["days"][0]) == ["day", "pageviews", "visitors", "visits"]


def test_retention_deletes_days_past_the_declared_period(ledger: Ledger) -> None:
    text = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("retention:\n", "retention:\n  - data: visit_statistics\n    days: 2\n")
    statement = loads(text)
    ingest(ledger, statement.id, [REAL_LOG])
    with ledger.transaction() as tx:
        assert apply_retention(tx, statement, today=dt.date(2015, 5, 21)) == 2
    left = report(ledger, statement.id)
    assert [d.day for d in left.days] == [dt.date(2015, 5, 19), dt.date(2015, 5, 20)]
    assert min(_count_days(ledger, statement.id)) == dt.date(2015, 5, 19)


def _count_days(ledger: Ledger, tenant: str) -> list[dt.date]:
    import sqlalchemy as sa

    from keepfaith.ledger.statistics import visit_counts

    with ledger.engine.connect() as connection:
        query = sa.select(visit_counts.c.day).where(visit_counts.c.tenant == tenant).distinct()
        return [row.day for row in connection.execute(query)]


def test_cli_ingest_names_bad_lines_by_number_only(database_url: str, tmp_path: Path) -> None:
    log = write_log(tmp_path / "mixed.log", [VISITS[0], "203.0.113.77 garbage", VISITS[1]])
    result = logs_cli(database_url, "ingest", str(log), "--tenant", "acme")
    assert "3 new lines read" in result.stdout and "1 bad" in result.stdout
    assert f"{log}:2: bad line" in result.stderr and "203.0.113.77" not in result.output
    again = logs_cli(database_url, "ingest", "-", "--tenant", "acme", input=log.read_bytes())
    assert "3 already counted" in again.stdout
    out = tmp_path / "export.json"
    logs_cli(database_url, "export", "--tenant", "acme", "--min-count", "1", "-o", str(out))
    assert json.loads(out.read_text())["pageviews"] == 2


def test_cli_refuses_a_missing_file_with_one_line(database_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from keepfaith.cli import app

    missing = str(tmp_path / "nowhere.log")
    args = ["logs", "ingest", missing, "--tenant", "acme", "--database-url", database_url]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and result.stderr == f"error: no such log file: {missing}\n"
