"""AutoQA: latest automatic scores, their criteria, reviewers' flags (issue 16)

Revision ID: 0016
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "autoqa_criteria",
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("rubric_hash", sa.String(length=64), nullable=False),
        sa.Column("criterion_id", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "conversation_key", "rubric_hash", "criterion_id", name=op.f("pk_autoqa_criteria")
        ),
    )
    op.create_table(
        "autoqa_flags",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("rubric_hash", sa.String(length=64), nullable=False),
        sa.Column("criterion_id", sa.String(length=100), nullable=False),
        sa.Column("autoqa_seq", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=True),
        sa.Column("flagged_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_autoqa_flags")),
    )
    with op.batch_alter_table("autoqa_flags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_autoqa_flags_conversation_key", ["conversation_key"], unique=False
        )

    op.create_table(
        "autoqa_scores",
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("rubric_hash", sa.String(length=64), nullable=False),
        sa.Column("rubric_id", sa.String(length=100), nullable=False),
        sa.Column("rubric_version", sa.Integer(), nullable=False),
        sa.Column("scorer_version", sa.String(length=100), nullable=False),
        sa.Column("input_key", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("record_seq", sa.BigInteger(), nullable=False),
        sa.Column("scored_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("conversation_key", "rubric_hash", name=op.f("pk_autoqa_scores")),
    )
    with op.batch_alter_table("autoqa_scores", schema=None) as batch_op:
        batch_op.create_index("ix_autoqa_scores_score", ["rubric_hash", "score"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("autoqa_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_autoqa_scores_score")

    op.drop_table("autoqa_scores")
    with op.batch_alter_table("autoqa_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_autoqa_flags_conversation_key")

    op.drop_table("autoqa_flags")
    op.drop_table("autoqa_criteria")
