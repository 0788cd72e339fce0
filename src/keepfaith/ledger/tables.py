"""The ledger's tables: what the company holds about people, and what it did with it.

Every row belongs to one tenant (one statement's organisation, PA-03). Personal values
live only in ``records.value`` (encrypted when the category is sensitive); every other
table holds ids, category keys, purposes and times, so the audit chain and the engine
never touch a person's words.

``collected_for`` repeats each record's subject, category and collection point beside
each purpose stated at collection (purpose ``""`` when none was), so that purpose
limitation is one index range in the engine's snapshot and in audience queries.
``consent_state`` keeps the latest counting consent event per subject and choice, for
the same reason; ``consent_events`` stays the append-only history.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from keepfaith.ledger.base import metadata

Id = BigInteger().with_variant(Integer(), "sqlite")
"""Row ids: 64-bit on PostgreSQL; SQLite needs ``INTEGER`` to alias the rowid."""

Tenant = String(64)
Ident = String(64)
Category = String(128)
When = DateTime(timezone=True)

statement_versions = Table(
    "statement_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant", Tenant, nullable=False),
    Column("version", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("published_at", When, nullable=False),
    UniqueConstraint("tenant", "version", name="uq_statement_versions_tenant_version"),
)

subjects = Table(
    "subjects",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant", Tenant, nullable=False),
    Column("kind", Ident, nullable=False),
    Column("statement_version", String(64), nullable=False),
    Column("status", String(16), nullable=False, default="active"),
    Column("known_child", Boolean, nullable=False, default=False),
    Column("gpc", Boolean, nullable=False, default=False),
    Column("reference", String(255), nullable=True),
    Column("created_at", When, nullable=False),
    Column("updated_at", When, nullable=False),
    UniqueConstraint("tenant", "reference", name="uq_subjects_tenant_reference"),
    Index("ix_subjects_tenant_version", "tenant", "statement_version"),
)

records = Table(
    "records",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant", Tenant, nullable=False),
    Column("subject_id", Id, ForeignKey("subjects.id"), nullable=True),
    Column("category", Category, nullable=False),
    Column("value", Text, nullable=True),
    Column("key_id", String(64), nullable=True),
    Column("collection_point", Ident, nullable=True),
    Column("source", String(255), nullable=True),
    Column("statement_version", String(64), nullable=False),
    Column("provenance", JSON, nullable=False),
    Column("anonymous", Boolean, nullable=False, default=False),
    Column("collected_at", When, nullable=False),
    Column("updated_at", When, nullable=False),
    Index("ix_records_subject_category", "subject_id", "category"),
    Index("ix_records_tenant_category", "tenant", "category"),
)

collected_for = Table(
    "collected_for",
    metadata,
    Column("record_id", Id, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("subject_id", Id, nullable=True),
    Column("category", Category, nullable=False),
    Column("purpose", Ident, nullable=False),
    Column("collection_point", Ident, nullable=True),
    UniqueConstraint("record_id", "purpose", name="uq_collected_for_record_purpose"),
    Index("ix_collected_for_subject", "subject_id", "category", "purpose"),
    Index("ix_collected_for_purpose", "category", "purpose", "subject_id"),
)

consent_events = Table(
    "consent_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant", Tenant, nullable=False),
    Column("subject_id", Id, ForeignKey("subjects.id"), nullable=False),
    Column("choice", String(80), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("method", String(16), nullable=False),
    Column("counts", Boolean, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("statement_version", String(64), nullable=False),
    Column("at", When, nullable=False),
    Index("ix_consent_events_subject", "subject_id", "choice", "at"),
)

consent_state = Table(
    "consent_state",
    metadata,
    Column("subject_id", Id, ForeignKey("subjects.id"), primary_key=True),
    Column("choice", String(80), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("at", When, nullable=False),
    Index("ix_consent_state_choice", "choice", "state", "subject_id"),
)

preferences = Table(
    "preferences",
    metadata,
    Column("subject_id", Id, ForeignKey("subjects.id"), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", When, nullable=False),
)

holds = Table(
    "holds",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant", Tenant, nullable=False),
    Column("subject_id", Id, ForeignKey("subjects.id"), nullable=False),
    Column("reason", Ident, nullable=False),
    Column("until", When, nullable=True),
    Column("created_at", When, nullable=False),
    Column("released_at", When, nullable=True),
    Index("ix_holds_subject", "subject_id"),
)

disclosures = Table(
    "disclosures",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant", Tenant, nullable=False),
    Column("subject_id", Id, ForeignKey("subjects.id"), nullable=True),
    Column("recipient", String(255), nullable=False),
    Column("categories", JSON, nullable=False),
    Column("basis", String(32), nullable=False),
    Column("purpose", Ident, nullable=True),
    Column("country", String(64), nullable=True),
    Column("reference", String(255), nullable=True),
    Column("anonymous", Boolean, nullable=False, default=False),
    Column("at", When, nullable=False),
    Index("ix_disclosures_subject", "subject_id"),
    Index("ix_disclosures_tenant_at", "tenant", "at"),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("position", Id, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("tenant", Tenant, nullable=True),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object", String(32), nullable=False),
    Column("object_id", String(64), nullable=True),
    Column("details", Text, nullable=False),
    Column("lane", String(32), nullable=False),
    Column("lane_seq", BigInteger, nullable=False),
    Column("mac", String(64), nullable=False),
    Column("seal", BigInteger, nullable=True),
    Index("ix_audit_entries_seal", "seal", "position"),
    sqlite_autoincrement=True,
)
"""What changed, by whom, when; ``position`` orders entries (never reused, even on
SQLite), ``lane`` and ``lane_seq`` place each in its connection's lane, ``mac`` keys it,
``seal`` says which seal holds it (``NULL`` until sealed). See ``keepfaith.ledger.audit``."""

audit_seals = Table(
    "audit_seals",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("sealed_at", String(32), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("root", String(64), nullable=False),
    Column("previous", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
)
"""One row per sealed batch: its Merkle root, the previous seal's MAC, and its own."""
