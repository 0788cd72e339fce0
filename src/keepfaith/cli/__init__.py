"""The command line: each command opens what it needs and calls one library function.

Errors keepfaith raises on purpose are printed in one place (``print_error``): one line
per problem on stderr, and exit code 1 for data that fails its integrity check, 2 for
everything else (usage or input), never a traceback. A command may let them propagate
(``Commands`` prints them) or stop with ``raise fail(error)``. A command group of its
own size lives in a module beside this one (``cli/logs.py``) and shares ``fail``, the
``--database-url`` option and the ledger opener from here.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from keepfaith.exceptions import IntegrityError, InvalidSubmission, KeepfaithError, StatementError

if TYPE_CHECKING:
    from keepfaith.ledger import Ledger
    from keepfaith.ledger.staff import Role
    from keepfaith.settings import Settings

EXIT_CODES: list[tuple[type[KeepfaithError], int]] = [(IntegrityError, 1), (KeepfaithError, 2)]
"""The exit code of each kind of keepfaith error (first match wins)."""


def print_error(error: KeepfaithError) -> None:
    """Print a keepfaith error on stderr: a line per problem, where it is first (a
    statement's ``file:line:col``, a refused submission's field)."""
    if isinstance(error, StatementError):
        for location, reason in error.problems:
            typer.echo(f"{location}: error: {reason}", err=True)
    elif isinstance(error, InvalidSubmission):
        for where, reason in error.errors.items():
            typer.echo(f"{where}: error: {reason}", err=True)
    else:
        typer.echo(f"error: {error}", err=True)


def fail(error: KeepfaithError) -> typer.Exit:
    """Print a keepfaith error (``print_error``) and return the exit to raise."""
    print_error(error)
    return typer.Exit(code=next(code for kind, code in EXIT_CODES if isinstance(error, kind)))


class Commands(TyperGroup):
    """keepfaith's commands: a keepfaith error any of them lets through is printed here."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click.Context
        try:
            return super().invoke(ctx)
        except KeepfaithError as error:
            raise fail(error) from None


app = typer.Typer(
    cls=Commands,
    name="keepfaith",
    help="Run a privacy statement as code: declare it, render it, enforce it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def root() -> None:
    """Run a privacy statement as code: declare it, render it, enforce it."""


class Command(TyperCommand):
    """A command whose usage line names its arguments as click does (``FILE...``,
    ``[FILE]``), not as typer does (``{files}...``)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = (param.metavar or param.name or "").upper()
                name += "..." if param.nargs != 1 else ""
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


def examples_dir() -> Path:
    """The bundled example statements: inside the installed package, or the source tree."""
    bundled = Path(__file__).parents[1] / "examples"
    return bundled if bundled.is_dir() else Path(__file__).parents[3] / "examples"


@app.command()
def version() -> None:
    """Print keepfaith's version."""
    from keepfaith import __version__

    typer.echo(__version__)


class CheckFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class RenderFormat(StrEnum):
    HTML = "html"
    MARKDOWN = "markdown"


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="Statement files to check.")],
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="text (file:line:col lines) or json.")
    ] = CheckFormat.TEXT,
    database: Annotated[
        list[str] | None,
        typer.Option(
            "--database",
            help="Also scan this company database (connectors key or URL) and warn of "
            "categories it holds that the statement does not declare; repeatable.",
        ),
    ] = None,
    dataset_map: Annotated[
        list[Path] | None,
        typer.Option("--dataset-map", help="Like --database, from a reviewed map file."),
    ] = None,
) -> None:
    """Check statements: schema, references and meaning.

    With --database or --dataset-map, also what each database holds against what the
    statement declares. Exit 0 when clean, 1 with findings, 2 when a file cannot be read.
    """
    import json

    from keepfaith.statement.check import check_file

    findings: list[Any] = []
    unreadable = False
    for file in files:
        try:
            findings.extend(check_file(file))
        except StatementError as error:
            unreadable = True
            print_error(error)
    if (database or dataset_map) and not unreadable:
        try:
            findings.extend(_database_gaps(files, database or [], dataset_map or []))
        except KeepfaithError as error:
            raise fail(error) from None
    if output_format is CheckFormat.JSON:
        typer.echo(json.dumps([finding.to_dict() for finding in findings], indent=2))
    else:
        for finding in findings:
            typer.echo(str(finding))
    if unreadable or findings:
        raise typer.Exit(code=2 if unreadable else 1)


