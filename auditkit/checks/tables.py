"""Tables of checks: the latest result per conversation and policy (history is in the log)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

import auditkit.ledger.tables  # noqa: F401  (conversations, the target of foreign keys)
from auditkit.db.metadata import metadata

# --- check results: the latest result per conversation and policy (history is in the log) --

check_results = Table(
    "check_results",
    metadata,
    Column("conversation_key", String(200), primary_key=True),
    Column("policy_id", String(200), primary_key=True),
    Column("policy_version", String(50), nullable=False),
    Column("policy_hash", String(64), nullable=False),
    # What the result was computed from: the conversation's last seq (and PII findings).
    Column("input_key", String(100), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("record_seq", BigInteger, nullable=False),
    Column("evaluated_at", String(32), nullable=False),
)
Index("ix_check_results_outcome", check_results.c.outcome, check_results.c.policy_id)

# --- how many policies each conversation fails now: kept by the checks' recording ----------
# One row per conversation with at least one failed latest result (none: it fails nothing),
# rewritten from ``check_results`` in the transaction that records new results. The list of
# conversations shows, filters and sorts by it without a count per row (migration 0025).
check_failure_counts = Table(
    "check_failure_counts",
    metadata,
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        primary_key=True,
    ),
    Column("failed", Integer, nullable=False),
)
Index("ix_check_failure_counts_failed", check_failure_counts.c.failed)

# --- per policy: how many latest results there are, evaluated and failed ------------------
# Adjusted by the checks' recording in the transaction that replaces results (each replaced
# result's old outcome taken off, its new one added), so the dashboard's policy figures and
# the findings menus read one row per policy, not every result (migration 0026).
policy_outcome_counts = Table(
    "policy_outcome_counts",
    metadata,
    Column("policy_id", String(200), primary_key=True),
    Column("results", Integer, nullable=False),
    Column("evaluated", Integer, nullable=False),  # outcome other than not_applicable
    Column("failed", Integer, nullable=False),
)
