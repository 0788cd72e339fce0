"""keepfaith's settings: one object, built once, passed to what needs it.

Every setting can come from the environment (``KEEPFAITH_DATABASE_URL`` and so on) or be
given directly; nothing is read at import time. Tests build their own ``Settings``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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

    rights_remind_days: int = Field(default=3, ge=0, le=60)
    """Staff are reminded of an open rights request this many days before its deadline
    (the ``rights.remind`` job writes to the statement's privacy contact once per
    deadline)."""

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

    banner_origins: tuple[str, ...] = ()
    """Origins (``scheme://host[:port]``) whose pages may post cookie-banner choices, beside
    each organisation's declared ``website`` (JSON list in the environment:
    ``KEEPFAITH_BANNER_ORIGINS='["http://localhost:3000"]'``)."""

    banner_demo: bool = False
    """Serve ``/t/{tenant}/cookie-banner/demo``, a host page that embeds the banner (on
    with ``keepfaith serve --example``)."""

    # Mail (the outbox, ``keepfaith mail listen``; see docs/messaging.md).

    public_url: str = "http://127.0.0.1:8000"
    """Where people reach this service: the base of the links messages carry (unsubscribe,
    removal of a referral, the privacy center)."""

    mail_from: str = ""
    """The ``From`` of every message (``Acme Privacy <privacy@acme.example>``). Nothing is
    sent without it."""

    mail_domain: str = ""
    """The domain of Message-IDs and of the reply, unsubscribe and bounce addresses
    messages carry; ``keepfaith mail listen`` receives mail for it. Defaults to the domain
    of ``mail_from``."""

    mail_templates: Path | None = None
    """A folder of message templates, one sub-folder per tenant (``acme/newsletter.txt``),
    tried before keepfaith's own."""

    mail_replies: Literal["keep", "forward"] = "keep"
    """What ``keepfaith mail listen`` does with a reply that is not an unsubscribe: keep it
    for staff (``keepfaith mail replies``), or forward it to ``mail_forward_to``."""

    mail_forward_to: str = ""
    """Where replies are forwarded when ``mail_replies`` is ``forward``."""

    smtp_host: str = "localhost"
    """The relay every message is handed to."""

    smtp_port: int = Field(default=587, ge=1, le=65535)
    """The relay's port: 587 (submission, STARTTLS), 465 (TLS) or 25."""

    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    """``starttls`` upgrades the connection before anything is sent, ``tls`` connects over
    TLS (port 465); ``none`` sends in the clear (a relay on loopback only)."""

    smtp_username: str = ""
    """The relay's login, if it asks for one (``AUTH``)."""

    smtp_password: SecretStr = SecretStr("")
    """The relay's password; never logged."""

    smtp_timeout: float = Field(default=30.0, gt=0)
    """Seconds to wait for the relay to answer before giving the attempt up."""

    smtp_connections: int = Field(default=4, ge=1, le=100)
    """Connections one worker keeps open to the relay, each sending a message at a time;
    messages in flight on them are recorded together."""

    campaign_batch: int = Field(default=500, ge=1, le=100_000)
    """Messages of a campaign each job sends (one job per batch)."""

    dkim_domain: str = ""
    """Sign every message with DKIM for this domain (``d=``), with ``dkim_selector`` and
    ``dkim_key_file``; the signature covers ``List-Unsubscribe`` and ``List-Unsubscribe-Post``."""

    dkim_selector: str = ""
    """The DKIM selector (``s=``) whose public key is published in DNS."""

    dkim_key_file: Path | None = None
    """The DKIM private key (PEM, RSA or Ed25519), kept outside the database."""
