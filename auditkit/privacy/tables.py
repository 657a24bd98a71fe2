"""Tables of privacy: legal holds and erasure requests (operational state; every hold and
every step of a request is also a record), and what the retention rules read of each
conversation (a cache of its records, refreshed by seq watermark)."""

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

# Four-eyes erasure: a compliance officer asks, a second one approves or rejects, then it is
# carried out. Each step is a record (``erasure.requested`` / ``.approved`` / ``.rejected``
# and the ``erasure`` itself); this row is where the request stands, for the screens.
erasure_requests = Table(
    "erasure_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(20), nullable=False),  # pending, approved, rejected, carried_out
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", String(32), nullable=False),
    Column("request_seq", BigInteger, nullable=False),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", String(32), nullable=True),
    Column("decision_seq", BigInteger, nullable=True),
    Column("decision_note", Text, nullable=True),
    Column("carried_out_by", String(200), nullable=True),
    Column("carried_out_at", String(32), nullable=True),
    Column("erasure_seq", BigInteger, nullable=True),
)
Index("ix_erasure_requests_subject", erasure_requests.c.subject)
Index("ix_erasure_requests_status", erasure_requests.c.status)

# What a retention run reads of each conversation: its customer (the data subject), channel
# and intents (the rules' inputs) and when it last closed (resolved and not reopened since;
# NULL while open). Derived from the compact timelines, refreshed by seq watermark when a
# run needs it (migration 0025): the run groups it by subject in one query.
retention_facts = Table(
    "retention_facts",
    metadata,
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        primary_key=True,
    ),
    Column("last_seq", BigInteger, nullable=False),
    Column("customer", String(200), nullable=False),
    Column("channel", String(100), nullable=False),
    Column("intents", Text, nullable=False),  # JSON list, as the conversation was opened
    Column("closed_at", String(32), nullable=True),
)
Index("ix_retention_facts_customer", retention_facts.c.customer)
