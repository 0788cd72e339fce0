"""``keepfaith mail ...`` and ``keepfaith campaign ...``: replies in, campaigns out.

Each command opens the ledger and calls one function of ``keepfaith.messaging``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

from keepfaith.cli import CheckFormat, Command, DatabaseUrl, _ledger, _settings, fail
from keepfaith.exceptions import ConfigurationError, InvalidSubmission, KeepfaithError

mail_app = typer.Typer(name="mail", help="Mail in: replies and bounces.", no_args_is_help=True)


@mail_app.command("listen", cls=Command)
def mail_listen(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="SMTP port.")] = 2525,
    database_url: DatabaseUrl = None,
) -> None:
    """Receive replies and bounces over SMTP (aiosmtpd) until interrupted: "unsubscribe"
    replies opt out, bounces mark the address, other replies are kept or forwarded; mail
    to requests+<tenant>@ opens a rights request (verified by a code sent back)."""
    from keepfaith.messaging import listen
    from keepfaith.rights.mail_intake import by_mail

    settings = _settings(database_url)

    def ready(bound: int) -> None:
        typer.echo(f"listening on {host}:{bound}", err=True)

    try:
        with _ledger(database_url) as ledger:
            ledger.migrate()
            asyncio.run(listen.listen(ledger, settings, host, port, ready, intake=by_mail))
    except KeyboardInterrupt:
        pass
    except KeepfaithError as error:
        raise fail(error) from None
    except OSError as error:
        typer.echo(f"error: cannot listen on {host}:{port}: {error.strerror}", err=True)
        raise typer.Exit(code=2) from None


@mail_app.command("replies", cls=Command)
def mail_replies(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="text or json.")
    ] = CheckFormat.TEXT,
    database_url: DatabaseUrl = None,
) -> None:
    """List the replies the listener matched, newest first (kept ones with their text)."""
    from keepfaith.ledger import messages

    with _ledger(database_url) as ledger, ledger.reading() as tx:
        found = messages.replies_of(tx, tenant, limit)
    if output_format is CheckFormat.JSON:
        typer.echo(json.dumps([reply.to_dict() for reply in found], indent=2))
        return
    for reply in found:
        first = (reply.text or "").splitlines()[0] if reply.text else ""
        typer.echo(f"{reply.id}\t{reply.tenant}\t{reply.kind}\tmessage {reply.message_id}\t{first}")
    typer.echo(f"{len(found)} replies")


campaign_app = typer.Typer(
    name="campaign",
    help="Campaigns: one purpose and template to the audience the engine chooses.",
    no_args_is_help=True,
)
Tenant = Annotated[
    str | None, typer.Option("--tenant", help="Tenant (statement id); default: the only one.")
]
CampaignId = Annotated[int, typer.Argument(help="The campaign's id.", min=1)]
Format = Annotated[CheckFormat, typer.Option("--format", help="text or json.")]


@campaign_app.command("send", cls=Command)
def campaign_send(
    purpose: Annotated[str, typer.Option("--purpose", help="The declared purpose.")],
    template: Annotated[str, typer.Option("--template", help="The message template.")],
    tenant: Tenant = None,
    context: Annotated[
        str | None, typer.Option("--context", help="The template's values, a JSON object.")
    ] = None,
    output_format: Format = CheckFormat.TEXT,
    database_url: DatabaseUrl = None,
) -> None:
    """Queue a campaign to everyone the engine allows the purpose now, one job per batch."""
    from keepfaith.messaging import campaigns

    settings = _settings(database_url)
    values = _json_object(context)
    with _ledger(database_url) as ledger:
        ledger.migrate()
        chosen = _tenant(ledger, tenant)
        with ledger.transaction(actor="cli") as tx:
            started = campaigns.start(
                tx,
                chosen,
                purpose,
                template,
                batch_size=settings.campaign_batch,
                context=values,
                templates_folder=settings.mail_templates,
            )
    _show(started, output_format)


@campaign_app.command("status", cls=Command)
def campaign_status(
    campaign: CampaignId, output_format: Format = CheckFormat.TEXT, database_url: DatabaseUrl = None
) -> None:
    """Show a campaign's progress: its messages by state."""
    from keepfaith.messaging import campaigns

    with _ledger(database_url) as ledger, ledger.reading() as tx:
        _show(campaigns.get(tx, campaign), output_format)


@campaign_app.command("pause", cls=Command)
def campaign_pause(campaign: CampaignId, database_url: DatabaseUrl = None) -> None:
    """Pause a running campaign: workers stop after their current round."""
    from keepfaith.messaging import campaigns

    with _ledger(database_url) as ledger, ledger.transaction(actor="cli") as tx:
        _show(campaigns.pause(tx, campaign), CheckFormat.TEXT)


@campaign_app.command("resume", cls=Command)
def campaign_resume(campaign: CampaignId, database_url: DatabaseUrl = None) -> None:
    """Resume a paused campaign: a job again for every batch with messages left."""
    from keepfaith.messaging import campaigns

    with _ledger(database_url) as ledger, ledger.transaction(actor="cli") as tx:
        _show(campaigns.resume(tx, campaign), CheckFormat.TEXT)


@campaign_app.command("list", cls=Command)
def campaign_list(
    tenant: Tenant = None,
    output_format: Format = CheckFormat.TEXT,
    database_url: DatabaseUrl = None,
) -> None:
    """List campaigns, newest first, with their progress."""
    from keepfaith.ledger import messages

    with _ledger(database_url) as ledger, ledger.reading() as tx:
        found = messages.campaigns_of(tx, tenant)
    if output_format is CheckFormat.JSON:
        typer.echo(json.dumps([c.to_dict() for c in found], indent=2))
        return
    for one in found:
        _show(one, CheckFormat.TEXT)


def _show(campaign: Any, output_format: CheckFormat) -> None:
    from keepfaith.messaging.campaigns import status_of

    if output_format is CheckFormat.JSON:
        typer.echo(json.dumps({**campaign.to_dict(), "status": status_of(campaign)}, indent=2))
        return
    progress = ", ".join(f"{n} {state}" for state, n in sorted(campaign.progress.items()))
    typer.echo(
        f"campaign {campaign.id}\t{campaign.tenant}\t{campaign.purpose}\t{campaign.template}"
        f"\t{status_of(campaign)}\t{campaign.queued} messages in {campaign.batches} batches"
        f"\t{progress or 'nothing queued'}"
    )


def _json_object(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise fail(InvalidSubmission({"--context": "is not JSON"})) from None
    if not isinstance(value, dict):
        raise fail(InvalidSubmission({"--context": "must be a JSON object"}))
    return value


def _tenant(ledger: Any, tenant: str | None) -> str:
    from keepfaith.ledger.statistics import tenants

    if tenant:
        return tenant
    with ledger.reading() as tx:
        known = tenants(tx)
    if len(known) == 1:
        return str(known[0])
    held = f" (the ledger holds {', '.join(known)})" if known else " (the ledger holds none)"
    raise ConfigurationError(f"give --tenant{held}")
