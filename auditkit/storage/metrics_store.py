"""Rows of the ``conversation_metrics`` query table, and the reads reports make of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from auditkit.storage.derived import replace_conversation_rows, stale_conversation_keys
from auditkit.storage.report_tables import conversation_metrics
from auditkit.storage.tables import participants

CHUNK = 500


def stale_metric_keys(conn: Connection, *, limit: int) -> list[str]:
    """Conversations whose metrics are missing or older than their last event."""
    return stale_conversation_keys(conn, conversation_metrics, limit=limit)


def replace_metrics(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store the metrics of some conversations, replacing what was there."""
    replace_conversation_rows(conn, conversation_metrics, rows)


def metrics_rows(
    conn: Connection,
    *,
    keys: Sequence[str] | None = None,
    agent: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[dict[str, Any]]:
    """Metrics rows, optionally of some conversations, an agent's, or those active in a period."""
    query = select(conversation_metrics).order_by(conversation_metrics.c.conversation_key)
    if keys is not None:
        query = query.where(conversation_metrics.c.conversation_key.in_(list(keys)))
    if agent is not None:
        query = query.where(
            conversation_metrics.c.conversation_key.in_(
                select(participants.c.conversation_key).where(
                    participants.c.participant_id == agent, participants.c.role == "agent"
                )
            )
        )
    if since is not None:
        query = query.where(conversation_metrics.c.last_event_at >= since)
    if until is not None:
        query = query.where(conversation_metrics.c.first_event_at < until)
    return [dict(row._mapping) for row in conn.execute(query)]
