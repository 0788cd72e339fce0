"""People's own sign-in: a password for the privacy center, where the statement offers it.

A person signs in with their email address and a password (DG-14). The address is not
stored here: ``login_digest`` is its HMAC under the deployment's secret key, enough to
find the row and useless to anyone holding only a copy of the database. The password is
hashed with argon2id. ``keepfaith.collect.accounts`` reads and writes this table.
"""

from __future__ import annotations

import sqlalchemy as sa

from keepfaith.ledger.base import metadata

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)

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
