"""Subjects: the people a tenant holds data about, and the facts the engine decides on.

A subject has a declared kind, the statement version it is decided under, a status
(active, deactivated, deleted), and two flags: actual knowledge that it is a child
(PA-27) and a Global Privacy Control signal (with its time); where the person is, a
restriction of processing, a Do Not Track signal, an age they are known to be under;
and the language they are written to in: the statement's language of the page they last
used (``set_language``). Subjects are found within one tenant only: another tenant's id
is ``NotFound``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from keepfaith.exceptions import NotFound, Refused
from keepfaith.ledger import allowances, statements
from keepfaith.ledger.base import Id, Ident, Tenant, When, metadata
from keepfaith.ledger.rows import Status, Subject, from_row
from keepfaith.ledger.transaction import Transaction
from keepfaith.statement import Statement

subjects = sa.Table(
    "subjects",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("kind", Ident, nullable=False),
    sa.Column("statement_version", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default=Status.ACTIVE.value),
    sa.Column("known_child", sa.Boolean, nullable=False, default=False),
    sa.Column("gpc", sa.Boolean, nullable=False, default=False),
    sa.Column("gpc_at", When, nullable=True),
    sa.Column("jurisdiction", sa.String(64), nullable=True),
    sa.Column("restricted_at", When, nullable=True),
    sa.Column("dnt_at", When, nullable=True),
    sa.Column("age_under", sa.Integer, nullable=True),
    sa.Column("reference", sa.String(255), nullable=True),
    sa.Column("language", sa.String(35), nullable=True),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.UniqueConstraint("tenant", "reference", name="uq_subjects_tenant_reference"),
    sa.Index("ix_subjects_tenant_version", "tenant", "statement_version"),
)


def add(
    tx: Transaction,
    tenant: str,
    kind: str,
    *,
    statement_version: str | None = None,
    reference: str | None = None,
    known_child: bool = False,
) -> Subject:
    """Add a person of a declared kind, decided under ``statement_version``.

    The version defaults to the tenant's current one. ``reference`` is the caller's own
    id for the person, unique in the tenant.
    """
    version = statement_version or statements.current_version(tx, tenant)
    statement = statements.get(tx, tenant, version)
    if kind not in {k.id for k in statement.subject_kinds}:
        raise Refused(f"subject kind {kind!r} is not declared by {tenant} {version}")
    now = tx.now()
    row = tx.connection.execute(
        subjects.insert()
        .values(
            tenant=tenant,
            kind=kind,
            statement_version=version,
            status=Status.ACTIVE.value,
            known_child=known_child,
            gpc=False,
            reference=reference,
            created_at=now,
            updated_at=now,
        )
        .returning(*subjects.c)
    ).one()
    tx.audit("add", "subject", row.id, tenant=tenant, details={"kind": kind})
    allowances.touch(tx, row.id)
    return _remember(tx, from_row(Subject, row))


def get(tx: Transaction, tenant: str, subject_id: int) -> Subject:
    """The subject with this id in this tenant; ``NotFound`` in any other tenant.

    A unit of work that changes data reads each subject once: later calls answer from
    what it read or last wrote (every write to ``subjects`` goes through this module),
    so the steps of one change need not pass the person along to stay consistent.
    """
    seen: dict[tuple[str, int], Subject] | None = tx.memo.get(_SEEN) if tx.writable else None
    if seen is not None and (tenant, subject_id) in seen:
        return seen[tenant, subject_id]
    row = tx.connection.execute(_BY_ID, {"id": subject_id, "tenant": tenant}).first()
    if row is None:
        raise NotFound(f"no subject {subject_id} in tenant {tenant!r}")
    return _remember(tx, from_row(Subject, row))


_BY_ID = sa.select(subjects).where(
    subjects.c.id == sa.bindparam("id"), subjects.c.tenant == sa.bindparam("tenant")
)
"""Built once: every request that names a person runs it."""

_SEEN = "subjects.seen"
"""``tx.memo`` key: the subjects a writing unit of work has read or written, by id."""


def _remember(tx: Transaction, subject: Subject) -> Subject:
    if tx.writable:
        tx.memo.setdefault(_SEEN, {})[subject.tenant, subject.id] = subject
    return subject


def by_reference(tx: Transaction, tenant: str, reference: str) -> Subject:
    """The subject the caller knows by ``reference`` in this tenant."""
    row = tx.connection.execute(
        sa.select(subjects).where(subjects.c.reference == reference, subjects.c.tenant == tenant)
    ).first()
    if row is None:
        raise NotFound(f"no subject with that reference in tenant {tenant!r}")
    return from_row(Subject, row)


def of_tenant(tx: Transaction, tenant: str) -> list[Subject]:
    """Every subject of the tenant, by id."""
    rows = tx.connection.execute(
        sa.select(subjects).where(subjects.c.tenant == tenant).order_by(subjects.c.id)
    )
    return [from_row(Subject, row) for row in rows]


def set_status(tx: Transaction, subject: Subject, status: Status | str) -> Subject:
    """Mark the subject active, deactivated or deleted."""
    return _update(tx, subject, "status", {"status": Status(status).value})


def set_known_child(tx: Transaction, subject: Subject, known: bool = True) -> Subject:
    """Record actual knowledge that the subject is a child (PA-27): no use at all."""
    return _update(tx, subject, "known_child", {"known_child": known})


def set_gpc(tx: Transaction, subject: Subject, on: bool = True) -> Subject:
    """Record a Global Privacy Control signal, with the time it first arrived: an
    objection to sale, sharing and targeted advertising from then on."""
    current = get(tx, subject.tenant, subject.id)
    if on and current.gpc:
        return current  # a repeated signal changes nothing, and keeps the first time
    when = tx.now() if on else None
    # The audit entry carries the time itself; its details stay JSON.
    return _update(tx, current, "gpc", {"gpc": on, "gpc_at": when}, {"gpc": on})


def set_jurisdiction(tx: Transaction, subject: Subject, jurisdiction: str | None) -> Subject:
    """Record where the person is: a jurisdiction id of their statement version."""
    current = get(tx, subject.tenant, subject.id)
    declared = statements.get(tx, current.tenant, current.statement_version).jurisdictions
    if jurisdiction is not None and jurisdiction not in {j.id for j in declared}:
        raise Refused(f"jurisdiction {jurisdiction!r} is not declared by {current.tenant}")
    return _update(tx, current, "jurisdiction", {"jurisdiction": jurisdiction})


def set_restricted(tx: Transaction, subject: Subject, on: bool = True) -> Subject:
    """Restrict processing at the person's request (GDPR art. 18), or lift it."""
    when = tx.now() if on else None
    return _update(tx, subject, "restricted", {"restricted_at": when}, {"on": on})


