"""Reads and writes for live ingestion: refused payloads, and event versions already recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, func, or_, select, tuple_

from auditkit.ledger.store import CHUNK
from auditkit.ledger.tables import conversation_events, log_entries
from auditkit.sources.tables import webhook_rejections


@dataclass(frozen=True)
class StoredRejection:
    """One row of ``webhook_rejections``."""

    id: int
    received_at: str
    source: str
    platform: str
    status: int
    reason: str
    body_sha256: str
    body: bytes


def insert_rejection(
    conn: Connection,
    *,
    received_at: str,
    source: str,
    platform: str,
    status: int,
    reason: str,
    body_sha256: str,
    body: bytes,
) -> None:
    """Keep a refused payload with why it was refused."""
    conn.execute(
        webhook_rejections.insert(),
        {
            "received_at": received_at,
            "source": source,
            "platform": platform,
            "status": status,
            "reason": reason,
            "body_sha256": body_sha256,
            "body": body,
        },
    )


def rejections(conn: Connection, *, limit: int = 100) -> list[StoredRejection]:
    """The most recent refused payloads, newest first."""
    rows = conn.execute(
        select(webhook_rejections).order_by(webhook_rejections.c.id.desc()).limit(limit)
    )
    return [
        StoredRejection(
            id=int(row.id),
            received_at=row.received_at,
            source=row.source,
            platform=row.platform,
            status=int(row.status),
            reason=row.reason,
            body_sha256=row.body_sha256,
            body=bytes(row.body),
        )
        for row in rows
    ]


def rejection_bodies(conn: Connection) -> list[tuple[int, bytes]]:
    """(id, body) of every kept refused payload (few: they expire)."""
    rows = conn.execute(select(webhook_rejections.c.id, webhook_rejections.c.body))
    return [(int(row_id), bytes(body)) for row_id, body in rows.tuples()]


def delete_rejections(conn: Connection, ids: Sequence[int]) -> None:
    """Forget these refused payloads."""
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start : start + CHUNK])
        conn.execute(delete(webhook_rejections).where(webhook_rejections.c.id.in_(part)))


def delete_rejections_before(conn: Connection, before: str) -> int:
    """Forget refused payloads received before ``before``; returns how many."""
    result = conn.execute(
        delete(webhook_rejections).where(webhook_rejections.c.received_at < before)
    )
    return int(result.rowcount or 0)


def rejection_count(conn: Connection) -> int:
    """How many refused payloads are kept."""
    return int(conn.execute(select(func.count()).select_from(webhook_rejections)).scalar() or 0)


def recorded_pairs(conn: Connection, wanted: Mapping[str, Sequence[str]]) -> set[tuple[str, str]]:
    """Which (conversation, event key) pairs of ``wanted`` (keys by conversation) are recorded."""
    pairs = sorted({(conversation, key) for conversation, keys in wanted.items() for key in keys})
    found: set[tuple[str, str]] = set()
    for start in range(0, len(pairs), CHUNK):
        part = pairs[start : start + CHUNK]
        rows = conn.execute(
            select(conversation_events.c.conversation_key, conversation_events.c.event_key).where(
                tuple_(conversation_events.c.conversation_key, conversation_events.c.event_key).in_(
                    part
                )
            )
        )
        found.update((conversation, key) for conversation, key in rows.tuples())
    return found


def event_versions(conn: Connection, conversation: str, key: str) -> list[tuple[int, bytes]]:
    """(seq, entry bytes) of the event ``key`` and of every correction of it (``key@…``),
    in seq order."""
    pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "@%"
    rows = conn.execute(
        select(log_entries.c.seq, log_entries.c.entry)
        .join(conversation_events, conversation_events.c.seq == log_entries.c.seq)
        .where(
            and_(
                conversation_events.c.conversation_key == conversation,
                or_(
                    conversation_events.c.event_key == key,
                    conversation_events.c.event_key.like(pattern, escape="\\"),
                ),
            )
        )
        .order_by(log_entries.c.seq)
    )
    return [(int(seq), bytes(entry)) for seq, entry in rows.tuples()]
