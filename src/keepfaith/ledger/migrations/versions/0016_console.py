"""Finding people by address (keyed digests of emails and phones), the requests for
privacy-center sign-in links, counted per address and per client, and the indexes the
staff console reads by (a tenant's consent log, a subject's audit story).

Revision ID: 0016_console
Revises: 0015_sharing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_console"
down_revision = "0015_sharing"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subject_lookups",
        sa.Column("record_id", Id, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("subject_id", Id, nullable=False),
        sa.Column("category", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_subject_lookups_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_subject_lookups_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_subject_lookups")),
    )
    op.create_index("ix_subject_lookups_digest", "subject_lookups", ["tenant", "kind", "digest"])
    op.create_table(
        "sign_in_requests",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("address_digest", sa.String(64), nullable=False),
        sa.Column("client_digest", sa.String(64), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_requests")),
    )
    op.create_index(
        "ix_sign_in_requests_address", "sign_in_requests", ["tenant", "address_digest", "at"]
    )
    op.create_index("ix_sign_in_requests_client", "sign_in_requests", ["client_digest", "at"])
    # The console reads a tenant's consent log newest first, and a subject's audit story.
    op.create_index("ix_consent_events_tenant", "consent_events", ["tenant", "id"])
    op.create_index("ix_audit_entries_object", "audit_entries", ["tenant", "object", "object_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_object", table_name="audit_entries")
    op.drop_index("ix_consent_events_tenant", table_name="consent_events")
    op.drop_index("ix_sign_in_requests_client", table_name="sign_in_requests")
    op.drop_index("ix_sign_in_requests_address", table_name="sign_in_requests")
    op.drop_table("sign_in_requests")
    op.drop_index("ix_subject_lookups_digest", table_name="subject_lookups")
    op.drop_table("subject_lookups")
