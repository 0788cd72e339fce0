"""Tables of anonymous visit statistics, per tenant and day, from web-server logs.

Nothing here identifies anyone: no address, no user agent, no visitor key. Counts are
per dimension value (a page, a referrer domain, a browser family...), unique visitors
are a HyperLogLog sketch of salted keys whose salt was never stored, and ingested log
chunks are remembered only by a SHA-256 digest of a whole chunk, so that the same log
is never counted twice.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
)

from keepfaith.ledger.base import metadata

visit_days = Table(
    "visit_days",
    metadata,
    Column("tenant", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("requests", BigInteger, nullable=False, default=0),
    Column("bot_requests", BigInteger, nullable=False, default=0),
    Column("pageviews", BigInteger, nullable=False, default=0),
    Column("sessions", BigInteger, nullable=False, default=0),
    Column("bytes", BigInteger, nullable=False, default=0),
    Column("visitors", LargeBinary, nullable=True),
    PrimaryKeyConstraint("tenant", "day"),
)

visit_counts = Table(
    "visit_counts",
    metadata,
    Column("tenant", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("dimension", String(32), nullable=False),
    Column("value", String(1024), nullable=False),
    Column("count", BigInteger, nullable=False, default=0),
    PrimaryKeyConstraint("tenant", "day", "dimension", "value"),
)

visit_chunks = Table(
    "visit_chunks",
    metadata,
    Column("tenant", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("lines", Integer, nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("tenant", "digest"),
)
