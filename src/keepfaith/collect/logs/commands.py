"""``keepfaith logs ...``: the command-line shell over this package.

Each command opens the ledger and calls one function of the package; ``keepfaith.cli``
mounts this Typer app as ``logs``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from keepfaith.exceptions import KeepfaithError

app = typer.Typer(
    name="logs",
    help="Web-server logs in, anonymous visit statistics out.",
    no_args_is_help=True,
)

Tenant = Annotated[
    str | None, typer.Option("--tenant", help="Tenant (statement id); default: the statement's.")
]
StatementFile = Annotated[
    Path | None,
    typer.Option("--statement", help="Statement file: retention and campaign parameters."),
]
Database = Annotated[
    str | None,
    typer.Option("--database-url", help="Ledger URL (default: KEEPFAITH_DATABASE_URL)."),
]
Since = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First day.")]
Until = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day.")]


class LogFormat(StrEnum):
    AUTO = "auto"
    COMBINED = "combined"
    VHOST_COMBINED = "vhost_combined"
    COMMON = "common"
    JSON = "json"


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def _fail(error: KeepfaithError) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(code=2)


def _open(database: str | None, statement_file: Path | None, tenant: str | None) -> Any:
    """``(ledger, statement or None, tenant)`` for a command."""
    from keepfaith.ledger import Ledger
    from keepfaith.settings import Settings
    from keepfaith.statement import load

    try:
        statement = load(statement_file) if statement_file else None
    except KeepfaithError as error:
        raise _fail(error) from None
    tenant = tenant or (statement.id if statement else None)
    if tenant is None:
        raise typer.BadParameter("give --tenant or --statement")
    ledger = Ledger(database or Settings().database_url)
    try:
        ledger.migrate()
    except Exception:
        ledger.close()
        raise
    return ledger, statement, tenant


@app.command()
def ingest(
    files: Annotated[list[str], typer.Argument(help="Log files (plain or .gz); - for stdin.")],
    tenant: Tenant = None,
    statement: StatementFile = None,
    database: Database = None,
    log_format: Annotated[LogFormat, typer.Option("--format")] = LogFormat.AUTO,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (0: none); default: CPUs for big logs.")
    ] = None,
    geoip: Annotated[
        Path | None,
        typer.Option(
            envvar="KEEPFAITH_GEOIP_DATABASE",
            help="A MaxMind DB file (GeoLite2 Country, ...): count page views by country.",
        ),
    ] = None,
) -> None:
    """Count web-server logs into anonymous visit statistics; no address is kept."""
    from keepfaith.collect.logs.ingest import ingest as run
    from keepfaith.collect.logs.retention import campaign_parameters

    try:
        ledger, declared, tenant = _open(database, statement, tenant)
        campaign = campaign_parameters(declared) if declared else frozenset()
        with ledger, _progress(files) as advance:
            result = run(
                ledger, tenant, files, fmt=log_format.value, campaign=campaign,
                workers=workers, progress=advance, geoip=geoip,
            )  # fmt: skip
    except KeepfaithError as error:
        raise _fail(error) from None
    typer.echo(
        f"{result.counted} new lines read, {result.skipped} already counted, "
        f"{result.bad} bad, {len(result.days)} days"
    )
    sys.stdout.flush()
    for source, line in result.bad_lines[:20]:
        typer.echo(f"{source}:{line}: bad line (not counted)", err=True)
    if result.bad > 20:
        typer.echo(f"... and {result.bad - 20} more bad lines", err=True)


@app.command()
def report(
    tenant: Tenant = None,
    statement: StatementFile = None,
    database: Database = None,
    days: Annotated[int | None, typer.Option(help="The last N days with data.")] = None,
    since: Since = None,
    until: Until = None,
    top: Annotated[int, typer.Option(help="Values shown per dimension.")] = 10,
    output_format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.TABLE,
) -> None:
    """Top pages, referrers, browsers, systems, devices and unique visitors per day."""
    from keepfaith.collect.logs.report import as_csv, as_json, as_table
    from keepfaith.collect.logs.report import report as run

    ledger, _, tenant = _open(database, statement, tenant)
    with ledger:
        result = run(ledger, tenant, days, since=_day(since), until=_day(until), top=top)
    render = {"table": as_table, "csv": as_csv, "json": as_json}
    typer.echo(render[output_format.value](result), nl=False)


@app.command()
def export(
    tenant: Tenant = None,
    statement: StatementFile = None,
    database: Database = None,
    since: Since = None,
    until: Until = None,
    min_count: Annotated[int, typer.Option(help="Values seen fewer times go to (other).")] = 10,
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Aggregate statistics for partners and advertisers, as JSON; no personal data."""
    from keepfaith.collect.logs.export import export as run

    ledger, _, tenant = _open(database, statement, tenant)
    with ledger:
        data = run(ledger, tenant, since=_day(since), until=_day(until), min_count=min_count)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@app.command()
def prune(
    statement: Annotated[Path, typer.Option("--statement", help="Statement with the rule.")],
    database: Database = None,
    today: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Default: today.")
    ] = None,
) -> None:
    """Delete statistics older than the statement's visit_statistics retention."""
    from keepfaith.collect.logs.retention import apply_retention

    ledger, declared, _ = _open(database, statement, None)
    with ledger:
        deleted = apply_retention(ledger, declared, _day(today))
    typer.echo(f"{deleted} days deleted")


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


class _progress:
    """A progress bar over the input bytes, on a terminal only."""

    def __init__(self, files: list[str]) -> None:
        from keepfaith.collect.logs.sources import size_of

        sizes = [size_of(name) for name in files]
        self.total = None if None in sizes else sum(s or 0 for s in sizes)
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            return None
        from rich.progress import Progress

        self.bar = Progress(transient=True)
        self.bar.start()
        task = self.bar.add_task("ingesting", total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
