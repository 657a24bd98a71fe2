"""Per-conversation derived tables (facts, metrics): find stale rows, replace them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, or_, select

from auditkit.db import operational_transaction
from auditkit.db.engine import read_transaction
from auditkit.ledger.tables import conversations

CHUNK = 500


def stale_conversation_keys(conn: Connection, table: Table, *, limit: int) -> list[str]:
    """Conversations whose row in ``table`` is missing or older than their last event."""
    query = (
        select(conversations.c.conversation_key)
        .select_from(
            conversations.outerjoin(
                table, table.c.conversation_key == conversations.c.conversation_key
            )
        )
        .where(
            or_(
                table.c.conversation_key.is_(None),
                table.c.last_seq < conversations.c.last_seq,
            )
        )
        .order_by(conversations.c.conversation_key)
        .limit(limit)
    )
    return [key for (key,) in conn.execute(query).tuples()]


def replace_conversation_rows(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Store rows of some conversations in ``table``, replacing what was there."""
    keys = [row["conversation_key"] for row in rows]
    for start in range(0, len(keys), CHUNK):
        part = keys[start : start + CHUNK]
        conn.execute(delete(table).where(table.c.conversation_key.in_(part)))
    if rows:
        conn.execute(insert(table), [dict(row) for row in rows])


def refresh_conversation_rows(
    engine: Engine,
    table: Table,
    rows_of: Callable[[Connection, list[str]], Sequence[Mapping[str, Any]]],
    *,
    page: int,
) -> int:
    """Bring ``table`` up to date with the log, ``page`` stale conversations at a time: their
    rows computed by ``rows_of`` in a read transaction, stored in an operational one.
    Returns how many were recomputed."""
    done = 0
    while True:
        with read_transaction(engine) as conn:
            keys = stale_conversation_keys(conn, table, limit=page)
            if not keys:
                return done
            rows = rows_of(conn, keys)
        with operational_transaction(engine) as conn:
            replace_conversation_rows(conn, table, rows)
        done += len(rows)
