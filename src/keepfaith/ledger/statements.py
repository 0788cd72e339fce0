"""Published statement versions: publish one, find the current one, read any of them.

A published version never changes: publishing the same version again with the same text
is a no-op, with another text it is refused. Parsed statements are kept on the ledger
(``Ledger.caches["statements"]``) so that a decision never re-reads YAML; a version published in a
unit of work enters that cache only once the unit commits, so a rolled-back publish is
never served.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from keepfaith.exceptions import NotFound, Refused
from keepfaith.ledger.base import Id, Tenant, When, metadata
from keepfaith.ledger.rows import StatementVersion, from_row
from keepfaith.ledger.transaction import Transaction
from keepfaith.statement import Statement, loads
from keepfaith.statement.load import declared_identity

statement_versions = sa.Table(
    "statement_versions",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("published_at", When, nullable=False),
    sa.UniqueConstraint("tenant", "version", name="uq_statement_versions_tenant_version"),
)

_PENDING = "statements.pending"
"""``tx.memo`` key: versions published in this unit of work, not yet committed."""


def publish(
    tx: Transaction, statement: Statement, source_text: str | None = None
) -> StatementVersion:
    """Store a statement version for its tenant; it becomes the tenant's current one.

    ``source_text`` is the file's text, kept so that later decisions load exactly it; it
    must declare this statement's id and version.
    """
    text = source_text if source_text is not None else _as_text(statement)
    if source_text is not None:
        declared = declared_identity(source_text)
        if declared != (statement.id, statement.version):
            raise Refused(
                f"the text given for {statement.id} {statement.version} declares "
                f"{' '.join(declared)}"
            )
    existing = tx.connection.execute(
        sa.select(statement_versions).where(
            statement_versions.c.tenant == statement.id,
            statement_versions.c.version == statement.version,
        )
    ).first()
    if existing is not None:
        if existing.text != text:
            raise Refused(
                f"statement {statement.id} version {statement.version} is already "
                "published with another text"
            )
        return from_row(StatementVersion, existing)
    row = tx.connection.execute(
        statement_versions.insert()
        .values(tenant=statement.id, version=statement.version, text=text, published_at=tx.now())
        .returning(*statement_versions.c)
    ).one()
    key = (statement.id, statement.version)
    tx.memo.setdefault(_PENDING, {})[key] = statement
    tx.after_commit(lambda: _parsed(tx).__setitem__(key, statement))
    tx.audit("publish", "statement", statement.version, tenant=statement.id)
    return from_row(StatementVersion, row)


def tenants(tx: Transaction) -> list[str]:
    """Every tenant with a published statement, in order (what periodic jobs go over)."""
    found = tx.connection.execute(sa.select(statement_versions.c.tenant).distinct())
    return sorted(found.scalars())


def current_version(tx: Transaction, tenant: str) -> str:
    """The tenant's most recently published statement version."""
    version = tx.connection.execute(
        sa.select(statement_versions.c.version)
        .where(statement_versions.c.tenant == tenant)
        .order_by(statement_versions.c.published_at.desc(), statement_versions.c.id.desc())
        .limit(1)
    ).scalar()
    if version is None:
        raise NotFound(f"tenant {tenant!r} has no published statement")
    return str(version)


def get(tx: Transaction, tenant: str, version: str | None = None) -> Statement:
    """A published statement version of the tenant (the current one by default)."""
    version = version or current_version(tx, tenant)
    key = (tenant, version)
    found = _parsed(tx).get(key) or tx.memo.get(_PENDING, {}).get(key)
    if found is not None:
        return found
    text = tx.connection.execute(
        sa.select(statement_versions.c.text).where(
            statement_versions.c.tenant == tenant, statement_versions.c.version == version
        )
    ).scalar()
    if text is None:
        raise NotFound(f"tenant {tenant!r} has no published statement version {version!r}")
    statement = loads(text, source=f"<{tenant} {version}>")
    # Only ``publish`` writes versions, and it keeps its own uncommitted ones in the memo:
    # a version read from the table here is committed, and safe to keep.
    _parsed(tx)[key] = statement
    return statement


def versions(tx: Transaction, tenant: str) -> list[StatementVersion]:
    """Every published version of the tenant, oldest first."""
    rows = tx.connection.execute(
        sa.select(statement_versions)
        .where(statement_versions.c.tenant == tenant)
        .order_by(statement_versions.c.published_at, statement_versions.c.id)
    )
    return [from_row(StatementVersion, row) for row in rows]


def _parsed(tx: Transaction) -> dict[tuple[str, str], Statement]:
    return tx.ledger.caches["statements"]


def _as_text(statement: Statement) -> str:
    return json.dumps(statement.model_dump(mode="json", exclude_defaults=True), indent=1)
