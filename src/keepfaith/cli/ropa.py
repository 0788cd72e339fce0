"""``keepfaith ropa``: the records of processing (GDPR Article 30), as CSV or HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from keepfaith.exceptions import KeepfaithError

FORMATS = ("csv", "html")


def ropa_command(
    tenant: Annotated[str, typer.Argument(help="The tenant (statement id).")],
    output_format: Annotated[str, typer.Option("--format", help="csv or html.")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Write here (default: stdout).")] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Ledger URL (default: KEEPFAITH_DATABASE_URL)."),
    ] = None,
) -> None:
    """Print the register of processing from the published statement and the disclosure
    log: purposes, people and data, recipients, transfers and mechanisms, retention,
    security. Exit 2 on error (an unknown tenant, a bad format)."""
    from keepfaith import sharing
    from keepfaith.cli import _ledger, fail

    if output_format not in FORMATS:
        typer.echo(f"error: --format must be one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(code=2)
    try:
        ledger = _ledger(database_url)
        try:
            found = sharing.register(ledger, tenant)
        finally:
            ledger.close()
    except KeepfaithError as error:
        raise fail(error) from None
    text = sharing.csv_text(found) if output_format == "csv" else sharing.html_text(found)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
