"""Keep visit statistics only as long as the statement declares.

A statement says how long with a retention rule on ``data: visit_statistics``; days
older than that are deleted, totals and counts alike. The periodic job
``logs.retention`` does so for every tenant once a day; ``keepfaith logs retention``
does it on demand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from keepfaith.collect.logs import store
from keepfaith.jobs import Context, task
from keepfaith.ledger import statements
from keepfaith.ledger.statements import statement_versions
from keepfaith.ledger.statistics import visit_counts, visit_days
from keepfaith.statement.schema import CollectionKind, Statement

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


def prune(target: Any, tenant: str, keep_days: int, today: dt.date | None = None) -> int:
    """Delete ``tenant``'s statistics of days older than ``keep_days`` before ``today``.

    Returns how many days were deleted.
    """
    cutoff = (today or dt.date.today()) - dt.timedelta(days=keep_days)
    with store.engine_of(target) as engine, engine.begin() as connection:
        connection.execute(
            visit_counts.delete().where(
                visit_counts.c.tenant == tenant, visit_counts.c.day < cutoff
            )
        )
        deleted = connection.execute(
            visit_days.delete().where(visit_days.c.tenant == tenant, visit_days.c.day < cutoff)
        )
    return deleted.rowcount or 0


def apply_retention(target: Any, statement: Statement, today: dt.date | None = None) -> int:
    """Prune the statement's tenant as its ``visit_statistics`` rule says (0 if none)."""
    days = retention_days(statement)
    return 0 if days is None else prune(target, statement.id, days, today)


@task("logs.retention", every=86_400)
def retention_job(context: Context) -> None:
    """Apply every tenant's ``visit_statistics`` rule to the days before the ledger's today."""
    ledger = context.ledger
    with ledger.reading() as tx:
        tenants = tx.connection.execute(sa.select(statement_versions.c.tenant).distinct())
        current = [statements.get(tx, tenant) for tenant in sorted(tenants.scalars())]
    today = ledger.clock().date()
    for statement in current:
        apply_retention(ledger, statement, today)