def _database_gaps(files: list[Path], databases: list[str], map_files: list[Path]) -> list[Any]:
    """What each database (scanned now, or as its map file says) holds beyond each statement."""
    from keepfaith.connectors import datamap
    from keepfaith.connectors.commands import resolve
    from keepfaith.connectors.coverage import gaps
    from keepfaith.connectors.scan import scan
    from keepfaith.settings import Settings
    from keepfaith.statement import load

    maps = [datamap.read(path) for path in map_files]
    for target in databases:
        url, key = resolve(target)
        maps.append(scan(url, key, sample_size=Settings().scan_sample_size).map)
    return [gap for file in files for dataset_map in maps for gap in gaps(load(file), dataset_map)]


@app.command()
def render(
    file: Annotated[Path, typer.Argument(help="The statement to render.")],
    output_format: Annotated[
        RenderFormat, typer.Option("--format", help="html or markdown.")
    ] = RenderFormat.HTML,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            help="The page in this language: the statement's translations and keepfaith's words.",
        ),
    ] = None,
) -> None:
    """Render the statement people read, from its declaration."""
    from keepfaith.statement import load
    from keepfaith.statement.render import render_html, render_markdown
    from keepfaith.translatable import lookup

    try:
        statement = load(file)
    except StatementError as error:
        raise fail(error) from None
    if output_format is RenderFormat.HTML:
        text = render_html(statement, language=language, catalogue=lookup)
    else:
        text = render_markdown(statement, language=language, catalogue=lookup)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        typer.echo(f"error: cannot write {output}: {error.strerror}", err=True)
        raise typer.Exit(code=2) from None


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier version of the statement.")],
    new: Annotated[Path, typer.Argument(help="The later version.")],
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="text (one line per change) or json.")
    ] = CheckFormat.TEXT,
) -> None:
    """List every change between two versions of a statement, material or not.

    Exit 0 when no change is material, 1 when one is, 2 when a file does not load.
    """
    import json

    from keepfaith.statement.diff import diff_files

    try:
        changes = diff_files(old, new)
    except StatementError as error:
        raise fail(error) from None
    if output_format is CheckFormat.JSON:
        typer.echo(json.dumps([change.to_dict() for change in changes], indent=2))
    else:
        for change in changes:
            typer.echo(str(change))
        material = sum(change.material for change in changes)
        typer.echo(f"{len(changes)} changes, {material} material")
    if any(change.material for change in changes):
        raise typer.Exit(code=1)


changes_app = typer.Typer(help="Publishing new versions of a statement.")
app.add_typer(changes_app, name="changes")


@changes_app.command("plan")
def changes_plan(
    old: Annotated[Path, typer.Argument(help="The statement in force.")],
    new: Annotated[Path, typer.Argument(help="The version to publish.")],
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="text or json.")
    ] = CheckFormat.TEXT,
) -> None:
    """Say how publishing NEW must be announced, by the rule OLD gave people."""
    import json

    from keepfaith.changes.plan import plan
    from keepfaith.statement import load

    try:
        result = plan(load(old), load(new))
    except StatementError as error:
        raise fail(error) from None
    if output_format is CheckFormat.JSON:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    typer.echo(f"{len(result.changes)} changes, {len(result.material)} material")
    typer.echo(f"notify: {result.notify.value}")
    for number, step in enumerate(result.steps, start=1):
        typer.echo(f"{number}. {step.action}: {step.description}")
    typer.echo(f"effective: {result.effective}")
    if result.continued_use_is_acceptance:
        typer.echo("continued use after the change is acceptance")


def _mount_publish() -> None:
    from keepfaith.cli.publish import publish_command
    from keepfaith.cli.ropa import ropa_command

    app.command("publish")(publish_command)
    app.command("ropa")(ropa_command)


_mount_publish()

