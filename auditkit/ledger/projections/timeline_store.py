"""Rows of ``conversation_timelines``: read a page of them, insert, replace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from auditkit.ledger.tables import conversation_timelines, conversations

CHUNK = 500


def timeline_rows(conn: Connection, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
    """conversation → (last seq, timeline text) of the stored rows of ``keys``."""
    found: dict[str, tuple[int, str]] = {}
    table = conversation_timelines
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        query = select(table.c.conversation_key, table.c.last_seq, table.c.timeline).where(
            table.c.conversation_key.in_(part)
        )
        for key, last_seq, text in conn.execute(query).tuples():
            found[key] = (int(last_seq), text)
    return found


def insert_timelines(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store the rows of conversations that have none yet."""
    if rows:
        conn.execute(insert(conversation_timelines), [dict(row) for row in rows])


def update_timelines(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Replace the stored rows of conversations that have one (one executemany)."""
    if not rows:
        return
    table = conversation_timelines
    statement = (
        update(table)
        .where(table.c.conversation_key == bindparam("key"))
        .values(last_seq=bindparam("seq"), timeline=bindparam("text"))
    )
    conn.execute(
        statement,
        [
            {"key": row["conversation_key"], "seq": row["last_seq"], "text": row["timeline"]}
            for row in rows
        ],
    )


def replace_timelines(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store rows of some conversations, whether or not they had one."""
    table = conversation_timelines
    keys = [row["conversation_key"] for row in rows]
    for start in range(0, len(keys), CHUNK):
        conn.execute(delete(table).where(table.c.conversation_key.in_(keys[start : start + CHUNK])))
    insert_timelines(conn, rows)


def keys_without_timeline(conn: Connection, *, after: str | None, limit: int) -> list[str]:
    """Conversations (in key order, after ``after``) whose timeline row is missing or stale."""
    table = conversation_timelines
    query = (
        select(conversations.c.conversation_key)
        .select_from(
            conversations.outerjoin(
                table, table.c.conversation_key == conversations.c.conversation_key
            )
        )
        .where(
            (table.c.conversation_key.is_(None)) | (table.c.last_seq != conversations.c.last_seq)
        )
        .order_by(conversations.c.conversation_key)
        .limit(limit)
    )
    if after is not None:
        query = query.where(conversations.c.conversation_key > after)
    return [key for (key,) in conn.execute(query).tuples()]
