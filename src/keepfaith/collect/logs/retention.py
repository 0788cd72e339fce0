"""Keep visit statistics only as long as the statement declares.

A statement says how long with a retention rule on ``data: visit_statistics``; days
older than that are deleted, totals and counts alike. The periodic job
``logs.retention`` does so for every tenant once a day; ``keepfaith logs retention``
does it on demand.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from keepfaith.jobs import Context, each_tenant, task
from keepfaith.ledger import statements, statistics
from keepfaith.statement.schema import CollectionKind, Statement

if TYPE_CHECKING:
    from keepfaith.ledger import Transaction

DATA = "visit_statistics"
"""The ``data`` name of the retention rule that governs visit statistics."""


def retention_days(statement: Statement) -> int | None:
    """Days the statement keeps visit statistics; ``None`` if it sets no limit."""
    limits = [rule.days for rule in statement.retention if rule.data == DATA]
    known = [days for days in limits if days is not None]
    return min(known) if known else None


def campaign_parameters(statement: Statement) -> frozenset[str]:
    """Query parameters the statement's server-log collection points keep on pages."""
    return frozenset(
        name
        for point in statement.collection_points
        if point.kind is CollectionKind.SERVER_LOG
        for name in point.campaign_parameters
    )


def prune(tx: Transaction, tenant: str, keep_days: int, today: dt.date | None = None) -> int:
    """Delete ``tenant``'s statistics of days older than ``keep_days`` before ``today``
    (default: the ledger's clock's day), audited. Returns how many days were deleted."""
    cutoff = (today or tx.now().date()) - dt.timedelta(days=keep_days)
    return statistics.delete_before(tx, tenant, cutoff)


def apply_retention(tx: Transaction, statement: Statement, today: dt.date | None = None) -> int:
    """Prune the statement's tenant as its ``visit_statistics`` rule says (0 if none)."""
    days = retention_days(statement)
    return 0 if days is None else prune(tx, statement.id, days, today)


@task("logs.retention", every=86_400)
def retention_job(context: Context) -> None:
    """Apply every tenant's ``visit_statistics`` rule to the days before the ledger's today."""
    today = context.ledger.clock().date()
    each_tenant(
        context, "jobs", lambda tx, tenant: apply_retention(tx, statements.get(tx, tenant), today)
    )
