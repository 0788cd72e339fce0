"""Staff access: users with a role, their sign-in sessions, and API tokens for machines.

Passwords are hashed with argon2id; session and API tokens are random 256-bit values of
which only a SHA-256 digest is stored, so a copy of the database lets no one sign in.
Each user and token has a tenant scope (PA-03): ``NULL`` for the deployment's own
operators, who act for every tenant, or one tenant id, outside which it is refused.

Everything here takes the ledger's SQLAlchemy engine; the web layer turns ``AccessDenied``
into 401 or 403.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from keepfaith.exceptions import AccessDenied, Refused
from keepfaith.ledger.base import metadata
from keepfaith.ledger.tables import Tenant

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


class Role(StrEnum):
    """What a staff member may do."""

    OWNER = "owner"
    """Everything, including managing staff."""
    PRIVACY_OFFICER = "privacy_officer"
    """Statements, requests, complaints, disclosures."""
    SUPPORT_AGENT = "support_agent"
    """Works requests and corrections for people."""
    AUDITOR = "auditor"
    """Reads the ledger and the audit chain; changes nothing."""


MAX_EMAIL = 255
"""Longest staff email the ``staff_users.email`` column holds."""

staff_users = sa.Table(
    "staff_users",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(MAX_EMAIL), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("tenant", Tenant, nullable=True),
    sa.UniqueConstraint("email", name="uq_staff_users_email"),
)

staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("expires_at", When, nullable=False),
    sa.Index("ix_staff_sessions_user_id", "user_id"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("revoked_at", When, nullable=True),
    sa.Column("tenant", Tenant, nullable=True),
    sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
)

_TENANT_ID = re.compile(r"[a-z][a-z0-9_-]{0,63}")
"""What a statement id may be (``Identifier`` in the statement schema)."""

TOKEN_PREFIX = "kf_"
"""API tokens start with this, so a leaked one is easy to recognise in a scan."""

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("keepfaith: compare against this when the user is unknown")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in staff user or an API token, and its role."""

    kind: str
    """``user`` or ``token``."""
    id: int
    role: Role
    name: str
    """The user's email or the token's name: shown to the user, never logged."""
    tenant: str | None = None
    """The one tenant this caller may act for; ``None`` for every tenant (operators)."""

    def may_act_for(self, tenant: str) -> bool:
        """Whether this caller may read or act on ``tenant``'s people (PA-03)."""
        return self.tenant is None or self.tenant == tenant

    @property
    def actor(self) -> str:
        """How the audit chain names this caller (no personal data)."""
        return f"staff:{self.kind}:{self.id}"


