"""AutoQA in the lists: an index on the automatic score alone (issue 16)

The conversation list filters by AutoQA score whatever the rubric; the (rubric hash, score)
index cannot serve that.

Revision ID: 0021
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("autoqa_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_autoqa_scores_score_only", ["score", "conversation_key"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("autoqa_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_autoqa_scores_score_only")
