"""The one SQLAlchemy ``MetaData`` every ledger table belongs to, and the column types
the tables share.

A naming convention gives constraints stable names, so Alembic migrations upgrade and
downgrade the same way on SQLite and PostgreSQL. Each concern's tables live in its own
module beside the functions that read and write them (``subjects``, ``records``...).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

Id = BigInteger().with_variant(Integer(), "sqlite")
"""Row ids: 64-bit on PostgreSQL; SQLite needs ``INTEGER`` to alias the rowid."""

Tenant = String(64)
Ident = String(64)
Category = String(128)
When = DateTime(timezone=True)
