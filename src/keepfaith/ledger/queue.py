"""The tables of background jobs (``keepfaith.jobs``) kept in the ledger's database.

On SQLite, ``jobs`` is the queue itself: a job is a row written in the transaction of
the change that needs it. On PostgreSQL the queue is procrastinate's (its tables,
``procrastinate_*``, installed by the same migrations), and ``jobs`` is not created.
``job_errors`` keeps, on both, why each failed attempt failed.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer, String, Table, Text

from keepfaith.ledger.base import metadata

ONLY_ON = "only_on"
"""Key of a table's ``info``: the database dialects it exists on (every one if absent)."""

When = DateTime(timezone=True)
Id = BigInteger().with_variant(Integer(), "sqlite")

jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("task", String(128), nullable=False),
    Column("args", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("run_after", When, nullable=False),
    Column("created_at", When, nullable=False),
    Column("started_at", When, nullable=True),
    Column("finished_at", When, nullable=True),
    Column("heartbeat_at", When, nullable=True),
    Column("worker", String(64), nullable=True),
    Column("periodic_key", String(160), nullable=True, unique=True),
    Index("ix_jobs_status", "status", "run_after"),
    sqlite_autoincrement=True,
    info={ONLY_ON: {"sqlite"}},
)
"""SQLite's queue: ``status`` is todo, doing, succeeded or dead; ``periodic_key`` keeps a
periodic task from being queued twice for one tick."""

job_errors = Table(
    "job_errors",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("job_id", BigInteger, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", When, nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_job_errors_job", "job_id"),
)
"""Why an attempt of a job failed (the exception's type and message, never its args)."""


def exists_on(table: Table, dialect: str) -> bool:
    """Whether ``table`` is created on databases of this dialect."""
    only = table.info.get(ONLY_ON)
    return only is None or dialect in only
