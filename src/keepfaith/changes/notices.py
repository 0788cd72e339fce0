"""Notices of a material change, emailed through the outbox as a job.

``changes.notify`` works through a publication's pending changes still to be emailed, a
batch per unit of work, so that it resumes where it stopped after a crash. For each
person it decides, then records, in one unit of work:

- a person no longer active, whose address is suppressed (opted out of all contact), or
  whom the engine refuses the notice purpose, is not emailed (ES-17): told by posting,
  the change applies the rule's posting window after publication, or never when the
  rule has none;
- everyone else is queued a message (``messaging.queue``) carrying three signed links:
  accept, refuse, close the account; the change applies ``email_effective_days`` after
  the message was queued, unless the person answers first (PA-32).
"""

from __future__ import annotations

import datetime as dt

from keepfaith import jobs, messaging
from keepfaith.changes.answers import link_token
from keepfaith.exceptions import NotAllowed
from keepfaith.ledger import changes as pending
from keepfaith.ledger import messages as outbox_rows
from keepfaith.ledger import records, statements, subjects
from keepfaith.ledger.changes import Channel, Publication, VersionChange
from keepfaith.ledger.rows import Status
from keepfaith.ledger.transaction import Transaction
from keepfaith.messaging import addresses
from keepfaith.settings import Settings
from keepfaith.statement.schema import Changes

BATCH = 200
TEMPLATE = "notice"


@jobs.task("changes.notify", attempts=8)
def notify(context: jobs.Context, publication: int) -> None:
    """Email every notice of ``publication`` still to be sent."""
    while True:
        with context.ledger.transaction(actor="changes") as tx:
            batch = pending.to_email(tx, publication, BATCH)
            if not batch:
                return
            published = pending.publication(tx, publication)
            old = statements.get(tx, published.tenant, published.from_version)
            for change in batch:
                notify_one(tx, context.settings, published, old.changes, change)


def notify_one(
    tx: Transaction,
    settings: Settings,
    published: Publication,
    rule: Changes,
    change: VersionChange,
) -> None:
    """Email one person their notice, or record that they are told by posting only."""
    subject = subjects.get(tx, change.tenant, change.subject_id)
    purpose = rule.notice_purpose
    if (
        purpose is None
        or subject.status != Status.ACTIVE
        or _opted_out(tx, settings, change, purpose)
    ):
        _posted_only(tx, published, rule, change)
        return
    try:
        message = messaging.queue(
            tx, subject, purpose, TEMPLATE, context=_context(tx, settings, published, change)
        )
    except NotAllowed:
        _posted_only(tx, published, rule, change)
        return
    due = tx.now() + dt.timedelta(days=rule.email_effective_days or 0)
    pending.mark_notified(tx, change, Channel.EMAIL, due, message.id)


def _posted_only(
    tx: Transaction, published: Publication, rule: Changes, change: VersionChange
) -> None:
    days = rule.post_effective_days
    due = published.published_at + dt.timedelta(days=days) if days is not None else None
    pending.mark_notified(tx, change, Channel.POST, due)


def _opted_out(tx: Transaction, settings: Settings, change: VersionChange, purpose: str) -> bool:
    """Whether every address of the person is suppressed for all messages or this one."""
    subject = subjects.get(tx, change.tenant, change.subject_id)
    found = [r.value for r in records.of(tx, subject, ["user.contact.email"]) if r.value]
    if not found:
        return True
    digests = [addresses.digest(settings.secret_key, value) for value in found]
    stopped = outbox_rows.suppressed(tx.connection, change.tenant, digests, purpose)
    return all(d in stopped for d in digests)


def _context(
    tx: Transaction, settings: Settings, published: Publication, change: VersionChange
) -> dict[str, str]:
    """The notice's words: what changed, when it applies, and the three links."""
    base = settings.public_url.rstrip("/")
    link = f"{base}/t/{change.tenant}/changes/{link_token(settings.secret_key, change.id)}"
    material = [c for c in published.plan.get("changes", []) if c.get("material")]
    lines = [f"- {c['description']}" for c in material]
    text = "\n".join(
        [
            f"We are changing our privacy statement (version {published.version}).",
            "What changes for you:",
            *lines,
            "",
            f"It applies to you {published.plan.get('effective', 'as stated')}.",
            f"Accept the new terms: {link}?answer=accepted",
            f"Refuse the new use (we keep to the terms you have): {link}?answer=refused",
            f"Close your account instead: {link}?answer=closed",
            f"See every change: {link}",
        ]
    )
    return {"title": "Changes to our privacy statement", "text": text}
