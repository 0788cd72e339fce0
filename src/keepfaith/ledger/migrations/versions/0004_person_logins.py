"""People's privacy-center sign-in: a login digest and a password hash per subject.

Revision ID: 0004_person_logins
Revises: 0003_staff
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_person_logins"
down_revision = "0003_staff"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "person_logins",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("login_digest", sa.String(length=64), nullable=False),
        sa.Column("subject_id", Id, nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_person_logins_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "login_digest", name=op.f("pk_person_logins")),
        sa.UniqueConstraint("subject_id", name="uq_person_logins_subject_id"),
    )


def downgrade() -> None:
    op.drop_table("person_logins")
