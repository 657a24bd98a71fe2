"""The database schema: the append-only log tables and the query-table projections."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# --- the log: append-only, guarded by triggers -------------------------------------------

log_entries = Table(
    "log_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(64), nullable=False),
    Column("conversation_key", String(200), nullable=True),
    # ISO 8601 UTC with microseconds and "Z": sorts as text on every dialect.
    Column("recorded_at", String(32), nullable=False),
    Column("occurred_at", String(32), nullable=False),
    Column("entry", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
)
Index("ix_log_entries_conversation_key", log_entries.c.conversation_key, log_entries.c.seq)
Index("ix_log_entries_occurred_at", log_entries.c.occurred_at)

merkle_nodes = Table(
    "merkle_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("key_id", String(8), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("verifier_key", String(300), nullable=False),
    Column("created_at", String(32), nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("key_id", String(8), ForeignKey("signing_keys.key_id"), nullable=False),
    Column("note", Text, nullable=False),
)

APPEND_ONLY_TABLES = ("log_entries", "merkle_nodes", "signing_keys", "checkpoints")

# --- projections: rebuilt from the log, checked by `auditkit verify` ----------------------

conversations = Table(
    "conversations",
    metadata,
    Column("conversation_key", String(200), primary_key=True),
    Column("channel", String(100), nullable=False),
    Column("customer", String(200), nullable=False),
    Column("segment", String(200), nullable=True),
    Column("opened_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("event_count", Integer, nullable=False),
    Column("first_event_at", String(32), nullable=True),
    Column("last_event_at", String(32), nullable=True),
)

participants = Table(
    "participants",
    metadata,
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        primary_key=True,
    ),
    Column("participant_id", String(200), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("name", String(200), nullable=True),
    Column("team", String(200), nullable=True),
)

conversation_events = Table(
    "conversation_events",
    metadata,
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        primary_key=True,
    ),
    # The event's identity for idempotent re-import (source id or content digest).
    Column("event_key", String(200), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        nullable=False,
    ),
    Column("kind", String(20), nullable=False),
    Column("author", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("at", String(32), nullable=False),
    Column("text", Text, nullable=False),
)
Index("ix_messages_conversation_key", messages.c.conversation_key, messages.c.seq)

PROJECTION_TABLES = ("conversations", "participants", "conversation_events", "messages")

# --- sealing: per-subject data keys and legal holds ----------------------------------------

# Mutable on purpose: erasure destroys a subject's wrapped key (crypto-shredding).
subject_keys = Table(
    "subject_keys",
    metadata,
    Column("subject", String(200), primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("master_key_id", String(16), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("erased_at", String(32), nullable=True),
    Column("erasure_seq", BigInteger, nullable=True),
)

legal_holds = Table(
    "legal_holds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(200), nullable=True),
    Column("conversation_key", String(200), nullable=True),
    Column("reason", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("hold_seq", BigInteger, nullable=False),
    Column("released_at", String(32), nullable=True),
    Column("released_by", String(200), nullable=True),
    Column("release_seq", BigInteger, nullable=True),
)
Index("ix_legal_holds_subject", legal_holds.c.subject)
Index("ix_legal_holds_conversation_key", legal_holds.c.conversation_key)
Index("ix_conversations_customer", conversations.c.customer)

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

# --- PII findings: which messages each detector version has scanned, and what it found ------

pii_scans = Table(
    "pii_scans",
    metadata,
    Column("message_seq", BigInteger, primary_key=True, autoincrement=False),
    # DETECTOR_VERSION:config_hash: a new detector or configuration rescans everything.
    Column("detector_key", String(120), primary_key=True),
    Column("conversation_key", String(200), nullable=False),
    Column("record_seq", BigInteger, nullable=False),
    Column("finding_count", Integer, nullable=False),
)

pii_findings = Table(
    "pii_findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_seq", BigInteger, nullable=False),
    Column("detector_key", String(120), nullable=False),
    Column("conversation_key", String(200), nullable=False),
    Column("entity_type", String(50), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("recognizer", String(100), nullable=False),
    Column("record_seq", BigInteger, nullable=False),
)
Index("ix_pii_findings_message", pii_findings.c.message_seq, pii_findings.c.detector_key)
Index("ix_pii_findings_conversation_key", pii_findings.c.conversation_key)

restricted_findings = Table(
    "restricted_findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_key", String(200), nullable=False),
    Column("detector_key", String(120), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("entity_type", String(50), nullable=False),
    Column("message_seq", BigInteger, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("rule", String(100), nullable=False),
    Column("record_seq", BigInteger, nullable=False),
)
Index("ix_restricted_findings_conversation_key", restricted_findings.c.conversation_key)
