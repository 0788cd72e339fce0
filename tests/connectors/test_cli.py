"""``keepfaith connectors ...`` and ``keepfaith check --database``, as staff run them, and
the promise that no sampled value appears in any output or log."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from ruamel.yaml import YAML
from typer.testing import CliRunner

from keepfaith.cli import app
from keepfaith.connectors.datamap import read
from tests.conftest import EXAMPLES
from tests.connectors.databases import awkward_rows

runner = CliRunner()


def _values(url: str, queries: list[str]) -> set[str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = {str(v) for q in queries for v in connection.execute(sa.text(q)).scalars() if v}
    engine.dispose()
    return {value for value in found if len(value) >= 4}


PAGILA_VALUES = [
    "SELECT email FROM customer",
    "SELECT first_name FROM customer",
    "SELECT last_name FROM customer",
    "SELECT address FROM address",
    "SELECT phone FROM address",
    "SELECT postal_code FROM address",
    "SELECT username FROM staff",
    "SELECT password FROM staff",
    "SELECT email FROM staff",
]


def _leaks(texts: list[str], values: set[str]) -> list[str]:
    return sorted(value for value in values if any(value in text for text in texts))


def test_no_sampled_value_reaches_any_output_or_log(
    pagila_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    values = _values(pagila_url, PAGILA_VALUES)
    assert len(values) > 1000
    caplog.set_level(logging.DEBUG)
    # At DEBUG, SQLAlchemy logs every row it reads: the scanner's engine must not.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    outputs = []
    for output_format in ("map", "fides", "text"):
        result = runner.invoke(app, ["connectors", "scan", pagila_url, "--format", output_format])
        assert result.exit_code == 0, result.stderr
        outputs += [result.stdout, result.stderr]
    # SQLAlchemy stamps each statement "[generated in 0.04855s]": its own timing, whose
    # digits would match a sampled postal code by chance.
    timing = re.compile(r"\[(?:generated in|cached since) [\d.]+s(?: ago)?\]")
    logged = [timing.sub("", record.getMessage()) for record in caplog.records]
    assert any("FROM customer" in line for line in logged), "statements were logged"
    assert not any("generated in" in line or "cached since" in line for line in logged)
    assert _leaks(outputs + logged, values) == []
    assert "50 of 50 sampled values are valid email addresses" in outputs[4]


def test_the_leak_scan_can_fail(pagila_url: str) -> None:
    values = _values(pagila_url, ["SELECT email FROM customer"])
    assert _leaks(["contact MARY.SMITH@sakilacustomer.org"], values) == [
        "MARY.SMITH@sakilacustomer.org"
    ]


def test_no_awkward_value_reaches_the_output(awkward_sqlite_url: str) -> None:
    values = {
        str(value)
        for rows in awkward_rows().values()
        for row in rows
        for name, value in row.items()
        if isinstance(value, str) and len(value) >= 4 and name not in {"status"}
    }
    result = runner.invoke(app, ["connectors", "scan", awkward_sqlite_url, "--format", "text"])
    assert result.exit_code == 0
    assert _leaks([result.stdout, result.stderr], values) == []


def test_a_password_in_the_url_is_never_printed(tmp_path: Path) -> None:
    url = "postgresql+psycopg://app:s3cret-Passw0rd@127.0.0.1:1/nowhere"
    result = runner.invoke(app, ["connectors", "scan", url])
    assert result.exit_code == 2
    assert "s3cret-Passw0rd" not in result.stdout + result.stderr
    assert "***" in result.stderr


def test_a_database_named_by_its_settings_key(
    chinook_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEPFAITH_CONNECTORS", f'{{"chinook": "{chinook_sqlite_url}"}}')
    result = runner.invoke(app, ["connectors", "scan", "chinook"])
    assert result.exit_code == 0
    document = YAML(typ="safe").load(result.stdout)
    assert document["key"] == "chinook" and "sqlite" not in result.stdout
    missing = runner.invoke(app, ["connectors", "scan", "nowhere"])
    assert missing.exit_code == 2 and "no database 'nowhere'" in missing.stderr


def test_rescan_after_a_schema_change_proposes_only_the_difference(
    sqlite_copy: str, tmp_path: Path
) -> None:
    first = runner.invoke(
        app, ["connectors", "scan", sqlite_copy, "--key", "chinook", "-o", str(tmp_path / "m.yaml")]
    )
    assert first.exit_code == 0
    reviewed = read(tmp_path / "m.yaml")
    reviewed = reviewed.replace_column(
        "Customer",
        reviewed.table("Customer")
        .column("Company")
        .model_copy(update={"reviewed": True, "categories": ()}),  # type: ignore[union-attr]
    )
    (tmp_path / "m.yaml").write_text(
        __import__("keepfaith.connectors.datamap", fromlist=["dump"]).dump(reviewed)
    )
    engine = sa.create_engine(sqlite_copy)
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE Customer ADD COLUMN MobilePhone NVARCHAR(24)"))
        connection.execute(sa.text("ALTER TABLE Customer DROP COLUMN Fax"))
        connection.execute(
            sa.text("CREATE TABLE Newsletter (Id INTEGER PRIMARY KEY, Address TEXT)")
        )
    engine.dispose()
    again = runner.invoke(
        app, ["connectors", "scan", sqlite_copy, "--reviewed", str(tmp_path / "m.yaml")]
    )
    assert again.exit_code == 0
    changes = [line for line in again.stderr.splitlines() if not line.startswith("scanned")]
    assert changes == [
        "added: Customer.MobilePhone",
        "removed: Customer.Fax",
        "added: table Newsletter",
    ]
    after = YAML(typ="safe").load(again.stdout)
    customer = next(t for t in after["tables"] if t["name"] == "Customer")
    company = next(c for c in customer["columns"] if c["name"] == "Company")
    assert company.get("categories", []) == [] and company["reviewed"] is True, "review kept"
    mobile = next(c for c in customer["columns"] if c["name"] == "MobilePhone")
    assert mobile["categories"] == ["user.contact.phone_number"]


def test_import_and_export_fides_files(tmp_path: Path) -> None:
    from tests.connectors.test_fides import FIDES

    source = tmp_path / "fides.yml"
    source.write_text(FIDES, encoding="utf-8")
    imported = runner.invoke(
        app, ["connectors", "import-fides", str(source), "-o", str(tmp_path / "map.yaml")]
    )
    assert imported.exit_code == 0 and "imported 1 datasets: shop_db" in imported.stderr
    exported = runner.invoke(app, ["connectors", "export-fides", str(tmp_path / "map.yaml")])
    assert exported.exit_code == 0
    assert YAML(typ="safe").load(exported.stdout)["dataset"][0]["fides_key"] == "shop_db"
    source.write_text(
        "dataset: [{fides_key: x, collections: [{name: t, fields: "
        "[{name: c, data_categories: [user.nope]}]}]}]"
    )
    refused = runner.invoke(app, ["connectors", "import-fides", str(source)])
    assert refused.exit_code == 2 and "not a fideslang data category" in refused.stderr


def test_import_fides_into_the_ledger(tmp_path: Path, database_url: str) -> None:
    from keepfaith.connectors import maps
    from keepfaith.ledger import Ledger
    from tests.connectors.test_fides import FIDES

    source = tmp_path / "fides.yml"
    source.write_text(FIDES, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "connectors",
            "import-fides",
            str(source),
            "--tenant",
            "acme",
            "--database-url",
            database_url,
        ],
    )
    assert result.exit_code == 0, result.stderr
    with Ledger(database_url) as ledger, ledger.transaction() as tx:
        assert maps.keys(tx, "acme") == ["shop_db"]


def test_check_warns_of_categories_the_statement_does_not_declare(chinook_sqlite_url: str) -> None:
    statement = EXAMPLES / "parature" / "statement.yaml"
    clean = runner.invoke(app, ["check", str(statement)])
    result = runner.invoke(app, ["check", str(statement), "--database", chinook_sqlite_url])
    assert result.exit_code == 1
    warned = [line for line in result.stdout.splitlines() if line not in clean.stdout.splitlines()]
    assert any(
        "Employee.BirthDate: warning: holds user.demographic.date_of_birth" in line
        for line in warned
    )
    assert not any(".Email:" in line for line in warned), "parature declares user.contact.email"
    as_json = runner.invoke(
        app, ["check", str(statement), "--database", chinook_sqlite_url, "--format", "json"]
    )
    assert '"code": "undeclared-category"' in as_json.stdout