def digest(token: str) -> str:
    """The stored form of a session or API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def _scope(tenant: str | None) -> str | None:
    """A tenant scope as stored; refuse what no statement id could be, so typos fail early."""
    if tenant is None:
        return None
    if not _TENANT_ID.fullmatch(tenant):
        raise Refused("a tenant must be a statement id: lower-case letters, digits, '_' or '-'")
    return tenant


def create_user(
    engine: sa.Engine, email: str, password: str, role: Role | str, tenant: str | None = None
) -> Principal:
    """Add a staff user, for ``tenant`` only or (``None``) for every tenant.

    Refuses a short password, an email already in use or a malformed tenant id.
    """
    role = Role(role)
    tenant = _scope(tenant)
    email = email.strip().lower()
    if "@" not in email:
        raise Refused("a staff user's email must contain '@'")
    if len(email) > MAX_EMAIL:
        raise Refused(f"a staff user's email must be at most {MAX_EMAIL} characters long")
    if len(password) < 12:
        raise Refused("a staff password must be at least 12 characters long")
    insert = staff_users.insert().values(
        email=email,
        password_hash=_hasher.hash(password),
        role=role.value,
        active=True,
        created_at=_now(),
        tenant=tenant,
    )
    try:
        with engine.begin() as connection:
            user_id = connection.execute(insert.returning(staff_users.c.id)).scalar_one()
    except sa.exc.IntegrityError:
        # The unique email constraint decides, so two adds racing cannot both succeed.
        raise Refused("a staff user with this email already exists") from None
    return Principal("user", int(user_id), role, email, tenant)


def users(engine: sa.Engine, tenant: str | None = None) -> list[Principal]:
    """Every active staff user, by email; with ``tenant``, only the users kept to it."""
    query = sa.select(staff_users).where(staff_users.c.active).order_by(staff_users.c.email)
    if tenant is not None:
        query = query.where(staff_users.c.tenant == tenant)
    with engine.connect() as connection:
        rows = connection.execute(query)
        return [Principal("user", row.id, Role(row.role), row.email, row.tenant) for row in rows]


def authenticate(engine: sa.Engine, email: str, password: str) -> Principal:
    """The user these credentials name; ``AccessDenied`` otherwise (same message either way)."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(staff_users).where(
                staff_users.c.email == email.strip().lower(), staff_users.c.active
            )
        ).first()
    try:
        # An unknown email costs the same hash as a known one, so timing tells nothing.
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        row = None
    if row is None:
        raise AccessDenied("wrong email or password")
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as connection:
            connection.execute(
                staff_users.update()
                .where(staff_users.c.id == row.id)
                .values(password_hash=_hasher.hash(password))
            )
    return Principal("user", row.id, Role(row.role), row.email, row.tenant)


def start_session(engine: sa.Engine, user: Principal, lifetime: dt.timedelta) -> str:
    """Open a session for a signed-in user; return the token for its cookie."""
    token = secrets.token_urlsafe(32)
    now = _now()
    with engine.begin() as connection:
        connection.execute(sa.delete(staff_sessions).where(staff_sessions.c.expires_at < now))
        connection.execute(
            staff_sessions.insert().values(
                token_hash=digest(token), user_id=user.id, created_at=now, expires_at=now + lifetime
            )
        )
    return token


def session_user(engine: sa.Engine, token: str) -> Principal | None:
    """The user whose live session this token is, or ``None`` (unknown or expired)."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(staff_users, staff_sessions.c.expires_at)
            .join(staff_sessions, staff_sessions.c.user_id == staff_users.c.id)
            .where(staff_sessions.c.token_hash == digest(token), staff_users.c.active)
        ).first()
    if row is None or _utc(row.expires_at) <= _now():
        return None
    return Principal("user", row.id, Role(row.role), row.email, row.tenant)


def end_session(engine: sa.Engine, token: str) -> None:
    """Sign out: the session's token no longer works."""
    with engine.begin() as connection:
        connection.execute(
            sa.delete(staff_sessions).where(staff_sessions.c.token_hash == digest(token))
        )


def create_token(engine: sa.Engine, name: str, role: Role | str, tenant: str | None = None) -> str:
    """Issue an API token for a machine, for ``tenant`` only or (``None``) for every tenant.

    The token is shown once and stored hashed.
    """
    role = Role(role)
    if not name.strip():
        raise Refused("an API token needs a name")
    tenant = _scope(tenant)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as connection:
        connection.execute(
            api_tokens.insert().values(
                name=name.strip(),
                token_hash=digest(token),
                role=role.value,
                created_at=_now(),
                tenant=tenant,
            )
        )
    return token


def token_principal(engine: sa.Engine, token: str) -> Principal | None:
    """The unrevoked API token this is, or ``None``."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(api_tokens).where(
                api_tokens.c.token_hash == digest(token), api_tokens.c.revoked_at.is_(None)
            )
        ).first()
    if row is None:
        return None
    return Principal("token", row.id, Role(row.role), row.name, row.tenant)


def revoke_token(engine: sa.Engine, token_id: int) -> None:
    """Revoke an API token by id; it stops working at once."""
    with engine.begin() as connection:
        connection.execute(
            api_tokens.update().where(api_tokens.c.id == token_id).values(revoked_at=_now())
        )
