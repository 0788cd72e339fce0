"""Staff access: users with a role, their sign-in sessions, and API tokens for machines.

Passwords are hashed with argon2id (``crypto.passwords``); session and API tokens are
random 256-bit values of which only a SHA-256 digest is stored (``crypto.tokens``), so a
copy of the database lets no one sign in. Each user and token has a tenant scope (PA-03):
``NULL`` for the deployment's own operators, who act for every tenant, or one tenant id,
outside which it is refused.

Every function works inside a unit of work (``tx``): each grant, session and token is
audited and timed on the ledger's clock. A wrong sign-in is ``NotSignedIn``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from keepfaith.clock import utc
from keepfaith.exceptions import InvalidSubmission, NotFound, NotSignedIn
from keepfaith.ledger.base import Id, Tenant, When, metadata
from keepfaith.ledger.crypto import passwords, tokens
from keepfaith.ledger.rows import from_row
from keepfaith.ledger.transaction import Transaction


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

MIN_PASSWORD = 12
"""Shortest staff password."""


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


def _scope(tenant: str | None) -> str | None:
    """A tenant scope as stored; refuse what no statement id could be, so typos fail early."""
    if tenant is None:
        return None
    if not _TENANT_ID.fullmatch(tenant):
        raise InvalidSubmission(
            {"tenant": "must be a statement id: lower-case letters, digits, '_' or '-'"}
        )
    return tenant


def _user(row: Any) -> Principal:
    return from_row(Principal, row, kind="user", name=row.email)


def create_user(
    tx: Transaction, email: str, password: str, role: Role | str, tenant: str | None = None
) -> Principal:
    """Add a staff user, for ``tenant`` only or (``None``) for every tenant.

    Refuses, field by field, a malformed email, a short password, an email already in use
    or a malformed tenant id.
    """
    role = Role(role)
    tenant = _scope(tenant)
    email = email.strip().lower()
    errors: dict[str, str] = {}
    if "@" not in email:
        errors["email"] = "must contain '@'"
    elif len(email) > MAX_EMAIL:
        errors["email"] = f"must be at most {MAX_EMAIL} characters long"
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"must be at least {MIN_PASSWORD} characters long"
    if errors:
        raise InvalidSubmission(errors)
    insert = staff_users.insert().values(
        email=email,
        password_hash=passwords.hash_password(password),
        role=role.value,
        active=True,
        created_at=tx.now(),
        tenant=tenant,
    )
    try:
        # The unique email constraint decides, so two adds racing cannot both succeed.
        row = tx.connection.execute(insert.returning(*staff_users.c)).one()
    except sa.exc.IntegrityError:
        raise InvalidSubmission({"email": "a staff user with this email already exists"}) from None
    tx.audit("add", "staff_user", row.id, tenant=tenant, details={"role": role.value})
    return _user(row)


def users(tx: Transaction, tenant: str | None = None) -> list[Principal]:
    """Every active staff user, by email; with ``tenant``, only the users kept to it."""
    query = sa.select(staff_users).where(staff_users.c.active).order_by(staff_users.c.email)
    if tenant is not None:
        query = query.where(staff_users.c.tenant == tenant)
    return [_user(row) for row in tx.connection.execute(query)]


def authenticate(tx: Transaction, email: str, password: str) -> Principal:
    """The user these credentials name; ``NotSignedIn`` otherwise (same message either way)."""
    row = tx.connection.execute(
        sa.select(staff_users).where(
            staff_users.c.email == email.strip().lower(), staff_users.c.active
        )
    ).first()
    # An unknown email costs the same hash as a known one (``verify`` of ``None``).
    if not passwords.verify(row.password_hash if row else None, password) or row is None:
        raise NotSignedIn("wrong email or password")
    if passwords.needs_rehash(row.password_hash):
        tx.connection.execute(
            staff_users.update()
            .where(staff_users.c.id == row.id)
            .values(password_hash=passwords.hash_password(password))
        )
        tx.audit("rehash", "staff_user", row.id, tenant=row.tenant)
    return _user(row)


def start_session(tx: Transaction, user: Principal, lifetime: dt.timedelta) -> str:
    """Open a session for a signed-in user; return the token for its cookie."""
    token = tokens.random_token()
    now = tx.now()
    tx.connection.execute(sa.delete(staff_sessions).where(staff_sessions.c.expires_at < now))
    tx.connection.execute(
        staff_sessions.insert().values(
            token_hash=tokens.digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    tx.audit("start", "staff_session", user.id, tenant=user.tenant)
    return token


def session_user(tx: Transaction, token: str) -> Principal | None:
    """The user whose live session this token is, or ``None`` (unknown or expired)."""
    row = tx.connection.execute(
        sa.select(staff_users, staff_sessions.c.expires_at)
        .join(staff_sessions, staff_sessions.c.user_id == staff_users.c.id)
        .where(staff_sessions.c.token_hash == tokens.digest(token), staff_users.c.active)
    ).first()
    if row is None or utc(row.expires_at) <= tx.now():
        return None
    return _user(row)


def end_session(tx: Transaction, token: str) -> None:
    """Sign out: the session's token no longer works."""
    user_id = tx.connection.execute(
        sa.delete(staff_sessions)
        .where(staff_sessions.c.token_hash == tokens.digest(token))
        .returning(staff_sessions.c.user_id)
    ).scalar()
    if user_id is not None:
        tx.audit("end", "staff_session", user_id)


