"""Keep the ``conversation_metrics`` query table up to date with the log."""

from __future__ import annotations

from typing import Any

from auditkit.ledger.records import format_time
from auditkit.metrics import ConversationMetrics, compute_metrics
from auditkit.services.conversations import load_conversations
from auditkit.services.installation import Installation
from auditkit.storage import metrics_store
from auditkit.storage.db import read_transaction
from auditkit.storage.review_store import operational_transaction

PAGE = 500


def metrics_row(metrics: ConversationMetrics) -> dict[str, Any]:
    """The ``conversation_metrics`` row of one conversation's metrics."""
    return {
        "conversation_key": metrics.conversation_key,
        "last_seq": metrics.last_seq,
        "channel": metrics.channel,
        "first_response_seconds": metrics.first_meaningful_response_seconds,
        "resolution_seconds": metrics.resolution_seconds,
        "sessions": metrics.sessions,
        "reopens": metrics.reopens,
        "transfers": metrics.transfers,
        "escalations": metrics.escalations,
        "resolved": metrics.resolved,
        "contained": metrics.contained,
        "csat": metrics.csat,
        "first_event_at": format_time(metrics.first_event_at) if metrics.first_event_at else None,
        "last_event_at": format_time(metrics.last_event_at) if metrics.last_event_at else None,
    }


def refresh_metrics(installation: Installation, *, page: int = PAGE) -> int:
    """Recompute the metrics of every conversation changed since they were last computed.

    Returns how many conversations were refreshed. Sealed messages are opened with the
    master key so canned acknowledgements are recognised; erased text counts as substance.
    """
    installation.require_schema()
    master = installation.master_key()
    refreshed = 0
    while True:
        with read_transaction(installation.engine) as conn:
            keys = metrics_store.stale_metric_keys(conn, limit=page)
            if not keys:
                return refreshed
            rows = [
                metrics_row(compute_metrics(c))
                for c in load_conversations(conn, keys, master=master)
            ]
        with operational_transaction(installation.engine) as conn:
            metrics_store.replace_metrics(conn, rows)
        refreshed += len(rows)
