"""Notices of a material change, queued set-based and sent by the outbox's batched path.

``changes.notify`` handles a publication's pending changes still to be emailed in one
unit of work, whatever their number, with a handful of statements:

1. **who may be emailed**: the open changes of the publication whose person is active,
   in the engine's audience for the rule's notice purpose (``Engine.audience``: one
   query over the allowances, the set ``may()`` allows), and not opted out of all
   contact (every address of theirs on the suppression list for that purpose or every
   message: read in one pass, and only when the list holds any such address);
2. **queue** one message each as a campaign of the ``change_notice`` template, in one
   ``INSERT ... SELECT`` into the outbox (``messages.queue_audience``), one send job
   per batch; each message is decided again when it is sent, like any other;
3. **record** in two ``UPDATE`` statements: the emailed changes apply
   ``email_effective_days`` after the notice was queued, unless the person answers
   first (PA-32), and name their message; everyone else is told by posting alone (ES-17),
   and the change applies the rule's posting window after publication, or never when
   the rule has none.

The three signed links of each notice (accept, refuse, close the account) name the
person's own change; they are computed when the message is rendered, for the chunk the
outbox sends, by ``links`` (registered with ``keepfaith.messaging.values``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from keepfaith import jobs
from keepfaith.changes.answers import link_token
from keepfaith.engine import Engine
from keepfaith.ledger import changes as pending
from keepfaith.ledger import messages as outbox_rows
from keepfaith.ledger import records, statements, subjects
from keepfaith.ledger.changes import Channel, Publication, version_changes
from keepfaith.ledger.rows import Status
from keepfaith.ledger.transaction import Transaction
from keepfaith.messaging import addresses, values
from keepfaith.messaging.outbox import EMAIL, SEND, engine_for
from keepfaith.settings import Settings
from keepfaith.statement import Statement

TEMPLATE = "change_notice"
READ_BATCH = 5000
"""People whose addresses are read together when the suppression list must be checked."""


@jobs.task("changes.notify", attempts=8)
def notify(context: jobs.Context, publication: int) -> None:
    """Email every notice of ``publication`` still to be sent."""
    with context.ledger.transaction(actor="changes") as tx:
        queue_notices(tx, context.settings, publication)


def queue_notices(
    tx: Transaction, settings: Settings, publication_id: int, *, engine: Engine | None = None
) -> dict[str, int]:
    """Queue the notices of a publication, set-based; how many were emailed and posted."""
    published = pending.publication(tx, publication_id)
    rule = statements.get(tx, published.tenant, published.from_version).changes
    waiting = _waiting(published.id)
    emailed = 0
    purpose = rule.notice_purpose
    if purpose is not None:
        engine = engine or engine_for(tx.ledger)
        audience = engine.audience(published.tenant, purpose, EMAIL).subquery("audience")
        s = subjects.subjects
        chosen = sa.select(version_changes.c.subject_id).where(
            *waiting,
            version_changes.c.subject_id.in_(sa.select(audience.c[0])),
            version_changes.c.subject_id.in_(
                sa.select(s.c.id).where(
                    s.c.tenant == published.tenant, s.c.status == Status.ACTIVE.value
                )
            ),
        )
        quiet = _opted_out(tx, settings, published.tenant, purpose, chosen)
        if quiet:
            chosen = chosen.where(version_changes.c.subject_id.not_in(_literal(quiet)))
        emailed = _queue(tx, settings, published, purpose, chosen)
        if emailed:
            _mark_emailed(tx, published, rule.email_effective_days or 0)
    days = rule.post_effective_days
    due = published.published_at + dt.timedelta(days=days) if days is not None else None
    posted = tx.connection.execute(
        version_changes.update()
        .where(*waiting)
        .values(channel=Channel.POST.value, notified_at=tx.now(), due_at=due)
    ).rowcount
    tx.audit(
        "notify_change",
        "statement",
        published.version,
        tenant=published.tenant,
        details={"emailed": emailed, "posted": int(posted or 0)},
    )
    return {"email": emailed, "post": int(posted or 0)}


def _waiting(publication_id: int) -> list[sa.ColumnElement[bool]]:
    """The open changes of the publication whose email is still to be sent."""
    c = version_changes.c
    return [
        c.publication_id == publication_id,
        c.channel == Channel.EMAIL.value,
        c.notified_at.is_(None),
        c.answer.is_(None),
    ]


def _queue(
    tx: Transaction, settings: Settings, published: Publication, purpose: str, chosen: Any
) -> int:
    """The notices as a campaign: one ``INSERT ... SELECT``, one send job per batch."""
    statement = statements.get(tx, published.tenant, published.from_version)
    reason = f"a notice of the change to version {published.version} ({purpose})"
    clauses = sorted({*statement.purpose(purpose).clauses, *_clauses(published)})
    campaign = outbox_rows.add_campaign(
        tx,
        tenant=published.tenant,
        purpose=purpose,
        template=TEMPLATE,
        batch_size=settings.campaign_batch,
        reason=reason,
        clauses=clauses,
    )
    count, batches = outbox_rows.queue_audience(
        tx,
        campaign,
        chosen,
        template=TEMPLATE,
        promotional=False,
        context=_context(published, statement),
        reason=reason,
        clauses=clauses,
        batch_size=settings.campaign_batch,
    )
    for batch in range(batches):
        jobs.defer(tx, SEND, campaign=campaign, batch=batch)
    tx.memo[("changes.notices", published.id)] = campaign
    return count


def _mark_emailed(tx: Transaction, published: Publication, days: int) -> None:
    """The changes whose notice was queued: told now, applying ``days`` from now."""
    campaign = tx.memo[("changes.notices", published.id)]
    m, c = outbox_rows.messages, version_changes.c
    if tx.connection.dialect.name == "postgresql":
        # The rows just queued have no statistics yet: without them the planner probes
        # the campaign's messages once per change instead of joining them once.
        tx.connection.execute(sa.text("ANALYZE messages, version_changes"))
    # UPDATE ... FROM the campaign's messages: one join, not a probe per change.
    tx.connection.execute(
        version_changes.update()
        .where(*_waiting(published.id), m.c.campaign_id == campaign, m.c.subject_id == c.subject_id)
        .values(
            notified_at=tx.now(),
            due_at=tx.now() + dt.timedelta(days=days),
            message_id=m.c.id,
        )
    )


def _opted_out(
    tx: Transaction, settings: Settings, tenant: str, purpose: str, chosen: Any
) -> list[int]:
    """Of the people ``chosen`` selects, those every address of whom is suppressed for
    the notice (or for every message): one pass over their addresses, made only when
    the suppression list holds an address for either."""
    stops = outbox_rows.suppressions
    listed = set(
        tx.connection.execute(
            sa.select(stops.c.digest).where(
                stops.c.tenant == tenant,
                stops.c.purpose.in_([purpose, outbox_rows.EVERY_PURPOSE]),
            )
        ).scalars()
    )
    if not listed:
        return []
    people = [int(i) for i in tx.connection.execute(chosen).scalars()]
    quiet: list[int] = []
    for start in range(0, len(people), READ_BATCH):
        part = people[start : start + READ_BATCH]
        for subject_id, held in records.of_subjects(tx, tenant, part, [EMAIL]).items():
            found = [addresses.digest(settings.secret_key, r.value) for r in held if r.value]
            if all(digest in listed for digest in found):
                quiet.append(subject_id)
    return quiet


def _literal(ids: Sequence[int]) -> Any:
    return sa.bindparam(None, list(ids), expanding=True, literal_execute=True)


def _clauses(published: Publication) -> list[str]:
    material = [c for c in published.plan.get("changes", []) if c.get("material")]
    return sorted({clause for c in material for clause in c.get("clauses", [])})


def _context(published: Publication, statement: Statement) -> dict[str, Any]:
    """The notice's values, the same for everyone: what changed and when it applies.

    ``title`` and ``text`` are the English words (a tenant's own template may use
    them); ``version``, ``changes`` (each material change's description), ``effective``
    and the rule's ``acknowledgement``, ``email_days`` and ``post_days`` let a template
    in another language (``change_notice_de``) say it in its own words."""
    material = [c for c in published.plan.get("changes", []) if c.get("material")]
    descriptions = [str(c["description"]) for c in material]
    effective = str(published.plan.get("effective", "as stated"))
    text = "\n".join(
        [
            f"We are changing our privacy statement (version {published.version}).",
            "What changes for you:",
            *(f"- {description}" for description in descriptions),
            "",
            f"It applies to you {effective}.",
        ]
    )
    rule = statement.changes
    return {
        "title": "Changes to our privacy statement",
        "text": text,
        "version": published.version,
        "changes": descriptions,
        "effective": effective,
        "acknowledgement": rule.acknowledgement_takes_effect,
        "email_days": rule.email_effective_days,
        "post_days": rule.post_effective_days,
    }


def links(
    tx: Transaction, settings: Settings, message_ids: Sequence[int]
) -> Mapping[int, Mapping[str, Any]]:
    """Each notice's link to its person's own change (signed), by message id."""
    c = version_changes.c
    rows = tx.connection.execute(
        sa.select(c.message_id, c.tenant, c.id).where(
            c.message_id.in_(sa.bindparam("ids", expanding=True))
        ),
        {"ids": list(message_ids)},
    )
    base = settings.public_url.rstrip("/")
    return {
        int(message_id): {
            "change_url": f"{base}/t/{tenant}/changes/{link_token(settings.secret_key, change)}"
        }
        for message_id, tenant, change in rows
    }


values.provide(TEMPLATE, links)
