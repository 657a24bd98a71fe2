"""Tables of privacy: legal holds (operational state; every hold is also a record)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
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
