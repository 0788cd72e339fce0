"""People's own sign-in: a password for the privacy center, where the statement offers it.

A person signs in with their email address and a password (DG-14). The address is not
stored here: the login digest is its keyed HMAC (``crypto.tokens.keyed_digest``) under
the deployment's secret key, enough to find the row and useless to anyone holding only a
copy of the database. The password is hashed with argon2id (``crypto.passwords``).
Whether a statement offers a login, and which address may be one, is for
``keepfaith.collect.accounts`` to say; this module keeps the rows.
"""

from __future__ import annotations

import sqlalchemy as sa

from keepfaith.exceptions import InvalidSubmission
from keepfaith.ledger.base import Id, When, metadata
from keepfaith.ledger.crypto import passwords, tokens
from keepfaith.ledger.rows import Subject
from keepfaith.ledger.transaction import Transaction

person_logins = sa.Table(
    "person_logins",
    metadata,
    sa.Column("tenant", sa.String(64), primary_key=True),
    sa.Column("login_digest", sa.String(64), primary_key=True),
    sa.Column("subject_id", Id, sa.ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", When, nullable=False),
    sa.Column("updated_at", When, nullable=False),
    sa.UniqueConstraint("subject_id", name="uq_person_logins_subject_id"),
)


def login_digest(secret_key: str, tenant: str, login: str) -> str:
    """The stored form of a login name: a keyed digest, so no address sits in the table."""
    return tokens.keyed_digest(secret_key, "person-login", f"{tenant}\0{login.strip().lower()}")


def set_password(
    tx: Transaction, subject: Subject, secret_key: str, login: str, password: str
) -> None:
    """Let ``subject`` sign in with ``login`` and ``password`` (hashed), replacing any
    login they had; refused if another person of the tenant uses ``login``."""
    digest = login_digest(secret_key, subject.tenant, login)
    taken = tx.connection.execute(
        sa.select(person_logins.c.subject_id).where(
            person_logins.c.tenant == subject.tenant, person_logins.c.login_digest == digest
        )
    ).scalar()
    if taken is not None and taken != subject.id:
        raise InvalidSubmission({"login": "is already used by another account"})
    now = tx.now()
    tx.connection.execute(person_logins.delete().where(person_logins.c.subject_id == subject.id))
    tx.connection.execute(
        person_logins.insert().values(
            tenant=subject.tenant,
            login_digest=digest,
            subject_id=subject.id,
            password_hash=passwords.hash_password(password),
            created_at=now,
            updated_at=now,
        )
    )
    tx.audit("set_password", "subject", subject.id, tenant=subject.tenant)


def check(tx: Transaction, tenant: str, secret_key: str, login: str, password: str) -> int | None:
    """The id of the subject these credentials name, or ``None``; an unknown login costs
    the same hash as a known one, so timing tells nothing."""
    row = tx.connection.execute(
        sa.select(person_logins.c.subject_id, person_logins.c.password_hash).where(
            person_logins.c.tenant == tenant,
            person_logins.c.login_digest == login_digest(secret_key, tenant, login),
        )
    ).first()
    if not passwords.verify(row.password_hash if row else None, password):
        return None
    return int(row.subject_id) if row else None
