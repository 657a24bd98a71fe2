"""sealing: per-subject data keys, legal holds

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "subject_keys",
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("master_key_id", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("erased_at", sa.String(length=32), nullable=True),
        sa.Column("erasure_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_subject_keys")),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("conversation_key", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("hold_seq", sa.BigInteger(), nullable=False),
        sa.Column("released_at", sa.String(length=32), nullable=True),
        sa.Column("released_by", sa.String(length=200), nullable=True),
        sa.Column("release_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_index("ix_legal_holds_subject", "legal_holds", ["subject"])
    op.create_index("ix_legal_holds_conversation_key", "legal_holds", ["conversation_key"])
    op.create_index("ix_conversations_customer", "conversations", ["customer"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_conversations_customer", table_name="conversations")
    op.drop_index("ix_legal_holds_conversation_key", table_name="legal_holds")
    op.drop_index("ix_legal_holds_subject", table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_table("subject_keys")
