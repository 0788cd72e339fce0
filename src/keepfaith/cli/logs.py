"""``keepfaith logs ...``: web-server logs in, anonymous visit statistics out.

Each command opens the ledger (``report`` and ``export`` only read, and never migrate)
and calls one function of ``keepfaith.collect.logs``. The tenant is ``--tenant``, the
``--statement``'s id, or else the one tenant the ledger holds.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keepfaith.cli import Command, DatabaseUrl, _ledger, fail
from keepfaith.exceptions import ConfigurationError, KeepfaithError

if TYPE_CHECKING:
    from keepfaith.ledger import Ledger, Transaction
    from keepfaith.statement import Statement

app = typer.Typer(
    name="logs",
    help="Web-server logs in, anonymous visit statistics out.",
    no_args_is_help=True,
)

Tenant = Annotated[
    str | None,
    typer.Option(
        "--tenant", help="Tenant (statement id); default: the statement's, or the ledger's one."
    ),
]
StatementFile = Annotated[
    Path | None,
    typer.Option("--statement", help="Statement file: retention and campaign parameters."),
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


@app.command(cls=Command)
def ingest(
    files: Annotated[
        list[str], typer.Argument(metavar="FILE", help="Log files (plain or .gz); - for stdin.")
    ],
    tenant: Tenant = None,
    statement: StatementFile = None,
    database_url: DatabaseUrl = None,
    log_format: Annotated[LogFormat, typer.Option("--format")] = LogFormat.AUTO,
    geoip: Annotated[
        Path | None,
        typer.Option(
            envvar="KEEPFAITH_GEOIP_DATABASE",
            help="A MaxMind DB file (GeoLite2 Country, ...): count page views by country.",
        ),
    ] = None,
    partial: Annotated[
        Path | None,
        typer.Option(
            "--partial",
            metavar="OUT",
            help="Write the statistics to this file for `logs merge`, not to the ledger.",
        ),
    ] = None,
) -> None:
    """Count web-server logs into anonymous visit statistics; no address is kept."""
    from keepfaith.collect.logs import campaign_parameters
    from keepfaith.collect.logs import ingest as run

    try:
        declared = _statement(statement)
        campaign = campaign_parameters(declared) if declared else frozenset()
        if partial is not None:
            name = tenant or (declared.id if declared else None)
            if name is None:
                raise ConfigurationError("give --tenant or --statement with --partial")
            with _progress(files) as advance:
                result = run(None, name, files, fmt=log_format.value, campaign=campaign,
                             progress=advance, geoip=geoip, partial_file=partial)  # fmt: skip
        else:
            with _ledger(database_url) as ledger:
                ledger.migrate()
                name = _tenant(ledger, tenant, declared)
                with _progress(files) as advance:
                    result = run(ledger, name, files, fmt=log_format.value, campaign=campaign,
                                 progress=advance, geoip=geoip)  # fmt: skip
    except KeepfaithError as error:
        raise fail(error) from None
    typer.echo(
        f"{result.counted} new lines read, {result.skipped} already counted, "
        f"{result.bad} bad, {len(result.days)} days"
        + (f"; written to {partial}" if partial is not None else "")
    )
    sys.stdout.flush()
    for source, line in result.bad_lines[:20]:
        typer.echo(f"{source}:{line}: bad line (not counted)", err=True)
    if result.bad > 20:
        typer.echo(f"... and {result.bad - 20} more bad lines", err=True)


@app.command(cls=Command)
def merge(
    partials: Annotated[
        list[Path], typer.Argument(metavar="PARTIAL", help="Files from `logs ingest --partial`.")
    ],
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Tenant to add to; default: each file's own.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add partial statistics, counted on other machines, to the ledger, each once."""
    from keepfaith.collect.logs import merge as run
    from keepfaith.collect.logs import read_partial

    try:
        found = [(path, read_partial(path)) for path in partials]
        with _ledger(database_url) as ledger:
            ledger.migrate()
            for path, part in found:
                with ledger.transaction() as tx:
                    lines = run(tx, part, tenant)
                note = "already merged" if not lines and part.chunks else f"{lines} lines added"
                typer.echo(f"{path}: {note} to {tenant or part.tenant}")
    except KeepfaithError as error:
        raise fail(error) from None


@app.command(cls=Command)
def report(
    tenant: Tenant = None,
    statement: StatementFile = None,
    database_url: DatabaseUrl = None,
    days: Annotated[int | None, typer.Option(help="The last N days with data.")] = None,
    since: Since = None,
    until: Until = None,
    top: Annotated[int, typer.Option(help="Values shown per dimension.")] = 10,
    output_format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.TABLE,
) -> None:
    """Top pages, referrers, browsers, systems, devices and unique visitors per day."""
    from keepfaith.collect.logs.report import as_csv, as_json, as_table
    from keepfaith.collect.logs.report import report as run

    def read(tx: Transaction, name: str) -> str:
        result = run(tx, name, days, since=_day(since), until=_day(until), top=top)
        render = {"table": as_table, "csv": as_csv, "json": as_json}
        return render[output_format.value](result)

    typer.echo(_read(database_url, tenant, statement, read), nl=False)


@app.command(cls=Command)
def export(
    tenant: Tenant = None,
    statement: StatementFile = None,
    database_url: DatabaseUrl = None,
    since: Since = None,
    until: Until = None,
    min_count: Annotated[int, typer.Option(help="Values seen fewer times go to (other).")] = 10,
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Aggregate statistics for partners and advertisers, as JSON; no personal data."""
    from keepfaith.collect.logs import export as run

    def read(tx: Transaction, name: str) -> str:
        data = run(tx, name, since=_day(since), until=_day(until), min_count=min_count)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    text = _read(database_url, tenant, statement, read)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@app.command(cls=Command)
def prune(
    statement: Annotated[Path, typer.Option("--statement", help="Statement with the rule.")],
    database_url: DatabaseUrl = None,
    today: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Default: today.")
    ] = None,
) -> None:
    """Delete statistics older than the statement's visit_statistics retention."""
    from keepfaith.collect.logs import apply_retention

    try:
        declared = _statement(statement)
        assert declared is not None
        with _ledger(database_url) as ledger:
            ledger.migrate()
            with ledger.transaction() as tx:
                deleted = apply_retention(tx, declared, _day(today))
    except KeepfaithError as error:
        raise fail(error) from None
    typer.echo(f"{deleted} days deleted")


def _statement(path: Path | None) -> Statement | None:
    from keepfaith.statement import load

    return load(path) if path else None


def _tenant(ledger: Ledger, tenant: str | None, declared: Statement | None) -> str:
    """The tenant named, the statement's, or the ledger's only one."""
    from keepfaith.ledger.statistics import tenants

    if tenant or declared:
        return tenant or declared.id  # type: ignore[union-attr]
    with ledger.reading() as tx:
        known = tenants(tx)
    if len(known) == 1:
        return known[0]
    held = f" (the ledger holds {', '.join(known)})" if known else " (the ledger holds none)"
    raise ConfigurationError(f"give --tenant or --statement{held}")


def _read(
    database_url: str | None,
    tenant: str | None,
    statement: Path | None,
    read: Any,
) -> str:
    """``read(tx, tenant)`` on the ledger as it is: no migration, nothing written."""
    from keepfaith.ledger.statistics import require_tables

    try:
        declared = _statement(statement)
        with _ledger(database_url) as ledger:
            with ledger.reading() as tx:
                require_tables(tx)
            name = _tenant(ledger, tenant, declared)
            with ledger.reading() as tx:
                return str(read(tx, name))
    except KeepfaithError as error:
        raise fail(error) from None


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
