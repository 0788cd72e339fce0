"""Publishing a new version: show the diff, record who published it, and move people.

``preview`` is what a publisher sees first: every change, material or not, with its
clauses, and the plan the old version's rule for changes gives (``plan.py``).
``publish`` stores the version and its publication (who, when, the source text), then
acts on the plan in the same unit of work:

- no material change, or a rule without notice (SC-10) or with posting and no window
  (DG-15, EZ-20): everyone on the old version moves to the new one now;
- a posting with a window: the people affected get a pending change due that many days
  after the posting;
- email (PA-32, ES-17): the people affected who can be emailed get a pending change and
  a notice, sent by the ``changes.notify`` job; the others are told by posting when the
  rule has a posting window (PA-32), and otherwise stay on the terms they have (ES-17).

Deleted people are never contacted and never moved: their data is not used the new way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from keepfaith import jobs
from keepfaith.changes.plan import ChangePlan, plan
from keepfaith.exceptions import NotFound, Refused
from keepfaith.ledger import allowances, records, statements, subjects
from keepfaith.ledger import changes as pending
from keepfaith.ledger.changes import Channel, Publication
from keepfaith.ledger.rows import Status
from keepfaith.ledger.transaction import Transaction
from keepfaith.statement import Statement
from keepfaith.statement.diff import Change
from keepfaith.statement.schema import ChangeNotice

NOTIFY = "changes.notify"
"""The task that emails a publication's notices (``keepfaith.changes.notices``)."""
EMAIL = "user.contact.email"


@dataclass(frozen=True)
class Preview:
    """What publishing ``new`` would do, shown before anything is stored."""

    tenant: str
    old_version: str | None
    new_version: str
    plan: ChangePlan | None
    """``None`` for a tenant's first version."""

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.plan.changes if self.plan else ()

    @property
    def material(self) -> tuple[Change, ...]:
        return self.plan.material if self.plan else ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "changes": [c.to_dict() for c in self.changes],
            "plan": self.plan.to_dict() if self.plan else None,
        }


def preview(tx: Transaction, statement: Statement) -> Preview:
    """The diff and plan of publishing ``statement`` over the tenant's current version."""
    try:
        old_version: str | None = statements.current_version(tx, statement.id)
    except NotFound:
        old_version = None
    if old_version == statement.version:
        raise Refused(f"{statement.id} {statement.version} is already the published version")
    old = statements.get(tx, statement.id, old_version) if old_version else None
    return Preview(
        statement.id, old_version, statement.version, plan(old, statement) if old else None
    )


def publish(tx: Transaction, statement: Statement, source_text: str | None = None) -> Publication:
    """Publish ``statement`` as the tenant's version in force, and act on its plan.

    The publisher is the unit of work's actor. Refused when the version is already
    published; the text must declare this statement's id and version.
    """
    shown = preview(tx, statement)
    statements.publish(tx, statement, source_text)
    summary = shown.plan.to_dict() if shown.plan else {}
    summary["changes"] = [c.to_dict() for c in shown.changes]
    publication = pending.record_publication(
        tx, statement.id, statement.version, shown.old_version, summary, len(shown.material)
    )
    if shown.plan is not None and shown.old_version is not None:
        old = statements.get(tx, statement.id, shown.old_version)
        _act(tx, publication, old, shown.plan)
    tx.audit(
        "publish_version",
        "statement",
        statement.version,
        tenant=statement.id,
        details={"from": shown.old_version, "material": len(shown.material)},
    )
    return publication


def _act(tx: Transaction, publication: Publication, old: Statement, the_plan: ChangePlan) -> None:
    rule = old.changes
    tenant, old_version = publication.tenant, old.version
    silent = rule.notify is ChangeNotice.NONE or (
        rule.notify is ChangeNotice.POST and not rule.post_effective_days
    )
    if not the_plan.material or silent:
        move(tx, tenant, old_version, publication.version)
        return
    kinds = sorted({kind for change in the_plan.material for kind in change.subject_kinds})
    # People of kinds no material change concerns have nothing to be told of.
    move(tx, tenant, old_version, publication.version, exclude_kinds=kinds)
    posted_due = _after(publication.published_at, rule.post_effective_days)
    if rule.notify is ChangeNotice.POST:
        _pend(tx, publication, old_version, kinds, Channel.POST, posted_due, email=None)
        return
    if rule.notice_purpose is None:  # no purpose to email under: posting alone
        _pend(tx, publication, old_version, kinds, Channel.POST, posted_due, email=None)
        return
    _pend(tx, publication, old_version, kinds, Channel.EMAIL, None, email=True)
    # No address: told by posting, and moved when its window ends; without a posting
    # window the person stays on the terms they have (ES-17), but may still accept.
    _pend(tx, publication, old_version, kinds, Channel.POST, posted_due, email=False)
    jobs.defer(tx, NOTIFY, publication=publication.id)


def _after(when: dt.datetime, days: int | None) -> dt.datetime | None:
    return when + dt.timedelta(days=days) if days is not None else None


def _pend(
    tx: Transaction,
    publication: Publication,
    old_version: str,
    kinds: list[str],
    channel: Channel,
    due: dt.datetime | None,
    *,
    email: bool | None,
) -> int:
    """Pending changes for the people of ``kinds`` on ``old_version``, set-based.

    ``email=True``: only active people with an address; ``False``: only the others (but
    not the deleted); ``None``: everyone not deleted.
    """
    s = subjects.subjects
    has_address = sa.exists().where(
        records.records.c.subject_id == s.c.id, records.records.c.category == EMAIL
    )
    told_at = None if channel is Channel.EMAIL else publication.published_at
    query = sa.select(
        s.c.tenant,
        s.c.id,
        sa.literal(publication.id, sa.BigInteger()),
        s.c.statement_version,
        sa.literal(publication.version, sa.String()),
        sa.literal(channel.value, sa.String()),
        sa.literal(told_at, pending.version_changes.c.notified_at.type),
        sa.literal(due, pending.version_changes.c.due_at.type),
    ).where(
        s.c.tenant == publication.tenant,
        s.c.statement_version == old_version,
        s.c.status != Status.DELETED.value,
        s.c.kind.in_(kinds),
    )
    if email is True:
        query = query.where(s.c.status == Status.ACTIVE.value, has_address)
    elif email is False:
        query = query.where(sa.or_(s.c.status != Status.ACTIVE.value, ~has_address))
    return pending.add_pending(tx, query)


def move(
    tx: Transaction,
    tenant: str,
    old_version: str,
    new_version: str,
    *,
    exclude_kinds: list[str] | None = None,
) -> int:
    """Move every person on ``old_version`` (but the deleted) to ``new_version`` now."""
    s = subjects.subjects
    where = [
        s.c.tenant == tenant,
        s.c.statement_version == old_version,
        s.c.status != Status.DELETED.value,
    ]
    if exclude_kinds:
        where.append(s.c.kind.not_in(exclude_kinds))
    people = sa.select(s.c.id).where(*where)
    count = int(
        tx.connection.execute(
            sa.select(sa.func.count()).select_from(people.subquery())
        ).scalar_one()
    )
    if not count:
        return 0
    # Their allowances follow in the same unit of work, a profile at a time (set-based).
    allowances.move_version(tx, tenant, people, new_version)
    tx.connection.execute(
        s.update().where(*where).values(statement_version=new_version, updated_at=tx.now())
    )
    tx.audit(
        "move_version",
        "statement",
        new_version,
        tenant=tenant,
        details={"from": old_version, "people": count},
    )
    return count
