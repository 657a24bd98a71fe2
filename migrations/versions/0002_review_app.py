"""review app: accounts, the review queue, drafts and the review projections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:48:50.652104
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_login_failures_remote_addr", ["remote_addr", "at"], unique=False)
        batch_op.create_index("ix_login_failures_username", ["username", "at"], unique=False)

    op.create_table(
        "review_rubrics",
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("rubric_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("first_used_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("content_hash", name=op.f("pk_review_rubrics")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("participant_id", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("disabled_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "conversation_facts",
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("primary_agent", sa.String(length=200), nullable=True),
        sa.Column("agents", sa.Text(), nullable=False),
        sa.Column("staff", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=200), nullable=True),
        sa.Column("intents", sa.Text(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("transferred", sa.Boolean(), nullable=False),
        sa.Column("csat", sa.Float(), nullable=True),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("first_event_at", sa.String(length=32), nullable=True),
        sa.Column("last_event_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_key"],
            ["conversations.conversation_key"],
            name=op.f("fk_conversation_facts_conversation_key_conversations"),
        ),
        sa.PrimaryKeyConstraint("conversation_key", name=op.f("pk_conversation_facts")),
    )
    with op.batch_alter_table("conversation_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_facts_last_event_at", ["last_event_at"], unique=False
        )

    op.create_table(
        "review_comments",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("review_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("message_seq", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_key"],
            ["conversations.conversation_key"],
            name=op.f("fk_review_comments_conversation_key_conversations"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_review_comments")),
    )
    with op.batch_alter_table("review_comments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_comments_conversation_key", ["conversation_key", "seq"], unique=False
        )

    op.create_table(
        "review_samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("rubric_hash", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_review_samples_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["rubric_hash"],
            ["review_rubrics.content_hash"],
            name=op.f("fk_review_samples_rubric_hash_review_rubrics"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_samples")),
    )
    op.create_table(
        "reviews",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("review_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("agent_id", sa.String(length=200), nullable=True),
        sa.Column("rubric_hash", sa.String(length=64), nullable=False),
        sa.Column("rubric_id", sa.String(length=100), nullable=False),
        sa.Column("rubric_version", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.String(length=32), nullable=False),
        sa.Column("supersedes_seq", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_key"],
            ["conversations.conversation_key"],
            name=op.f("fk_reviews_conversation_key_conversations"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_reviews")),
        sa.UniqueConstraint("review_id", "version", name="uq_reviews_review_id"),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index("ix_reviews_agent_id", ["agent_id", "submitted_at"], unique=False)
        batch_op.create_index(
            "ix_reviews_conversation_key", ["conversation_key", "seq"], unique=False
        )

    op.create_table(
        "coaching_examples",
        sa.Column("review_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("criterion_id", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_key"],
            ["conversations.conversation_key"],
            name=op.f("fk_coaching_examples_conversation_key_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["review_seq"], ["reviews.seq"], name=op.f("fk_coaching_examples_review_seq_reviews")
        ),
        sa.PrimaryKeyConstraint("review_seq", "position", name=op.f("pk_coaching_examples")),
    )
    with op.batch_alter_table("coaching_examples", schema=None) as batch_op:
        batch_op.create_index("ix_coaching_examples_criterion_id", ["criterion_id"], unique=False)

    op.create_table(
        "review_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("review_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("rubric_hash", sa.String(length=64), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("reassign_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_key"],
            ["conversations.conversation_key"],
            name=op.f("fk_review_assignments_conversation_key_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_review_assignments_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["review_assignments.id"],
            name=op.f("fk_review_assignments_previous_id_review_assignments"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_review_assignments_reviewer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["rubric_hash"],
            ["review_rubrics.content_hash"],
            name=op.f("fk_review_assignments_rubric_hash_review_rubrics"),
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["review_samples.id"],
            name=op.f("fk_review_assignments_sample_id_review_samples"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignments")),
        sa.UniqueConstraint("review_id", name="uq_review_assignments_review_id"),
    )
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_assignments_conversation_key", ["conversation_key"], unique=False
        )
        batch_op.create_index(
            "ix_review_assignments_reviewer_id", ["reviewer_id", "status"], unique=False
        )

    op.create_table(
        "review_scores",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("criterion_id", sa.String(length=100), nullable=False),
        sa.Column("section_id", sa.String(length=100), nullable=False),
        sa.Column("rating", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["seq"], ["reviews.seq"], name=op.f("fk_review_scores_seq_reviews")
        ),
        sa.PrimaryKeyConstraint("seq", "criterion_id", name=op.f("pk_review_scores")),
    )
    op.create_table(
        "review_drafts",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["review_assignments.id"],
            name=op.f("fk_review_drafts_assignment_id_review_assignments"),
        ),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_review_drafts")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("review_drafts")
    op.drop_table("review_scores")
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_review_assignments_reviewer_id")
        batch_op.drop_index("ix_review_assignments_conversation_key")

    op.drop_table("review_assignments")
    with op.batch_alter_table("coaching_examples", schema=None) as batch_op:
        batch_op.drop_index("ix_coaching_examples_criterion_id")

    op.drop_table("coaching_examples")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_conversation_key")
        batch_op.drop_index("ix_reviews_agent_id")

    op.drop_table("reviews")
    op.drop_table("review_samples")
    with op.batch_alter_table("review_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_review_comments_conversation_key")

    op.drop_table("review_comments")
    with op.batch_alter_table("conversation_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_facts_last_event_at")

    op.drop_table("conversation_facts")
    op.drop_table("users")
    op.drop_table("review_rubrics")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_username")
        batch_op.drop_index("ix_login_failures_remote_addr")

    op.drop_table("login_failures")
