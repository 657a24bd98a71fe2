"""Rows of the ``conversation_metrics`` query table, and the reads reports and sampling make."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from auditkit.ledger.projections.derived_store import stale_conversation_keys
from auditkit.ledger.tables import conversations, participants
from auditkit.metrics.tables import conversation_metrics


def stale_metric_keys(conn: Connection, *, limit: int) -> list[str]:
    """Conversations whose metrics are missing or older than their last event."""
    return stale_conversation_keys(conn, conversation_metrics, limit=limit)


def replace_metrics(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store the metrics of some conversations, replacing older rows.

    An upsert that keeps a row computed from a later seq: two writers refreshing the same
    conversation at once (a webhook group and a page view) neither collide on the key nor
    put older metrics back.
    """
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(conversation_metrics)
    columns = [c.name for c in conversation_metrics.columns if c.name != "conversation_key"]
    statement = statement.on_conflict_do_update(
        index_elements=[conversation_metrics.c.conversation_key],
        set_={name: statement.excluded[name] for name in columns},
        where=conversation_metrics.c.last_seq <= statement.excluded.last_seq,
    )
    conn.execute(statement, [dict(row) for row in rows])


def metrics_row(conn: Connection, key: str) -> tuple[dict[str, Any] | None, int | None]:
    """A conversation's stored metrics row (or None) and its last seq (None if unknown)."""
    query = (
        select(conversations.c.last_seq, conversation_metrics)
        .select_from(
            conversations.outerjoin(
                conversation_metrics,
                conversation_metrics.c.conversation_key == conversations.c.conversation_key,
            )
        )
        .where(conversations.c.conversation_key == key)
    )
    found = conn.execute(query).first()
    if found is None:
        return None, None
    values = found._mapping
    last_seq = int(values[conversations.c.last_seq])
    if values[conversation_metrics.c.conversation_key] is None:
        return None, last_seq
    return {c.name: values[c] for c in conversation_metrics.columns}, last_seq


def keys_matching(
    conn: Connection,
    *,
    first_response_over: float | None = None,
    contained: bool | None = None,
    min_sessions: int | None = None,
) -> set[str]:
    """Conversations whose metrics meet every condition given (``None``: no condition).

    ``first_response_over`` is in seconds; a conversation no human answered has no first
    response and never matches it.
    """
    table = conversation_metrics
    query = select(table.c.conversation_key)
    if first_response_over is not None:
        query = query.where(table.c.first_response_seconds > first_response_over)
    if contained is not None:
        query = query.where(table.c.contained.is_(contained))
    if min_sessions is not None:
        query = query.where(table.c.sessions >= min_sessions)
    return {key for (key,) in conn.execute(query).tuples()}


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
