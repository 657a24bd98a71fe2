"""Tables of AutoQA: the latest automatic score per conversation and rubric, its criteria,
and reviewers' flags of wrong automatic levels. The history is in the log (``autoqa`` and
``autoqa.flag`` records); these are the latest results, kept apart from the human review
tables so that no human figure (queue, IQS, reports) can read an automatic one by mistake.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table, Text

import auditkit.ledger.tables  # noqa: F401  (conversations, the target of foreign keys)
from auditkit.db.metadata import metadata

autoqa_scores = Table(
    "autoqa_scores",
    metadata,
    Column("conversation_key", String(200), primary_key=True),
    Column("rubric_hash", String(64), primary_key=True),
    Column("rubric_id", String(100), nullable=False),
    Column("rubric_version", Integer, nullable=False),
    Column("scorer_version", String(100), nullable=False),
    # What the score was computed from: the conversation's last seq and its check results.
    Column("input_key", String(100), nullable=False),
    Column("score", Float, nullable=True),
    Column("confidence", Float, nullable=False),
    Column("critical_failed", Boolean, nullable=False),
    Column("signals", Text, nullable=False),  # JSON: the record's signals, messages, policies
    Column("record_seq", BigInteger, nullable=False),
    Column("scored_at", String(32), nullable=False),
)
Index("ix_autoqa_scores_score", autoqa_scores.c.rubric_hash, autoqa_scores.c.score)
# The conversation list filters by automatic score whatever the rubric (migration 0021).
Index("ix_autoqa_scores_score_only", autoqa_scores.c.score, autoqa_scores.c.conversation_key)

autoqa_criteria = Table(
    "autoqa_criteria",
    metadata,
    Column("conversation_key", String(200), primary_key=True),
    Column("rubric_hash", String(64), primary_key=True),
    Column("criterion_id", String(100), primary_key=True),
    Column("level", String(10), nullable=True),  # None: the scorer could not score it
    Column("score", Float, nullable=True),
    Column("confidence", Float, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON list of seqs
    Column("reason", Text, nullable=False),
)

autoqa_flags = Table(
    "autoqa_flags",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # the autoqa.flag record
    Column("conversation_key", String(200), nullable=False),
    Column("rubric_hash", String(64), nullable=False),
    Column("criterion_id", String(100), nullable=False),
    Column("autoqa_seq", BigInteger, nullable=False),  # the autoqa record flagged
    Column("level", String(10), nullable=True),  # the automatic level said to be wrong
    Column("flagged_by", String(100), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
)
Index("ix_autoqa_flags_conversation_key", autoqa_flags.c.conversation_key)
