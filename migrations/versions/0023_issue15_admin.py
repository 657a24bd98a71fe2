"""four-eyes erasure requests, read state of @mentions, erased assignments leave the queues (issue 15)

Revision ID: 0023
Revises: 0015

- ``erasure_requests``: where each four-eyes erasure request stands (every step is also a
  record: ``erasure.requested``, ``erasure.approved``, ``erasure.rejected``, ``erasure``).
- ``mention_reads`` and ``mention_read_marks``: which @mentions each user has read.
- Data: erasure now closes the open assignments of the erased conversations in its own
  transaction (the review feature's eraser); before, every queue and workspace view did it
  as a write. This closes, once, the open assignments of conversations erased before this
  revision, exactly as the eraser does (status ``erased``, the erasure's record in the reason,
  the draft dropped). Running it again finds nothing left to close.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.String(length=32), nullable=False),
        sa.Column("request_seq", sa.BigInteger(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.String(length=32), nullable=True),
        sa.Column("decision_seq", sa.BigInteger(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("carried_out_by", sa.String(length=200), nullable=True),
        sa.Column("carried_out_at", sa.String(length=32), nullable=True),
        sa.Column("erasure_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_requests")),
    )
    op.create_index("ix_erasure_requests_subject", "erasure_requests", ["subject"], unique=False)
    op.create_index("ix_erasure_requests_status", "erasure_requests", ["status"], unique=False)
    op.create_table(
        "mention_reads",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("comment_seq", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mention_reads_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "comment_seq", name=op.f("pk_mention_reads")),
    )
    op.create_table(
        "mention_read_marks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_through_seq", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mention_read_marks_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mention_read_marks")),
    )
    withdraw_erased_assignments(op.get_bind())


def withdraw_erased_assignments(conn: sa.Connection) -> int:
    """Close the open assignments of conversations whose customer was erased; how many."""
    now = datetime.now(UTC).isoformat(timespec="microseconds")[:-6] + "Z"
    rows = conn.execute(
        sa.text(
            "SELECT a.id, k.erasure_seq FROM review_assignments a"
            " JOIN conversations c ON c.conversation_key = a.conversation_key"
            " JOIN subject_keys k ON k.subject = c.customer"
            " WHERE a.status = 'open' AND k.erased_at IS NOT NULL"
        )
    ).all()
    for assignment_id, erasure_seq in rows:
        conn.execute(
            sa.text("DELETE FROM review_drafts WHERE assignment_id = :id"), {"id": assignment_id}
        )
        conn.execute(
            sa.text(
                "UPDATE review_assignments SET status = 'erased', closed_at = :at,"
                " reassign_reason = :reason WHERE id = :id AND status = 'open'"
            ),
            {
                "id": assignment_id,
                "at": now,
                "reason": f"conversation erased (erasure record {erasure_seq})",
            },
        )
    return len(rows)


def downgrade() -> None:
    """Revert this revision (closed assignments stay closed: they are the trail)."""
    op.drop_table("mention_read_marks")
    op.drop_table("mention_reads")
    op.drop_index("ix_erasure_requests_status", table_name="erasure_requests")
    op.drop_index("ix_erasure_requests_subject", table_name="erasure_requests")
    op.drop_table("erasure_requests")