def set_dnt(tx: Transaction, subject: Subject) -> Subject:
    """Record a Do Not Track signal, with the time it first arrived."""
    current = get(tx, subject.tenant, subject.id)
    if current.dnt_at is not None:
        return current
    return _update(tx, current, "dnt", {"dnt_at": tx.now()}, {"on": True})


def set_age_under(tx: Transaction, subject: Subject, age: int | None) -> Subject:
    """Record an age the person is known to be under (``None``: not known)."""
    return _update(tx, subject, "age_under", {"age_under": age})


def set_statement_version(tx: Transaction, subject: Subject, version: str) -> Subject:
    """Decide the subject under another published version from now on."""
    statements.get(tx, subject.tenant, version)
    return _update(tx, subject, "statement_version", {"statement_version": version})


_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,4}")
"""What a language tag looks like (BCP 47, loosely: ``de``, ``de-CH``, ``pt_BR``)."""


def spoken(statement: Statement, wanted: object) -> str | None:
    """The statement's declared language ``wanted`` names, or ``None``.

    An exact tag wins (``pt-BR``), else one of the same base language (``de-CH`` is the
    statement's ``de``, ``pt`` its ``pt-BR``). Anything else (an undeclared language,
    junk, not text at all) is ``None``: never an error.
    """
    if not isinstance(wanted, str) or len(wanted) > 35:
        return None
    tag = wanted.strip()
    if not _TAG.fullmatch(tag):
        return None
    tag = tag.replace("_", "-").lower()
    declared = statement.languages
    for known in declared:
        if known.lower() == tag:
            return known
    base = tag.split("-")[0]
    return next((known for known in declared if known.split("-")[0].lower() == base), None)


def set_language(tx: Transaction, subject: Subject, language: object) -> Subject:
    """Record the language the person last used, among those their statement version
    declares: every later message to them is written in it where there is a template
    in it. Anything else is ignored (the person comes back as they were), as is the
    language they have already; no engine decision depends on it."""
    current = get(tx, subject.tenant, subject.id)
    declared = statements.get(tx, current.tenant, current.statement_version)
    chosen = spoken(declared, language)
    if chosen is None or chosen == current.language:
        return current
    return _update(tx, current, "language", {"language": chosen}, decided=False)


def languages(tx: Transaction, tenant: str, subject_ids: Iterable[int]) -> dict[int, str]:
    """The stored language of each of these subjects that has one (one query)."""
    wanted = sorted(set(subject_ids))
    if not wanted:
        return {}
    rows = tx.connection.execute(_LANGUAGES, {"tenant": tenant, "ids": wanted})
    return {int(subject_id): str(language) for subject_id, language in rows}


_LANGUAGES = sa.select(subjects.c.id, subjects.c.language).where(
    subjects.c.tenant == sa.bindparam("tenant"),
    subjects.c.id.in_(sa.bindparam("ids", expanding=True)),
    subjects.c.language.is_not(None),
)
"""Built once: every chunk of every send job reads it."""


def _update(
    tx: Transaction,
    subject: Subject,
    what: str,
    values: dict[str, Any],
    details: dict[str, Any] | None = None,
    *,
    decided: bool = True,
) -> Subject:
    """Write ``values``, audited; ``decided``: the engine decides on it, so the
    person's allowances row is recomputed."""
    row = tx.connection.execute(
        subjects.update()
        .where(subjects.c.id == subject.id, subjects.c.tenant == subject.tenant)
        .values(**values, updated_at=tx.now())
        .returning(*subjects.c)
    ).first()
    if row is None:
        raise NotFound(f"no subject {subject.id} in tenant {subject.tenant!r}")
    audited = details or values
    tx.audit(f"set_{what}", "subject", subject.id, tenant=subject.tenant, details=audited)
    if decided:
        allowances.touch(tx, subject.id)
    return _remember(tx, from_row(Subject, row))
