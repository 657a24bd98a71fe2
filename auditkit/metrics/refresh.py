"""Keep the ``conversation_metrics`` query table up to date with the log, and read it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from auditkit.db import Connection, operational_transaction
from auditkit.db.engine import read_transaction
from auditkit.errors import NotFound
from auditkit.ledger.conversation import LedgerConversation
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import format_time, parse_time
from auditkit.ledger.sealing.cipher import MasterKey, sealed_subject
from auditkit.ledger.sealing.data_keys import DataKeys, unseal_mapping
from auditkit.metrics import store as metrics_store
from auditkit.metrics.measures import (
    ConversationMetrics,
    compute_metrics,
    is_acknowledgement,
    staff_replies,
)

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


def metrics_from_row(row: Mapping[str, Any]) -> ConversationMetrics:
    """The metrics value of a stored ``conversation_metrics`` row."""
    first, last = row["first_event_at"], row["last_event_at"]
    return ConversationMetrics(
        conversation_key=row["conversation_key"],
        last_seq=int(row["last_seq"]),
        channel=row["channel"],
        first_meaningful_response_seconds=row["first_response_seconds"],
        resolution_seconds=row["resolution_seconds"],
        sessions=int(row["sessions"]),
        reopens=int(row["reopens"]),
        transfers=int(row["transfers"]),
        escalations=int(row["escalations"]),
        resolved=bool(row["resolved"]),
        contained=bool(row["contained"]),
        csat=row["csat"],
        first_event_at=parse_time(first) if first else None,
        last_event_at=parse_time(last) if last else None,
    )


def refresh_metrics(installation: Installation, *, page: int = PAGE) -> int:
    """Recompute the metrics of every conversation changed since they were last computed.

    Returns how many were recomputed. Sealed messages are opened with the master key so
    canned acknowledgements are recognised; erased text counts as substance.
    """
    installation.require_schema()
    master = installation.master_key()
    refreshed = 0
    while True:
        with read_transaction(installation.engine) as conn:
            stale = metrics_store.stale_metric_keys(conn, limit=page)
        if not stale:
            return refreshed
        _recompute(installation, stale, master=master)
        refreshed += len(stale)


def refresh_conversations(
    installation: Installation, keys: Sequence[str], *, page: int = PAGE
) -> int:
    """Recompute the metrics of exactly ``keys``, for an appender that knows what it changed.

    Finding stale rows scans every conversation and checking the schema reads the
    migration scripts; an appender has just written to the schema and knows its
    conversations, so it skips both.
    """
    wanted = list(dict.fromkeys(keys))
    master = installation.master_key()
    for start in range(0, len(wanted), page):
        _recompute(installation, wanted[start : start + page], master=master)
    return len(wanted)


def store_metrics(installation: Installation, computed: Sequence[ConversationMetrics]) -> int:
    """Store metrics an appender computed from the records it has just committed (their
    clear bodies in hand), so they need not be read back, decoded and opened again."""
    with operational_transaction(installation.engine) as conn:
        metrics_store.replace_metrics(conn, [metrics_row(m) for m in computed])
    return len(computed)


def conversation_metrics(installation: Installation, key: str) -> ConversationMetrics:
    """One conversation's metrics from the table, recomputed first if missing or stale.

    Raises :class:`NotFound` for an unknown conversation.
    """
    installation.require_schema()
    with read_transaction(installation.engine) as conn:
        row, last_seq = metrics_store.metrics_row(conn, key)
    if last_seq is None:
        raise NotFound(f"unknown conversation: {key}")
    if row is not None and int(row["last_seq"]) >= last_seq:
        return metrics_from_row(row)
    return _recompute(installation, [key], master=installation.master_key())[0]


def _recompute(
    installation: Installation, keys: Sequence[str], *, master: MasterKey | None
) -> list[ConversationMetrics]:
    """Compute ``keys`` from one snapshot of the log and store them, outside any append."""
    with read_transaction(installation.engine) as conn:
        computed = [compute_metrics(c) for c in metrics_conversations(conn, keys, master=master)]
    with operational_transaction(installation.engine) as conn:
        metrics_store.replace_metrics(conn, [metrics_row(m) for m in computed])
    return computed


def metrics_conversations(
    conn: Connection, keys: Sequence[str], *, master: MasterKey | None
) -> list[LedgerConversation]:
    """The conversations ``keys`` with the sealed text :func:`compute_metrics` reads opened.

    The metrics read one sealed field: the text of human staff messages after the
    customer's first message, to tell a canned acknowledgement from substance. Opening
    every body of every conversation was most of the cost of a refresh, so each
    conversation opens those messages in order only until one is not an acknowledgement,
    with every data key of the page unwrapped after one query. The metrics equal those of
    the fully opened conversation (tests/integration/test_metrics_refresh.py checks it).
    """
    conversations = load_conversations(conn, keys)  # bodies as stored, sealed parts closed
    if master is None:
        return conversations
    replies = {c.key: staff_replies(c) for c in conversations}
    data_keys = DataKeys(conn, master)
    data_keys.load(
        subject
        for events in replies.values()
        for event in events
        if (subject := sealed_subject(event.body)) is not None
    )
    opened_conversations = []
    for conversation in conversations:
        opened: dict[int, dict[str, Any]] = {}
        for event in replies[conversation.key]:
            body = unseal_mapping(
                event.kind, event.body, seq=event.seq, conversation=conversation.key, keys=data_keys
            )
            opened[event.seq] = body
            if not is_acknowledgement(str(body.get("text", ""))):
                break
        events = tuple(
            replace(e, body=opened[e.seq]) if e.seq in opened else e for e in conversation.events
        )
        opened_conversations.append(replace(conversation, events=events))
    return opened_conversations
