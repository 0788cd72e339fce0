"""Reviewed dataset maps of the company's databases, one per tenant and map key.

The document is the map as JSON (``keepfaith.connectors.datamap``), which holds no
connection URL and no value of anyone's: categories, identities, erasure strategies and
the scanner's evidence in words. Every save is audited, with the columns it changed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from keepfaith.ledger.base import Tenant, When, metadata

if TYPE_CHECKING:
    from keepfaith.ledger.transaction import Transaction

dataset_maps = sa.Table(
    "dataset_maps",
    metadata,
    sa.Column("tenant", Tenant, nullable=False),
    sa.Column("key", sa.String(128), nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.Column("updated_by", sa.String(255), nullable=False),
    sa.PrimaryKeyConstraint("tenant", "key"),
)


def save(
    tx: Transaction, tenant: str, key: str, document: dict[str, Any], changed: list[str]
) -> None:
    """Store the map's document (insert or replace), audited with what ``changed``."""
    values = {
        "document": json.dumps(document, sort_keys=True, ensure_ascii=False),
        "updated_at": tx.now(),
        "updated_by": tx.actor,
    }
    where = (dataset_maps.c.tenant == tenant) & (dataset_maps.c.key == key)
    updated = tx.connection.execute(dataset_maps.update().where(where).values(**values))
    if not updated.rowcount:
        tx.connection.execute(dataset_maps.insert().values(tenant=tenant, key=key, **values))
    tx.audit("save", "dataset_map", key, tenant=tenant, details={"changed": changed[:200]})


def load(tx: Transaction, tenant: str, key: str) -> dict[str, Any] | None:
    """The stored document of the map, or None."""
    text = tx.connection.execute(
        sa.select(dataset_maps.c.document).where(
            dataset_maps.c.tenant == tenant, dataset_maps.c.key == key
        )
    ).scalar()
    return None if text is None else dict(json.loads(text))


def keys(tx: Transaction, tenant: str) -> list[str]:
    """The keys of the tenant's stored maps, in order."""
    rows = tx.connection.execute(
        sa.select(dataset_maps.c.key)
        .where(dataset_maps.c.tenant == tenant)
        .order_by(dataset_maps.c.key)
    )
    return [str(key) for key in rows.scalars()]
