"""``keepfaith publish``: show what a new version changes, then publish it as promised."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from keepfaith.exceptions import KeepfaithError


def publish_command(
    statement_file: Annotated[Path, typer.Argument(help="The new version to publish.")],
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Ledger URL (default: KEEPFAITH_DATABASE_URL)."),
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who publishes (default: $USER).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Publish without asking.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the changes and the plan only.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Publish a new statement version: every change is shown first, material or not,
    with its clauses and the plan the version in force promised; then the version is
    published, recorded with who and when, and people are moved or told as promised.

    Exit 0 when published (or shown, with --dry-run), 1 when not confirmed, 2 on error.
    """
    from keepfaith.changes import publish
    from keepfaith.cli import _ledger, fail
    from keepfaith.statement import loads
    from keepfaith.statement.load import read_text

    publisher = by or os.environ.get("USER") or "cli"
    try:
        text = read_text(statement_file)
        statement = loads(text, source=str(statement_file))
        ledger = _ledger(database_url)
        with ledger.reading() as tx:
            shown = publish.preview(tx, statement)
    except KeepfaithError as error:
        raise fail(error) from None
    if as_json:
        typer.echo(json.dumps(shown.to_dict(), indent=2))
    else:
        _show(shown)
    if dry_run:
        return
    if not yes and not typer.confirm(f"Publish {statement.id} {statement.version}?"):
        raise typer.Exit(code=1)
    try:
        with ledger.transaction(actor=publisher) as tx:
            done = publish.publish(tx, statement, text)
    except KeepfaithError as error:
        raise fail(error) from None
    finally:
        ledger.close()
    if not as_json:
        typer.echo(f"published {done.tenant} {done.version} by {done.published_by}")


def _show(shown: object) -> None:
    from keepfaith.changes.publish import Preview

    assert isinstance(shown, Preview)
    typer.echo(f"{shown.tenant}: {shown.old_version or '(none)'} -> {shown.new_version}")
    for change in shown.changes:
        mark = "MATERIAL" if change.material else "minor   "
        clauses = f" [{', '.join(change.clauses)}]" if change.clauses else ""
        typer.echo(f"  {mark} {change.description}{clauses}")
    if shown.plan is None:
        typer.echo("first version: nobody to tell")
        return
    typer.echo(f"{len(shown.changes)} changes, {len(shown.material)} material")
    rule = ", ".join(shown.plan.clauses) or "no clause"
    typer.echo(f"as promised by {shown.old_version} ({rule}):")
    for number, step in enumerate(shown.plan.steps, start=1):
        typer.echo(f"  {number}. {step.action}: {step.description}")
    typer.echo(f"  effective: {shown.plan.effective}")
