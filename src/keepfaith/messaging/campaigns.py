"""Campaigns: one purpose and template to the audience the engine chooses, in batches.

``start`` asks the engine for the audience of the purpose (``Engine.audience``: one query
over the allowances, the same set ``may()`` allows) and queues one message per person in
one ``INSERT ... SELECT``, numbered into batches of ``campaign_batch``; it defers one
``messaging.send`` job per batch, all in the caller's transaction. Each message is
decided again just before it is sent, like any other.

``pause`` stops a campaign at the end of the round each worker is sending (its jobs end,
leaving the rest queued); ``resume`` defers a job again for every batch with messages
left. A worker killed mid-campaign loses nothing and repeats nothing: its job runs again
and the outbox's states (``keepfaith.messaging.delivery``) send each message once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keepfaith import jobs
from keepfaith.engine import Engine
from keepfaith.exceptions import Conflict, NotAllowed, NotFound
from keepfaith.ledger import Transaction, statements
from keepfaith.ledger import messages as rows
from keepfaith.ledger.messages import Campaign
from keepfaith.messaging import templates
from keepfaith.messaging.outbox import EMAIL, SEND, _context, _purpose, _template, engine_for

__all__ = ["Campaign", "get", "pause", "resume", "start"]


def start(
    tx: Transaction,
    tenant: str,
    purpose: str,
    template: str,
    *,
    batch_size: int,
    context: Mapping[str, Any] | None = None,
    engine: Engine | None = None,
    templates_folder: Any = None,
) -> Campaign:
    """Queue a campaign of ``purpose`` with ``template`` to everyone the engine allows now.

    ``NotFound`` for an undeclared purpose or a template the tenant lacks; ``NotAllowed``
    when the engine allows the purpose to nobody.
    """
    engine = engine or engine_for(tx.ledger)
    statement = statements.get(tx, tenant)
    declared = _purpose(statement, purpose)
    name = _template(template)
    if name not in templates.names(templates_folder, tenant):
        raise NotFound(f"{tenant} has no message template {name!r}")
    values = _context(context)
    audience = engine.audience(tenant, purpose, EMAIL)
    first = tx.connection.execute(audience.limit(1)).scalar()
    if first is None:
        raise NotAllowed(f"the engine allows {purpose} to nobody now", declared.clauses)
    decision = engine.decide(engine.state(int(first), tx, tenant=tenant), purpose, EMAIL)
    reason = f"in the audience the engine chose for {purpose}: {decision.reason}"
    clauses = list(decision.clauses)
    campaign_id = rows.add_campaign(
        tx,
        tenant=tenant,
        purpose=purpose,
        template=name,
        batch_size=batch_size,
        reason=reason,
        clauses=clauses,
    )
    count, batches = rows.queue_audience(
        tx,
        campaign_id,
        audience,
        template=name,
        promotional=declared.marketing,
        context=values or None,
        reason=reason,
        clauses=clauses,
        batch_size=batch_size,
    )
    for batch in range(batches):
        jobs.defer(tx, SEND, campaign=campaign_id, batch=batch)
    tx.audit(
        "campaign",
        "campaign",
        campaign_id,
        tenant=tenant,
        details={"purpose": purpose, "template": name, "messages": count, "batches": batches},
    )
    return rows.campaign(tx, campaign_id)


def get(tx: Transaction, campaign_id: int, tenant: str | None = None) -> Campaign:
    """A campaign and its progress (messages by state)."""
    return rows.campaign(tx, campaign_id, tenant)


def pause(tx: Transaction, campaign_id: int, tenant: str | None = None) -> Campaign:
    """Stop sending after the current round; what is left stays queued."""
    found = rows.campaign(tx, campaign_id, tenant)
    if found.status != "running":
        raise Conflict(f"campaign {campaign_id} is {found.status}, not running")
    rows.set_campaign_status(tx, campaign_id, "paused")
    return rows.campaign(tx, campaign_id)


def resume(tx: Transaction, campaign_id: int, tenant: str | None = None) -> Campaign:
    """Send again what a pause left: a job for every batch with messages left."""
    found = rows.campaign(tx, campaign_id, tenant)
    if found.status != "paused":
        raise Conflict(f"campaign {campaign_id} is {found.status}, not paused")
    rows.set_campaign_status(tx, campaign_id, "running")
    for batch in rows.open_batches(tx, campaign_id):
        jobs.defer(tx, SEND, campaign=campaign_id, batch=batch)
    return rows.campaign(tx, campaign_id)


def status_of(campaign: Campaign) -> str:
    """``done`` once nothing is left to send, else the campaign's own state."""
    return "done" if campaign.remaining == 0 else campaign.status
