"""conversation metrics

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "conversation_metrics",
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("first_response_seconds", sa.Float(), nullable=True),
        sa.Column("resolution_seconds", sa.Float(), nullable=True),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("reopens", sa.Integer(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("contained", sa.Boolean(), nullable=False),
        sa.Column("csat", sa.Float(), nullable=True),
        sa.Column("first_event_at", sa.String(length=32), nullable=True),
        sa.Column("last_event_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_key"],
            ["conversations.conversation_key"],
            name=op.f("fk_conversation_metrics_conversation_key_conversations"),
        ),
        sa.PrimaryKeyConstraint("conversation_key", name=op.f("pk_conversation_metrics")),
    )
    with op.batch_alter_table("conversation_metrics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_metrics_last_event_at", ["last_event_at"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("conversation_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_metrics_last_event_at")
    op.drop_table("conversation_metrics")
