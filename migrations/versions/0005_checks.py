"""checks: latest check result per conversation and policy

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 11:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "check_results",
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("policy_id", sa.String(length=200), nullable=False),
        sa.Column("policy_version", sa.String(length=50), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("input_key", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("record_seq", sa.BigInteger(), nullable=False),
        sa.Column("evaluated_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("conversation_key", "policy_id", name=op.f("pk_check_results")),
    )
    op.create_index("ix_check_results_outcome", "check_results", ["outcome", "policy_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_check_results_outcome", table_name="check_results")
    op.drop_table("check_results")
