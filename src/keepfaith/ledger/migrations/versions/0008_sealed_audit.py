"""A sealed audit: entries in lanes with keyed MACs, sealed in batches; no chain head.

Entries already written keep their content and position and join the lane
``legacy-chain`` with their old hash as MAC, so ``audit verify`` still checks them by the
old chain rule until the first seal covers them. The downgrade rebuilds the old chain
(unkeyed SHA-256, positions renumbered 1..n) from whatever entries there are.

Revision ID: 0008_sealed_audit
Revises: 0007_allowances
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008_sealed_audit"
down_revision = "0007_allowances"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CONTENT = ("at", "tenant", "actor", "action", "object", "object_id", "details")
LEGACY_LANE = "legacy-chain"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.rename_table("audit_entries", "audit_chain")
    if postgresql:  # constraint names are schema-wide there
        op.execute("ALTER TABLE audit_chain RENAME CONSTRAINT pk_audit_entries TO pk_audit_chain")
    op.create_table(
        "audit_entries",
        sa.Column("position", Id, autoincrement=True, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("lane", sa.String(length=32), nullable=False),
        sa.Column("lane_seq", sa.BigInteger(), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("seal", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_audit_entries")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_entries_seal", "audit_entries", ["seal", "position"])
    op.create_table(
        "audit_seals",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sealed_at", sa.String(length=32), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("previous", sa.String(length=64), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seals")),
    )
    columns = ", ".join(CONTENT)
    op.execute(
        f"INSERT INTO audit_entries (position, {columns}, lane, lane_seq, mac) "
        f"SELECT position, {columns}, '{LEGACY_LANE}', position, hash FROM audit_chain"
    )
    if postgresql:
        op.execute(
            "SELECT setval(pg_get_serial_sequence('audit_entries', 'position'), "
            "COALESCE((SELECT max(position) FROM audit_entries), 0) + 1, false)"
        )
    op.drop_table("audit_chain")
    op.drop_table("audit_head")


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            f"SELECT {', '.join(CONTENT)} FROM audit_entries ORDER BY seal IS NULL, seal, position"
        )
    ).all()
    op.drop_table("audit_seals")
    op.drop_index("ix_audit_entries_seal", table_name="audit_entries")
    op.drop_table("audit_entries")
    entries = op.create_table(
        "audit_entries",
        sa.Column("position", Id, autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("previous", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_audit_entries")),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", Id, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    previous, chained = "0" * 64, []
    for position, row in enumerate(rows, start=1):
        content = dict(zip(CONTENT, row, strict=True))
        digest = _chain_hash({**content, "position": position, "previous": previous})
        chained.append({**content, "position": position, "previous": previous, "hash": digest})
        previous = digest
    if chained:
        op.bulk_insert(entries, chained)
        op.bulk_insert(head, [{"id": 1, "position": len(chained), "hash": previous}])


def _chain_hash(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
