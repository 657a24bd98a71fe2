"""Tables of PII: which messages each detector version scanned, and what it found."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

import auditkit.ledger.tables  # noqa: F401  (conversations, the target of foreign keys)
from auditkit.db.metadata import metadata

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

# --- Keyed digests of customers' name parts: the floor masks them after erasure ------------

pii_name_digests = Table(
    "pii_name_digests",
    metadata,
    Column("conversation_key", String(200), primary_key=True),
    # HMAC-SHA256 (hex) of one folded, lower-case name part under a key derived from the
    # installation's master key: never the name, and useless without the master key.
    Column("digest", String(64), primary_key=True),
)
