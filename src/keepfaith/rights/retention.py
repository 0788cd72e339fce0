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
from keepfaith.connectors.datamap import Table
from keepfaith.connectors.erasure import Keep, erase
from keepfaith.connectors.retention import expire
from keepfaith.ledger import Subject, Transaction, cases, holds, records, statements
from keepfaith.ledger import subjects as people
from keepfaith.ledger.crypto import tokens
from keepfaith.ledger.rows import Status
from keepfaith.rights.work import systems
from keepfaith.settings import Settings
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


def apply_systems(tx: Transaction, settings: Settings, tenant: str) -> dict[str, dict[str, int]]:
    """Erase, in each connected database of the tenant, the rows of every table with a
    ``retention_column`` kept past the period of a collection rule over its categories
    (the longest, where several apply); a held person's rows stay where the hold covers
    the table's categories. Audits, per system, how many rows of each table went."""
    statement = statements.get(tx, tenant)
    rules = [
        r
        for r in statement.retention
        if r.categories
        and r.after == RetentionStart.COLLECTION
        and (r.days is not None or r.hours is not None)
        and r.recipient is None
    ]
    now, removed = tx.now(), dict[str, dict[str, int]]()
    held = _held_people(tx, tenant, now) if rules else []
    closing = any(r.after == RetentionStart.ACCOUNT_CLOSED for r in statement.retention)
    for system in systems(tx, settings, tenant) if rules or closing else []:
        hash_key = tokens.keyed_digest(settings.secret_key, "erasure", system.key)
        counts: dict[str, int] = {}
        with system.engine.begin() as connection:
            for table in system.dataset_map.tables:
                period = _period(table, rules)
                if table.retention_column is None or period is None:
                    continue
                outcome = expire(
                    connection,
                    system.plan,
                    {table.name: now - period},
                    held=_identities_kept(table, held),
                    hash_key=hash_key,
                )
                for name, n in {**outcome.changed, **outcome.deleted}.items():
                    counts[name] = counts.get(name, 0) + n
            closed = _closed_accounts(tx, tenant, connection, system, statement, hash_key)
            for name, n in closed.items():
                counts[name] = counts.get(name, 0) + n
        counts = {k: v for k, v in counts.items() if v}
        if counts:
            removed[system.key] = counts
            tx.audit("retention.expired", "system", system.key, tenant=tenant, details=counts)
    return removed


def _closed_accounts(
    tx: Transaction,
    tenant: str,
    connection: sa.Connection,
    system: Any,
    statement: Any,
    hash_key: str,
) -> dict[str, int]:
    """Erase, by identity as a request would, the rows of people whose account closed
    longer ago than an ``after: account_closed`` rule: only tables whose categories all
    fall under the rule (the others are kept, as a hold keeps them), and what the
    person's holds in force cover stays."""
    now, counts = tx.now(), dict[str, int]()
    mapped = {k for _, c in system.dataset_map.columns() for k in c.categories}
    mapped = {k for k in mapped if not k.startswith("system.")}
    rules = [
        r
        for r in statement.retention
        if r.categories and r.after == RetentionStart.ACCOUNT_CLOSED and r.recipient is None
    ]
    for subject, closed_at in _people(tx, tenant):
        if closed_at is None:
            continue
        for rule in rules:
            period = dt.timedelta(days=rule.days or 0, hours=rule.hours or 0)
            if closed_at + period > now:
                continue
            identities = _identities_of(tx, tenant, subject)
            others = tuple(
                sorted(c for c in mapped if not any(_covers(k, c) for k in rule.categories))
            )
            keeps = list(_keeps_of(tx, tenant, subject, now))
            if others:
                keeps.append(Keep("retention", "not under this retention rule", others))
            if not identities:
                continue
            outcome = erase(
                connection,
                system.plan,
                {k: sorted(v, key=str) for k, v in identities.items()},
                holds=keeps,
                hash_key=hash_key,
            )
            for table, n in {**outcome.changed, **outcome.deleted}.items():
                counts[table] = counts.get(table, 0) + n
    return counts


RECORDED_IDENTITIES = {"user.contact.email": "email", "user.contact.phone_number": "phone_number"}
"""Ledger record categories that find a person in a company database, by identity kind."""


def _identities_of(tx: Transaction, tenant: str, subject: Subject) -> dict[str, set[Any]]:
    """How the company's databases know the person: the addresses of their cases, and
    the addresses and phone numbers the ledger holds for them (a person with a hold but
    no request is still found, so their rows are kept)."""
    identities: dict[str, set[Any]] = {}
    for case in cases.of_person(tx, tenant, subject.id, []):
        if case.identity:
            identities.setdefault(case.identity_kind, set()).add(case.identity)
    for record in records.of(tx, subject, RECORDED_IDENTITIES):
        if record.value:
            identities.setdefault(RECORDED_IDENTITIES[record.category], set()).add(record.value)
    return identities


def _keeps_of(tx: Transaction, tenant: str, subject: Subject, now: dt.datetime) -> list[Keep]:
    declared = {h.reason: h for h in statements.get(tx, tenant).rights.holds}
    return [
        Keep(h.reason, declared[h.reason].description, declared[h.reason].categories)
        if h.reason in declared
        else Keep(h.reason, h.reason)
        for h in holds.of(tx, subject)
        if h.released_at is None and (h.until is None or h.until > now)
    ]


def _covers(key: str, category: str) -> bool:
    return category == key or category.startswith(key + ".")


def _period(table: Table, rules: list[RetentionRule]) -> dt.timedelta | None:
    """The longest period of the rules over the table's categories (none: no rule)."""
    categories = {k for c in table.columns for k in c.categories if not k.startswith("system.")}
    periods = [
        dt.timedelta(days=r.days or 0, hours=r.hours or 0)
        for r in rules
        if any(_covers(key, c) for key in r.categories for c in categories)
    ]
    return max(periods) if periods else None


def _held_people(
    tx: Transaction, tenant: str, now: dt.datetime
) -> list[tuple[list[Keep], dict[str, set[Any]]]]:
    """Each held person's holds in force and their identities (from their cases)."""
    found = []
    for subject in people.of_tenant(tx, tenant):
        keeps = _keeps_of(tx, tenant, subject, now)
        if keeps:
            found.append((keeps, _identities_of(tx, tenant, subject)))
    return found


def _identities_kept(
    table: Table, held: list[tuple[list[Keep], dict[str, set[Any]]]]
) -> dict[str, list[Any]]:
    """The identities of the held people whose holds cover a category of the table."""
    categories = {k for c in table.columns for k in c.categories if not k.startswith("system.")}
    kept: dict[str, set[Any]] = {}
    for keeps, identities in held:
        if any(k.covers(c) for k in keeps for c in categories):
            for kind, values in identities.items():
                kept.setdefault(kind, set()).update(values)
    return {kind: sorted(values, key=str) for kind, values in kept.items()}


@jobs.task("rights.retention", every=86_400)
def retention_job(context: jobs.Context) -> None:
    """Apply every tenant's retention rules, once a day: the ledger's records, then the
    rows of the company's connected databases."""

    def step(tx: Transaction, tenant: str) -> None:
        apply(tx, tenant)
        apply_systems(tx, context.settings, tenant)

    jobs.each_tenant(context, "retention", step)


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