audit_app = typer.Typer(help="The audit chain of every change to the ledger.")
keys_app = typer.Typer(help="Encryption keys of sensitive categories.")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="Ledger URL (default: KEEPFAITH_DATABASE_URL)."),
]


def _settings(database_url: str | None) -> Settings:
    from keepfaith.settings import Settings

    settings = Settings()
    if database_url is not None:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


def _ledger(database_url: str | None) -> Ledger:
    from keepfaith.ledger import Ledger

    return Ledger.from_settings(_settings(database_url))


@audit_app.command("verify")
def audit_verify(
    witness: Annotated[
        Path | None,
        typer.Option(
            "--witness", help="A witness file (keepfaith audit witness) to check against."
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Check every audit entry and seal, and the rows they recorded; exit 1 naming each
    changed, deleted, inserted or reordered one."""
    from keepfaith.ledger.verify import verify

    try:
        known = _read_witness(witness) if witness is not None else None
        with _ledger(database_url) as ledger:
            result = verify(ledger, known)
    except KeepfaithError as error:
        raise fail(error) from None
    if not result.keyed:
        typer.echo("warning: audit_key is not set; the development key protects nothing", err=True)
    for problem in result.problems:
        typer.echo(f"error: {problem}", err=True)
    if result.problems:
        raise typer.Exit(code=1)
    unsealed = result.entries - result.sealed
    typer.echo(
        f"audit intact: {result.entries} entries, {result.seals} seals, {unsealed} not sealed yet"
    )


@audit_app.command("seal")
def audit_seal(database_url: DatabaseUrl = None) -> None:
    """Seal every audit entry not sealed yet (the sealer job does this every few seconds)."""
    try:
        with _ledger(database_url) as ledger:
            made = ledger.seal_audit()
    except KeepfaithError as error:
        raise fail(error) from None
    if made is None:
        typer.echo("nothing to seal")
    else:
        typer.echo(f"seal {made.id}: {made.entries} entries")


@audit_app.command("witness")
def audit_witness(
    out: Annotated[
        Path, typer.Option("--out", help="File to write the witness to (- for stdout).")
    ] = Path("-"),
    database_url: DatabaseUrl = None,
) -> None:
    """Seal what is pending and write the newest seal as a witness, to keep outside the
    database (a later verify --witness shows whether the log was rewound past it)."""
    import json

    from keepfaith.ledger import audit

    try:
        with _ledger(database_url) as ledger:
            ledger.seal_audit()
            with ledger.engine.connect() as connection:
                newest = audit.last_seal(connection)
    except KeepfaithError as error:
        raise fail(error) from None
    if newest is None:
        typer.echo("error: the audit log has no entry to witness yet", err=True)
        raise typer.Exit(code=2)
    text = json.dumps(audit.witness(newest), indent=1) + "\n"
    if str(out) == "-":
        typer.echo(text, nl=False)
    else:
        _write(out, text)
        typer.echo(f"witness of seal {newest.id} written to {out}", err=True)


def _read_witness(path: Path) -> dict[str, object]:
    import json

    from keepfaith.exceptions import Refused

    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise Refused(f"cannot read {path}: {error.strerror}") from None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise Refused(f"{path} is not a witness keepfaith wrote")
    return value


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        typer.echo(f"error: cannot write {path}: {error.strerror}", err=True)
        raise typer.Exit(code=2) from None


ledger_app = typer.Typer(help="The ledger's derived tables.")
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("rebuild-allowances")
def ledger_rebuild_allowances(
    tenant: Annotated[
        str | None, typer.Option(metavar="ID", help="Only this tenant's subjects.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Recompute what each subject allows (the rows audiences read) from the records."""
    from keepfaith.ledger.allowances import rebuild

    with _ledger(database_url) as ledger:
        count = rebuild(ledger, tenant)
    typer.echo(f"rebuilt the allowances of {count} subjects")


@ledger_app.command("rebuild-lookups")
def ledger_rebuild_lookups(
    tenant: Annotated[
        str | None, typer.Option(metavar="ID", help="Only this tenant's records.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Recompute the keyed digests people are found by (email, phone) from the records."""
    from keepfaith.ledger.lookups import rebuild

    with _ledger(database_url) as ledger:
        count = rebuild(ledger, tenant)
    typer.echo(f"indexed {count} records")


@keys_app.command("rotate")
def keys_rotate(database_url: DatabaseUrl = None) -> None:
    """Re-encrypt every sensitive value under the active key (``active_key_id``)."""
    from keepfaith.ledger.records import rotate_keys

    try:
        with _ledger(database_url) as ledger:
            count = rotate_keys(ledger)
    except KeepfaithError as error:
        raise fail(error) from None
    typer.echo(f"re-encrypted {count} values")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random key for ``KEEPFAITH_ENCRYPTION_KEYS``."""
    from keepfaith.ledger import generate_key

    typer.echo(generate_key())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database_url: DatabaseUrl = None,
    statement: Annotated[
        list[Path] | None,
        typer.Option("--statement", help="A statement file; repeat for several tenants."),
    ] = None,
    example: Annotated[
        list[str] | None,
        typer.Option(
            "--example",
            help="A bundled example statement by name (parature...); serves the banner demo too.",
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the statements, collection points, privacy center and admin console.

    Migrates the ledger and publishes each statement first. One tenant is served at /,
    every tenant at /t/TENANT/.
    """
    from keepfaith.ledger.crypto import tokens
    from keepfaith.settings import Settings
    from keepfaith.web.server import run

    settings = Settings()
    files = [*(statement or []), *(_example(name) for name in example or [])]
    update: dict[str, object] = {"statements": tuple(files) or settings.statements}
    if database_url is not None:
        update["database_url"] = database_url
    if example:
        update["banner_demo"] = True  # a host page to try the cookie banner on
    if not update["statements"]:
        typer.echo("error: give --statement FILE or --example NAME", err=True)
        raise typer.Exit(code=2)
    if not settings.secret_key:
        typer.echo(
            "note: KEEPFAITH_SECRET_KEY is not set; using a temporary one "
            "(staff sessions and signed links end when the server stops)",
            err=True,
        )
        update["secret_key"] = tokens.random_token()
    settings = settings.model_copy(update=update)
    typer.echo(f"keepfaith serving on http://{host}:{port}/", err=True)
    for name in example or []:
        typer.echo(
            f"cookie banner demo: http://{host}:{port}/t/{name}/cookie-banner/demo", err=True
        )
    try:
        run(settings, host=host, port=port, workers=workers)
    except KeepfaithError as error:
        raise fail(error) from None


def _example(name: str) -> Path:
    path = examples_dir() / name / "statement.yaml"
    if not path.is_file():
        known = sorted(p.parent.name for p in examples_dir().glob("*/statement.yaml"))
        typer.echo(f"error: no example {name!r}; known: {', '.join(known)}", err=True)
        raise typer.Exit(code=2)
    return path


jobs_app = typer.Typer(help="Background jobs: run them, list them.")
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("work")
def jobs_work(
    burst: Annotated[
        bool, typer.Option("--burst", help="Stop once no job is left to run.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Run jobs until interrupted: on PostgreSQL as one of any number of workers, on
    SQLite as the in-process worker ``serve`` also starts."""
    from keepfaith import jobs

    settings = _settings(database_url)
    try:
        with _ledger(database_url) as ledger:
            ledger.migrate()
            jobs.work(ledger, settings, burst=burst)
    except KeyboardInterrupt:
        pass
    except KeepfaithError as error:
        raise fail(error) from None


@jobs_app.command("list")
def jobs_list(
    status: Annotated[
        str | None,
        typer.Option(help="Only jobs in this state: todo, doing, succeeded, dead, cancelled."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="text or json.")
    ] = CheckFormat.TEXT,
    database_url: DatabaseUrl = None,
) -> None:
    """List jobs, newest first, with their state, runs and the last failure's reason."""
    import json

    from keepfaith import jobs

    if status is not None and status not in jobs.STATUSES:
        typer.echo(f"error: no state {status!r}; states: {', '.join(jobs.STATUSES)}", err=True)
        raise typer.Exit(code=2)
    try:
        with _ledger(database_url) as ledger:
            found = jobs.list_jobs(ledger, status, limit)
    except KeepfaithError as error:
        raise fail(error) from None
    if output_format is CheckFormat.JSON:
        typer.echo(json.dumps([job.to_dict() for job in found], indent=2))
        return
    for job in found:
        why = f"  {job.reason}" if job.reason else ""
        typer.echo(f"{job.id}\t{job.status}\t{job.attempts}\t{job.task}{why}")
    typer.echo(f"{len(found)} jobs")


admin_app = typer.Typer(help="Staff users and API tokens.")
app.add_typer(admin_app, name="admin")


@admin_app.command("create-user")
def admin_create_user(
    email: Annotated[str, typer.Argument(help="The staff member's email (their login).")],
    role: Annotated[str, typer.Option(help="owner, privacy_officer, support_agent or auditor.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    tenant: Annotated[
        str | None,
        typer.Option(metavar="ID", help="Keep the user to this tenant (default: every tenant)."),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a staff user; the password is asked for (or read from stdin), never an option."""
    import sys

    from keepfaith.ledger.staff import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _ledger(database_url) as ledger:
            ledger.migrate()
            with ledger.transaction(actor="cli") as tx:
                user = create_user(tx, email, password, _role(role), tenant=tenant)
    except KeepfaithError as error:
        raise fail(error) from None
    scope = f"tenant {user.tenant}" if user.tenant else "every tenant"
    typer.echo(f"created staff user {user.id} ({user.role.value}, {scope})")


@admin_app.command("create-token")
def admin_create_token(
    name: Annotated[str, typer.Option(help="What the token is for (shown in the console).")],
    role: Annotated[str, typer.Option(help="owner, privacy_officer, support_agent or auditor.")],
    tenant: Annotated[
        str | None,
        typer.Option(metavar="ID", help="Keep the token to this tenant (default: every tenant)."),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue an API token for a machine and print it once; only its hash is stored."""
    from keepfaith.ledger.staff import create_token

    try:
        with _ledger(database_url) as ledger:
            ledger.migrate()
            with ledger.transaction(actor="cli") as tx:
                token = create_token(tx, name, _role(role), tenant=tenant)
    except KeepfaithError as error:
        raise fail(error) from None
    typer.echo(token)


@admin_app.command("revoke-token")
def admin_revoke_token(
    token_id: Annotated[int, typer.Argument(min=1, help="The token id the admin page lists.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke an API token: it is refused from the next request on. Audited."""
    from keepfaith.ledger.staff import revoke_token

    try:
        with _ledger(database_url) as ledger, ledger.transaction(actor="cli") as tx:
            revoke_token(tx, token_id)
    except KeepfaithError as error:
        raise fail(error) from None
    typer.echo(f"revoked API token {token_id}")


@admin_app.command("disable-user")
def admin_disable_user(
    email: Annotated[str, typer.Argument(help="The staff member's email (their login).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Disable a staff user: they cannot sign in, and their sessions end at once. Audited;
    the user stays on record for the audit chain."""
    from keepfaith.ledger.staff import disable_user, find_user

    try:
        with _ledger(database_url) as ledger, ledger.transaction(actor="cli") as tx:
            user = find_user(tx, email)
            disable_user(tx, user.id)
    except KeepfaithError as error:
        raise fail(error) from None
    typer.echo(f"disabled staff user {user.id}")


def _role(name: str) -> Role:
    from keepfaith.ledger.staff import Role

    try:
        return Role(name)
    except ValueError:
        roles = ", ".join(role.value for role in Role)
        typer.echo(f"error: no role {name!r}; roles: {roles}", err=True)
        raise typer.Exit(code=2) from None


def _mount_logs() -> None:
    from keepfaith.cli.logs import app as logs
    from keepfaith.cli.mail import campaign_app, mail_app
    from keepfaith.connectors.commands import app as connectors

    app.add_typer(logs, name="logs")
    app.add_typer(connectors, name="connectors")
    app.add_typer(mail_app, name="mail")
    app.add_typer(campaign_app, name="campaign")


_mount_logs()


def main() -> None:
    app()
