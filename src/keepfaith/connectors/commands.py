"""``keepfaith connectors ...``: the command-line shell over this package.

Each command calls one function of the package; ``keepfaith.cli`` mounts this Typer app
as ``connectors`` and uses ``resolve`` for ``keepfaith check --database``. A database is
named by its key in the ``connectors`` setting (which holds its URL and password) or by
a URL; a URL's password is never printed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from keepfaith.exceptions import KeepfaithError

app = typer.Typer(
    name="connectors",
    help="The company's databases: dataset maps, discovery, Fides import and export.",
    no_args_is_help=True,
)


class ScanFormat(StrEnum):
    MAP = "map"
    FIDES = "fides"
    TEXT = "text"


def _fail(error: KeepfaithError) -> typer.Exit:
    from keepfaith.exceptions import InvalidSubmission

    if isinstance(error, InvalidSubmission):
        for where, reason in error.errors.items():
            typer.echo(f"{where}: error: {reason}", err=True)
    else:
        typer.echo(f"error: {error}", err=True)
    return typer.Exit(code=2)


def resolve(target: str, key: str | None = None) -> tuple[str, str]:
    """``(url, key)`` for a database named by its settings key or given as a URL."""
    from keepfaith.connectors.maps import url_of
    from keepfaith.settings import Settings

    if "://" not in target:
        return url_of(Settings(), target), key or target
    import sqlalchemy as sa

    try:
        database = sa.make_url(target).database or "database"
    except sa.exc.ArgumentError:
        database = "database"
    default = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(database).stem) or "database"
    return target, key or default


Target = Annotated[
    str, typer.Argument(help="A database: its key in the connectors setting, or a URL.")
]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
]


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        typer.echo(f"error: cannot write {output}: {error.strerror}", err=True)
        raise typer.Exit(code=2) from None


@app.command("scan")
def scan_command(
    target: Target,
    key: Annotated[
        str | None, typer.Option(help="The map's key (default: the database name).")
    ] = None,
    schema: Annotated[
        str | None, typer.Option(help="Scan this schema (default: the default one).")
    ] = None,
    reviewed: Annotated[
        Path | None,
        typer.Option(
            "--reviewed", help="A reviewed map: keep its reviewed columns, propose the rest."
        ),
    ] = None,
    sample_size: Annotated[
        int | None, typer.Option(min=0, help="Rows sampled per table (default: scan_sample_size).")
    ] = None,
    output_format: Annotated[
        ScanFormat,
        typer.Option("--format", help="map (keepfaith YAML), fides (Fides YAML) or text."),
    ] = ScanFormat.MAP,
    output: Output = None,
) -> None:
    """Propose a dataset map for a database, column by column, with the evidence.

    The sampled values are counted by validators and never stored, printed or logged.
    With --reviewed, only the difference from that map is proposed (listed on stderr).
    """
    from keepfaith.connectors import datamap
    from keepfaith.connectors.scan import scan
    from keepfaith.settings import Settings

    try:
        url, map_key = resolve(target, key)
        before = datamap.read(reviewed) if reviewed else None
        size = Settings().scan_sample_size if sample_size is None else sample_size
        result = scan(
            url, before.key if before else map_key, sample_size=size, schema=schema, reviewed=before
        )
    except KeepfaithError as error:
        raise _fail(error) from None
    if before is not None:
        for change in result.changes:
            typer.echo(str(change), err=True)
    _write(_render(result, output_format), output)
    personal = sum(column.personal for _, column in result.map.columns())
    total = sum(1 for _ in result.map.columns())
    typer.echo(
        f"scanned {len(result.map.tables)} tables, {total} columns in {result.seconds:.2f} s: "
        f"{personal} personal, {len(result.changes) if before else total} to review",
        err=True,
    )


def _render(result: object, output_format: ScanFormat) -> str:
    from keepfaith.connectors import datamap, fides
    from keepfaith.connectors.graph import edges
    from keepfaith.connectors.scan import ScanResult

    assert isinstance(result, ScanResult)
    if output_format is ScanFormat.FIDES:
        return fides.dumps([result.map], {result.map.key: edges(result.map, result.schema)})
    if output_format is ScanFormat.MAP:
        return datamap.dump(result.map)
    lines = []
    for table, column in result.map.columns():
        categories = ", ".join(column.categories) or "not personal"
        flags = "".join(
            f" [{flag}]"
            for flag, on in (
                ("identity: " + str(column.identity), column.identity),
                ("sensitive", column.sensitive),
            )
            if on
        )
        lines.append(
            f"{table.name}.{column.name}: {categories}{flags} "
            f"({column.confidence or 0:.2f}, erase: {column.erasure.value})"
        )
        lines.extend(f"    {evidence}" for evidence in column.evidence)
    return "\n".join(lines) + "\n"


@app.command("import-fides")
def import_fides(
    file: Annotated[Path, typer.Argument(help="A Fides dataset YAML file.")],
    tenant: Annotated[
        str | None, typer.Option(metavar="ID", help="Store the maps in the ledger for this tenant.")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Ledger URL (default: KEEPFAITH_DATABASE_URL)."),
    ] = None,
    output: Output = None,
) -> None:
    """Read a Fides dataset file into keepfaith dataset maps (printed, or stored with --tenant)."""
    from keepfaith.connectors import datamap, fides

    try:
        maps = fides.read(file)
        if tenant is not None:
            _store(maps, tenant, database_url)
    except KeepfaithError as error:
        raise _fail(error) from None
    if tenant is None:
        _write("---\n".join(datamap.dump(m) for m in maps), output)
    typer.echo(f"imported {len(maps)} datasets: {', '.join(m.key for m in maps)}", err=True)


def _store(maps: Sequence[object], tenant: str, database_url: str | None) -> None:
    from keepfaith.connectors import maps as stored_maps
    from keepfaith.connectors.datamap import DatasetMap
    from keepfaith.ledger import Ledger
    from keepfaith.settings import Settings

    settings = Settings()
    if database_url is not None:
        settings = settings.model_copy(update={"database_url": database_url})
    with Ledger.from_settings(settings) as ledger:
        ledger.migrate()
        with ledger.transaction(actor="cli") as tx:
            for dataset_map in maps:
                assert isinstance(dataset_map, DatasetMap)
                stored_maps.store(tx, tenant, dataset_map, ["imported from Fides"])


@app.command("export-fides")
def export_fides(
    file: Annotated[Path, typer.Argument(help="A keepfaith dataset map (YAML).")],
    database: Annotated[
        str | None,
        typer.Option("--database", help="Add its foreign keys as references (key or URL)."),
    ] = None,
    output: Output = None,
) -> None:
    """Write a dataset map as Fides dataset YAML, with the joins a walk from the identity takes."""
    from keepfaith.connectors import datamap, fides
    from keepfaith.connectors.graph import edges
    from keepfaith.connectors.reflect import open_database, reflect

    try:
        dataset_map = datamap.read(file)
        schema = None
        if database is not None:
            engine = open_database(resolve(database)[0])
            try:
                schema = reflect(engine)
            finally:
                engine.dispose()
        text = fides.dumps([dataset_map], {dataset_map.key: edges(dataset_map, schema)})
    except KeepfaithError as error:
        raise _fail(error) from None
    _write(text, output)
