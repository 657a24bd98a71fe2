"""indexes for the web app's hot queries (issue 19)

Revision ID: 0019
Revises: 0017

- ``participants(participant_id)``: the dashboard and reports name staff by participant id
  across conversations; the primary key starts with the conversation, so without this every
  dashboard read scanned the whole table (``bench/README.md`` shows the plans).
- ``review_assignments(reviewer_id, status, due_on, id)``: a reviewer's queue in the order
  it is shown, read from the index without a sort; it replaces ``(reviewer_id, status)``,
  which is its prefix.
- ``reviews(submitted_at)``: the dashboard's period bounds and newest-first order.
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_participants_participant_id", "participants", ["participant_id"])
    op.drop_index("ix_review_assignments_reviewer_id", table_name="review_assignments")
    op.create_index(
        "ix_review_assignments_queue",
        "review_assignments",
        ["reviewer_id", "status", "due_on", "id"],
    )
    op.create_index("ix_reviews_submitted_at", "reviews", ["submitted_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_reviews_submitted_at", table_name="reviews")
    op.drop_index("ix_review_assignments_queue", table_name="review_assignments")
    op.create_index(
        "ix_review_assignments_reviewer_id", "review_assignments", ["reviewer_id", "status"]
    )
    op.drop_index("ix_participants_participant_id", table_name="participants")
