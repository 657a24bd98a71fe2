"""Tables of the ledger: the append-only log, its Merkle nodes, keys and checkpoints, the
conversation projections rebuilt from it, and the per-subject data keys of sealing."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
)

from auditkit.db.metadata import metadata

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

# Public fingerprints of the installation's secrets that are not the signing keys (the
# event-digest key): one row per purpose, so a lost or swapped secret is refused, never
# silently replaced (a new event-digest key would make re-imports append events twice).
installation_keys = Table(
    "installation_keys",
    metadata,
    Column("purpose", String(40), primary_key=True),
    Column("key_id", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
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
# Staff named by participant id across conversations (dashboard, reports): migration 0019.
Index("ix_participants_participant_id", participants.c.participant_id)

# Who works the conversations, small: each distinct (id, role, name, team) of a participant
# who is not the customer, with "" for no name or no team (a key column cannot be NULL).
# Kept as participants are written and as erasure re-derives their names, so the staff menus,
# the agents list and the dashboard read O(staff) rows, not one per conversation (0026).
staff_participants = Table(
    "staff_participants",
    metadata,
    Column("participant_id", String(200), primary_key=True),
    Column("role", String(20), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("team", String(200), primary_key=True),
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

# One compact row per conversation: what the whole-conversation evaluators (checks, AutoQA)
# read instead of decoding and unsealing every record (auditkit.ledger.projections.timelines).
conversation_timelines = Table(
    "conversation_timelines",
    metadata,
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        primary_key=True,
    ),
    Column("last_seq", BigInteger, nullable=False),
    Column("timeline", Text, nullable=False),
)

PROJECTION_TABLES = (
    "conversations",
    "participants",
    "staff_participants",
    "conversation_events",
    "messages",
)

# --- sealing: per-subject data keys ----------------------------------------

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

Index("ix_conversations_customer", conversations.c.customer)
