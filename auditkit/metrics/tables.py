"""The ``conversation_metrics`` query table: a cache of each conversation's metrics.

Derived from the conversation's records (``auditkit.metrics.measures``) and refreshed by seq
watermark (``last_seq``), like ``conversation_facts``; rebuildable from the log at any time.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table

from auditkit.db.metadata import metadata

conversation_metrics = Table(
    "conversation_metrics",
    metadata,
    Column(
        "conversation_key",
        String(200),
        ForeignKey("conversations.conversation_key"),
        primary_key=True,
    ),
    Column("last_seq", BigInteger, nullable=False),
    Column("channel", String(100), nullable=False),
    Column("first_response_seconds", Float, nullable=True),
    Column("resolution_seconds", Float, nullable=True),
    Column("sessions", Integer, nullable=False),
    Column("reopens", Integer, nullable=False),
    Column("transfers", Integer, nullable=False),
    Column("escalations", Integer, nullable=False),
    Column("resolved", Boolean, nullable=False),
    Column("contained", Boolean, nullable=False),
    Column("csat", Float, nullable=True),  # score / scale, 0-1
    Column("first_event_at", String(32), nullable=True),
    Column("last_event_at", String(32), nullable=True),
)
Index("ix_conversation_metrics_last_event_at", conversation_metrics.c.last_event_at)
