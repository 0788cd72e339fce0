"""Messages: the outbox, campaigns, the suppression list, replies and referrals.

Revision ID: 0012_messages
Revises: 0011_subject_law
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_messages"
down_revision = "0011_subject_law"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("template", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("clauses", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index("ix_campaigns_tenant", "campaigns", ["tenant", "created_at"])
    op.create_table(
        "messages",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("subject_id", Id, nullable=True),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("template", sa.String(128), nullable=False),
        sa.Column("statement_version", sa.String(64), nullable=False),
        sa.Column("promotional", sa.Boolean(), nullable=False),
        sa.Column("campaign_id", Id, nullable=True),
        sa.Column("batch", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.Text(), nullable=True),
        sa.Column("to_digest", sa.String(64), nullable=True),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("clauses", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("outcome_clauses", sa.JSON(), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("sent_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_messages_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_messages_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_campaign", "messages", ["campaign_id", "batch", "status"])
    op.create_index("ix_messages_subject", "messages", ["subject_id", "purpose"])
    op.create_index("ix_messages_tenant_status", "messages", ["tenant", "status"])
    op.create_table(
        "suppressions",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "digest", "purpose", name=op.f("pk_suppressions")),
    )
    op.create_table(
        "mail_replies",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("message_id", Id, nullable=True),
        sa.Column("subject_id", Id, nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("received_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_mail_replies_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_mail_replies_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_replies")),
    )
    op.create_index("ix_mail_replies_tenant", "mail_replies", ["tenant", "received_at"])
    op.create_table(
        "referrals",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.Column("subject_id", Id, nullable=True),
        sa.Column("referrer_id", Id, nullable=True),
        sa.Column("message_id", Id, nullable=True),
        sa.Column("point", sa.String(64), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("removed_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_referrals_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["subjects.id"], name=op.f("fk_referrals_referrer_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_referrals_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("tenant", "digest", name="uq_referrals_tenant_digest"),
    )


def downgrade() -> None:
    op.drop_table("referrals")
    op.drop_index("ix_mail_replies_tenant", table_name="mail_replies")
    op.drop_table("mail_replies")
    op.drop_table("suppressions")
    op.drop_index("ix_messages_tenant_status", table_name="messages")
    op.drop_index("ix_messages_subject", table_name="messages")
    op.drop_index("ix_messages_campaign", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_campaigns_tenant", table_name="campaigns")
    op.drop_table("campaigns")
