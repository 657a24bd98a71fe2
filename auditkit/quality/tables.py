"""Tables of review quality: calibration sessions, disputes and grader spot-checks.

Defined on the shared ``metadata`` so Alembic sees them. ``calibration_scores`` and
``calibration_ratings`` are projections of ``calibration`` records, ``grader_checks`` of
``review.grader_check`` records; ``disputes`` holds each dispute's current state, every step
of which is a ``review.dispute`` record. Sessions, their conversations and participants are
operational state, each change also recorded.
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
)

from auditkit.db.metadata import metadata

calibration_sessions = Table(
    "calibration_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("rubric_hash", String(64), ForeignKey("review_rubrics.content_hash"), nullable=False),
    Column("facilitator_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("status", String(20), nullable=False),  # open | closed
    Column("created_at", String(32), nullable=False),
    Column("closed_at", String(32), nullable=True),
    Column("record_seq", BigInteger, nullable=False),
)

calibration_conversations = Table(
    "calibration_conversations",
    metadata,
    Column("session_id", Integer, ForeignKey("calibration_sessions.id"), primary_key=True),
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        primary_key=True,
    ),
    Column("position", Integer, nullable=False),
)

calibration_participants = Table(
    "calibration_participants",
    metadata,
    Column("session_id", Integer, ForeignKey("calibration_sessions.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
)

calibration_scores = Table(
    "calibration_scores",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("session_id", Integer, ForeignKey("calibration_sessions.id"), nullable=False),
    Column("conversation_key", String(200), nullable=False),
    Column("scorer", String(100), nullable=False),
    Column("baseline", Boolean, nullable=False),  # the facilitator's reference answer
    Column("score", Float, nullable=True),
    Column("submitted_at", String(32), nullable=False),
)
Index("ix_calibration_scores_session_id", calibration_scores.c.session_id)

calibration_ratings = Table(
    "calibration_ratings",
    metadata,
    Column(
        "seq",
        BigInteger,
        ForeignKey("calibration_scores.seq"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("criterion_id", String(100), primary_key=True),
    Column("rating", String(10), nullable=False),
    Column("score", Float, nullable=True),
)

disputes = Table(
    "disputes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("review_id", String(36), nullable=False),
    Column("review_seq", BigInteger, nullable=False),  # the version contested
    Column("conversation_key", String(200), nullable=False),
    Column("reviewer", String(100), nullable=False),
    Column("opened_by", String(100), nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("opened_seq", BigInteger, nullable=False),
    Column("comment", Text, nullable=False),
    Column("proposed", Text, nullable=False),  # JSON: criterion id -> proposed rating
    Column("status", String(20), nullable=False),  # open | accepted | partially_accepted | rejected
    Column("response", Text, nullable=True),
    Column("resolved_at", String(32), nullable=True),
    Column("resolved_seq", BigInteger, nullable=True),
    Column("result_seq", BigInteger, nullable=True),  # the new review version, if any
)
Index("ix_disputes_status", disputes.c.status, disputes.c.reviewer)
Index("ix_disputes_review_id", disputes.c.review_id)

grader_checks = Table(
    "grader_checks",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("review_seq", BigInteger, nullable=False),
    Column("reviewer", String(100), nullable=False),
    Column("checker", String(100), nullable=False),
    Column("verdict", String(20), nullable=False),  # too_high | too_low | right
    Column("root_cause", String(40), nullable=False),
    Column("note", Text, nullable=False),
    Column("checked_at", String(32), nullable=False),
)
Index("ix_grader_checks_reviewer", grader_checks.c.reviewer)

QUALITY_PROJECTION_TABLES = ("calibration_scores", "calibration_ratings", "grader_checks")

# --- saved sampling rules and their draws (run by `auditkit sample run-rules`) -------------

sampling_rules = Table(
    "sampling_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("request", Text, nullable=False),  # JSON: the sampling form, periods relative
    Column("active", Boolean, nullable=False),
)

sampling_rule_runs = Table(
    "sampling_rule_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_id", Integer, ForeignKey("sampling_rules.id"), nullable=False),
    Column("ran_on", String(10), nullable=False),  # YYYY-MM-DD (UTC): one draw a day
    Column("ran_at", String(32), nullable=False),
    Column("sample_id", Integer, ForeignKey("review_samples.id"), nullable=True),
    Column("eligible", Integer, nullable=False),
    Column("assigned", Integer, nullable=False),
    Column("outcome", Text, nullable=False),  # "drawn", or why nothing was drawn
)
Index("ix_sampling_rule_runs_rule_id", sampling_rule_runs.c.rule_id, sampling_rule_runs.c.ran_on)

# --- read state of @mentions, per user (operational: reading is not a decision) -----------

mention_reads = Table(
    "mention_reads",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("comment_seq", BigInteger, primary_key=True),  # the review.comment record
    Column("read_at", String(32), nullable=False),
)

# "Mark all read": every mention up to this comment seq is read; only later ones are counted.
mention_read_marks = Table(
    "mention_read_marks",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("read_through_seq", BigInteger, nullable=False),
    Column("read_at", String(32), nullable=False),
)
