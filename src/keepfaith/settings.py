"""keepfaith's settings: one object, built once, passed to what needs it.

Every setting can come from the environment (``KEEPFAITH_DATABASE_URL`` and so on) or be
given directly; nothing is read at import time. Tests build their own ``Settings``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """How this deployment of keepfaith runs."""

    model_config = SettingsConfigDict(env_prefix="KEEPFAITH_", extra="forbid", frozen=True)

    database_url: str = "sqlite:///keepfaith.db"
    """SQLAlchemy URL of the ledger. SQLite file by default; PostgreSQL in production
    (``postgresql+psycopg://user@host/db``)."""

    database_pool_size: int = Field(default=20, ge=1)
    """Connections each process keeps open to a PostgreSQL ledger (SQLite ignores it).
    Below the server's concurrency, every extra request opens and closes a connection of
    its own, which costs PostgreSQL a new backend process each time."""

    statements: tuple[Path, ...] = ()
    """Statement files this deployment enforces, one per tenant."""

    encryption_keys: dict[str, str] = Field(default_factory=dict)
    """Keys for sensitive categories, by key id: base64 of 32 random bytes."""

    active_key_id: str | None = None
    """Which of ``encryption_keys`` encrypts new values; the others only decrypt."""

    audit_key: str = ""
    """Keys the audit log's MACs and seals: base64 of 32 random bytes (``keepfaith keys
    generate``), kept outside the database with the other keys. Without it a built-in
    development key is used, which protects nothing."""

    audit_seal_seconds: int = Field(default=5, ge=1, le=60)
    """At most this many seconds pass before a new audit entry is sealed (the sealer job
    runs this often)."""

    audit_witness_file: Path | None = None
    """Where the sealer job writes the newest seal's witness after each seal, for a
    backup or an outside store to keep; ``keepfaith audit verify --witness`` reads it."""

    job_modules: tuple[str, ...] = ()
    """Modules of the deployment's own job tasks, imported by every worker besides
    keepfaith's (``keepfaith.jobs.registry.MODULES``)."""

    jobs_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    """How often an idle worker looks for jobs it was not told about."""

    jobs_stall_seconds: float = Field(default=30.0, ge=1)
    """A running job whose worker sent no heartbeat for this long is run again: its worker
    died. Keep it well above a slow database's pauses."""

    secret_key: str = ""
    """Signs links, cookies and tokens. Must be set to a long random value in production."""

    # Serving (``keepfaith serve``; see docs/serving.md).

    cookie_secure: bool = True
    """Mark keepfaith's cookies ``Secure`` (sent over HTTPS only). Turn off only for a
    deployment reached over plain HTTP on localhost."""

    behind_tls: bool = False
    """Every request reaches keepfaith over HTTPS (directly or through a TLS proxy): send
    ``Strict-Transport-Security`` so browsers never fall back to plain HTTP."""

    session_lifetime_minutes: int = Field(default=480, ge=1)
    """How long a staff sign-in lasts before the person must sign in again (PA-28)."""

    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    """Largest request body accepted; a larger one gets 413 before it is read."""

    rate_limit_per_minute: int = Field(default=60, ge=0)
    """Public write requests (forms, consent, login) one client address may make per
    minute, counted in memory per server process; 0 turns the limit off."""

    # Company databases (``keepfaith connectors``; see docs/discovery.md).

    connectors: dict[str, SecretStr] = Field(default_factory=dict)
    """The company's databases, by dataset-map key: a SQLAlchemy URL each, password
    included. Kept here and nowhere else: never in a map, a log or an error message
    (``KEEPFAITH_CONNECTORS='{"pagila": "postgresql+psycopg://..."}'``)."""

    scan_sample_size: int = Field(default=50, ge=0, le=10_000)
    """Rows the scanner reads per table, so values per column, to check with validators;
    0 judges by names, types and keys alone. The values are counted, never kept."""

    access_log: bool = True
    """Log one line per request: method, path without query, status, duration. Never the
    client's address."""
