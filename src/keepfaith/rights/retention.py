"""Retention (EZ-07): a daily job deletes what the statement says has been kept long enough.

Each rule counts from its declared start: a record's collection, or the closing of the
person's account (the subject leaving ``active``; a rule without days deletes as soon as
the account closes). A hold in force extends every rule: nothing of a held person is
deleted until the hold is released or ends. A rule counted from collection deletes a
category once every record of it is past its time, so nothing goes early.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from keepfaith import jobs
from keepfaith.clock import utc
from keepfaith.ledger import Subject, Transaction, holds, records, statements
from keepfaith.ledger import subjects as people
from keepfaith.ledger.rows import Status
from keepfaith.statement.schema import RetentionRule, RetentionStart

STARTS = (RetentionStart.COLLECTION, RetentionStart.ACCOUNT_CLOSED)
"""The starts the ledger knows the time of; other rules wait for their own owner."""


def apply(tx: Transaction, tenant: str) -> dict[str, int]:
    """Delete the tenant's expired records now; how many of each category."""
    statement = statements.get(tx, tenant)
    rules = [r for r in statement.retention if r.categories and r.after in STARTS]
    now, deleted = tx.now(), dict[str, int]()
    for subject, closed_at in _people(tx, tenant):
        if _held(tx, subject, now):
            continue
        for rule in rules:
            for category in _expired(tx, subject, rule, closed_at, now):
                deleted[category] = deleted.get(category, 0) + records.delete(
                    tx, subject, [category]
                )
    return {k: v for k, v in deleted.items() if v}


@jobs.task("rights.retention", every=86_400)
def retention_job(context: jobs.Context) -> None:
    """Apply every tenant's retention rules, once a day."""
    jobs.each_tenant(context, "retention", apply)


def _people(tx: Transaction, tenant: str) -> list[tuple[Subject, dt.datetime | None]]:
    """Each subject with the time their account closed (None while active)."""
    table = people.subjects
    closed = {
        row.id: utc(row.updated_at)
        for row in tx.connection.execute(
            sa.select(table.c.id, table.c.updated_at).where(
                table.c.tenant == tenant, table.c.status != Status.ACTIVE.value
            )
        )
    }
    return [(s, closed.get(s.id)) for s in people.of_tenant(tx, tenant)]


def _held(tx: Transaction, subject: Subject, now: dt.datetime) -> bool:
    return any(
        h.released_at is None and (h.until is None or h.until > now) for h in holds.of(tx, subject)
    )


def _expired(
    tx: Transaction,
    subject: Subject,
    rule: RetentionRule,
    closed_at: dt.datetime | None,
    now: dt.datetime,
) -> list[str]:
    period = dt.timedelta(days=rule.days or 0, hours=rule.hours or 0)
    if rule.after == RetentionStart.ACCOUNT_CLOSED:
        if closed_at is None or closed_at + period > now:
            return []
        return list(rule.categories)
    if rule.days is None and rule.hours is None:
        return []  # kept with no end from collection: nothing expires
    found: dict[str, list[Any]] = {}
    for record in records.of(tx, subject, rule.categories):
        found.setdefault(record.category, []).append(record.collected_at)
    return [
        category
        for category, times in found.items()
        if all(t is not None and utc(t) + period <= now for t in times)
    ]
