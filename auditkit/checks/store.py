"""Rows of the check_results query table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from auditkit.checks.tables import check_results
from auditkit.ledger.tables import conversations, participants

CHUNK = 500
COLUMNS = [c.name for c in check_results.columns]


def input_keys(conn: Connection, keys: Sequence[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(conversation, policy) → (policy_hash, input_key) of the stored results."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        rows = conn.execute(
            select(
                check_results.c.conversation_key,
                check_results.c.policy_id,
                check_results.c.policy_hash,
                check_results.c.input_key,
            ).where(check_results.c.conversation_key.in_(part))
        )
        for key, policy, policy_hash, input_key in rows.tuples():
            found[(key, policy)] = (policy_hash, input_key)
    return found


def replace_results(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Store the newest result of each (conversation, policy), replacing the older one."""
    if not rows:
        return
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(check_results)
    upsert = statement.on_conflict_do_update(
        index_elements=[check_results.c.conversation_key, check_results.c.policy_id],
        set_={
            c: statement.excluded[c] for c in COLUMNS if c not in ("conversation_key", "policy_id")
        },
    )
    conn.execute(upsert, list(rows))


def failing_results(
    conn: Connection,
    *,
    policy: str | None = None,
    agent: str | None = None,
    intent: str | None = None,
    channel: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Failed results with their conversation's channel, newest conversations first."""
    query = (
        select(check_results, conversations.c.channel, conversations.c.last_event_at)
        .join(conversations, conversations.c.conversation_key == check_results.c.conversation_key)
        .where(check_results.c.outcome == "fail")
    )
    if policy:
        query = query.where(check_results.c.policy_id == policy)
    if channel:
        query = query.where(conversations.c.channel == channel)
    if since:
        query = query.where(conversations.c.last_event_at >= since)
    if until:
        query = query.where(conversations.c.first_event_at < until)
    if agent:
        query = query.where(
            check_results.c.conversation_key.in_(
                select(participants.c.conversation_key).where(
                    and_(participants.c.participant_id == agent, participants.c.role == "agent")
                )
            )
        )
    query = query.order_by(
        conversations.c.last_event_at.desc(),
        check_results.c.conversation_key,
        check_results.c.policy_id,
    )
    rows = [dict(row._mapping) for row in conn.execute(query.limit(limit * 4 if intent else limit))]
    return rows
