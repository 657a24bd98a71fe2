"""Tables of live ingestion: webhook payloads that were refused, kept for inspection.

They sit on the one shared :data:`auditkit.ledger.tables.metadata`. They are operational
state, not part of the log: a refused payload appended nothing, and an operator may clear
old rows.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, SmallInteger, String, Table, Text

from auditkit.db.metadata import metadata

webhook_rejections = Table(
    "webhook_rejections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # ISO 8601 UTC with microseconds and "Z", as everywhere else.
    Column("received_at", String(32), nullable=False),
    Column("source", String(64), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),
)
Index("ix_webhook_rejections_received_at", webhook_rejections.c.received_at)
