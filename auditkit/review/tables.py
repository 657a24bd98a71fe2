"""Tables of the review app: the review queue, drafts, and the review projections.

Defined on the shared ``metadata`` so Alembic sees them. ``reviews``, ``review_scores``,
``review_comments`` and ``coaching_examples`` are projections of ``review`` and
``review.comment`` records (rebuildable from the log); ``conversation_facts`` is a cache
derived from conversation records, refreshed by seq watermark. The rest is operational
state (assignments, drafts) that the log does not hold.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

import auditkit.accounts.tables  # noqa: F401  (users, the target of the foreign keys below)
from auditkit.db.metadata import metadata

# --- sampling facts (a cache of what the log says about each conversation) ----------------

conversation_facts = Table(
    "conversation_facts",
    metadata,
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        primary_key=True,
    ),
    Column("last_seq", BigInteger, nullable=False),
    Column("channel", String(100), nullable=False),
    Column("primary_agent", String(200), nullable=True),
    Column("agents", Text, nullable=False),  # JSON list of participant ids
    Column("staff", Text, nullable=False),  # JSON list: agents, supervisors (for own-work checks)
    Column("intent", String(200), nullable=True),  # the first: the stratum
    Column("intents", Text, nullable=False),  # JSON list: all, for rubrics' applies_to
    Column("escalated", Boolean, nullable=False),
    Column("reopened", Boolean, nullable=False),
    Column("transferred", Boolean, nullable=False),
    Column("csat", Float, nullable=True),  # score / scale, 0-1
    Column("message_count", Integer, nullable=False),
    Column("duration_seconds", Integer, nullable=False),
    Column("first_event_at", String(32), nullable=True),
    Column("last_event_at", String(32), nullable=True),
)
Index("ix_conversation_facts_last_event_at", conversation_facts.c.last_event_at)

# --- the queue -----------------------------------------------------------------------------

review_rubrics = Table(
    "review_rubrics",
    metadata,
    Column("content_hash", String(64), primary_key=True),
    Column("rubric_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("document", Text, nullable=False),  # canonical JSON: what the hash covers
    Column("first_used_at", String(32), nullable=False),
)

review_samples = Table(
    "review_samples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", String(32), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("rubric_hash", String(64), ForeignKey("review_rubrics.content_hash"), nullable=False),
    Column("rule", Text, nullable=False),  # JSON: method, filters, size, seed
    Column("assigned", Integer, nullable=False),
)

review_assignments = Table(
    "review_assignments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("review_id", String(36), nullable=False),
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        nullable=False,
    ),
    Column("reviewer_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("rubric_hash", String(64), ForeignKey("review_rubrics.content_hash"), nullable=False),
    Column("sample_id", Integer, ForeignKey("review_samples.id"), nullable=True),
    Column("status", String(20), nullable=False),  # open | submitted | reassigned
    Column("due_on", String(10), nullable=False),  # YYYY-MM-DD
    Column("created_at", String(32), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("previous_id", Integer, ForeignKey("review_assignments.id"), nullable=True),
    Column("reassign_reason", Text, nullable=True),
    Column("closed_at", String(32), nullable=True),
    UniqueConstraint("review_id", name="uq_review_assignments_review_id"),
)
Index(  # a reviewer's queue in its shown order, read without a sort (migration 0019)
    "ix_review_assignments_queue",
    review_assignments.c.reviewer_id,
    review_assignments.c.status,
    review_assignments.c.due_on,
    review_assignments.c.id,
)
Index("ix_review_assignments_conversation_key", review_assignments.c.conversation_key)

review_drafts = Table(
    "review_drafts",
    metadata,
    Column("assignment_id", Integer, ForeignKey("review_assignments.id"), primary_key=True),
    Column("updated_at", String(32), nullable=False),
    Column("content", Text, nullable=False),  # JSON: ratings, notes, summary, examples
)

# --- projections of review records ---------------------------------------------------------

reviews = Table(
    "reviews",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("review_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("assignment_id", Integer, nullable=False),
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        nullable=False,
    ),
    Column("reviewer", String(100), nullable=False),
    Column("agent_id", String(200), nullable=True),
    Column("rubric_hash", String(64), nullable=False),
    Column("rubric_id", String(100), nullable=False),
    Column("rubric_version", Integer, nullable=False),
    Column("score", Float, nullable=True),
    Column("critical_failed", Boolean, nullable=False),
    Column("submitted_at", String(32), nullable=False),
    Column("supersedes_seq", BigInteger, nullable=True),
    UniqueConstraint("review_id", "version", name="uq_reviews_review_id"),
)
Index("ix_reviews_conversation_key", reviews.c.conversation_key, reviews.c.seq)
Index("ix_reviews_agent_id", reviews.c.agent_id, reviews.c.submitted_at)
Index("ix_reviews_submitted_at", reviews.c.submitted_at)

review_scores = Table(
    "review_scores",
    metadata,
    Column("seq", BigInteger, ForeignKey("reviews.seq"), primary_key=True, autoincrement=False),
    Column("criterion_id", String(100), primary_key=True),
    Column("section_id", String(100), nullable=False),
    Column("rating", String(10), nullable=False),
    Column("score", Float, nullable=True),
)

review_comments = Table(
    "review_comments",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("review_id", String(36), nullable=False),
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        nullable=False,
    ),
    Column("message_seq", BigInteger, nullable=False),
    Column("author", String(100), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
)
Index(
    "ix_review_comments_conversation_key", review_comments.c.conversation_key, review_comments.c.seq
)

coaching_examples = Table(
    "coaching_examples",
    metadata,
    Column(
        "review_seq", BigInteger, ForeignKey("reviews.seq"), primary_key=True, autoincrement=False
    ),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        nullable=False,
    ),
    Column("first_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("label", String(20), nullable=False),  # exemplary | needs_work
    Column("criterion_id", String(100), nullable=False),
    Column("note", Text, nullable=False),
    Column("agent_id", String(200), nullable=True),
)
Index("ix_coaching_examples_criterion_id", coaching_examples.c.criterion_id)

REVIEW_PROJECTION_TABLES = ("reviews", "review_scores", "review_comments", "coaching_examples")