def create_token(tx: Transaction, name: str, role: Role | str, tenant: str | None = None) -> str:
    """Issue an API token for a machine, for ``tenant`` only or (``None``) for every tenant.

    The token is shown once and stored hashed.
    """
    role = Role(role)
    if not name.strip():
        raise InvalidSubmission({"name": "an API token needs a name"})
    tenant = _scope(tenant)
    token = tokens.random_token(TOKEN_PREFIX)
    token_id = tx.connection.execute(
        api_tokens.insert()
        .values(
            name=name.strip(),
            token_hash=tokens.digest(token),
            role=role.value,
            created_at=tx.now(),
            tenant=tenant,
        )
        .returning(api_tokens.c.id)
    ).scalar_one()
    tx.audit("add", "api_token", token_id, tenant=tenant, details={"role": role.value})
    return token


def token_principal(tx: Transaction, token: str) -> Principal | None:
    """The unrevoked API token this is, or ``None``."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = tx.connection.execute(
        sa.select(api_tokens).where(
            api_tokens.c.token_hash == tokens.digest(token), api_tokens.c.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    return from_row(Principal, row, kind="token")


@dataclass(frozen=True)
class ApiToken:
    """An API token as staff see it: never the token itself, which is not stored."""

    id: int
    name: str
    role: Role
    created_at: dt.datetime
    tenant: str | None = None


def live_tokens(tx: Transaction, tenant: str | None = None) -> list[ApiToken]:
    """Every unrevoked API token, oldest first; with ``tenant``, only those kept to it."""
    query = sa.select(api_tokens).where(api_tokens.c.revoked_at.is_(None))
    if tenant is not None:
        query = query.where(api_tokens.c.tenant == tenant)
    return [
        from_row(ApiToken, row) for row in tx.connection.execute(query.order_by(api_tokens.c.id))
    ]


def revoke_token(tx: Transaction, token_id: int, *, tenant: str | None = None) -> None:
    """Revoke an API token by id; it stops working at once.

    With ``tenant``, only a token kept to that tenant (a tenant's owner revokes its own);
    any other id is ``NotFound``, as is a token already revoked.
    """
    where = [api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)]
    if tenant is not None:
        where.append(api_tokens.c.tenant == tenant)
    revoked = tx.connection.execute(
        api_tokens.update().where(*where).values(revoked_at=tx.now()).returning(api_tokens.c.tenant)
    ).first()
    if revoked is None:
        raise NotFound(f"no live API token {token_id}")
    tx.audit("revoke", "api_token", token_id, tenant=revoked.tenant)


def find_user(tx: Transaction, email: str) -> Principal:
    """The active staff user with this email; ``NotFound`` otherwise."""
    row = tx.connection.execute(
        sa.select(staff_users).where(
            staff_users.c.email == email.strip().lower(), staff_users.c.active
        )
    ).first()
    if row is None:
        raise NotFound("no active staff user with this email")
    return _user(row)


def disable_user(tx: Transaction, user_id: int, *, tenant: str | None = None) -> None:
    """Disable a staff user: they cannot sign in, and their open sessions end at once.

    The row stays (the audit chain names it); with ``tenant``, only a user kept to that
    tenant. Any other id is ``NotFound``, as is a user already disabled.
    """
    where = [staff_users.c.id == user_id, staff_users.c.active]
    if tenant is not None:
        where.append(staff_users.c.tenant == tenant)
    disabled = tx.connection.execute(
        staff_users.update().where(*where).values(active=False).returning(staff_users.c.tenant)
    ).first()
    if disabled is None:
        raise NotFound(f"no active staff user {user_id}")
    tx.connection.execute(sa.delete(staff_sessions).where(staff_sessions.c.user_id == user_id))
    tx.audit("disable", "staff_user", user_id, tenant=disabled.tenant)
