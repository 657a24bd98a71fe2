"""Rows of the check_results query table and the failure counts kept beside it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from auditkit.checks.tables import check_failure_counts, check_results

CHUNK = 500
COLUMNS = [c.name for c in check_results.columns]


def input_keys(
    conn: Connection, keys: Sequence[str]
) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(conversation, policy) → (policy_hash, input_key, outcome) of the stored results."""
    found: dict[tuple[str, str], tuple[str, str, str]] = {}
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        rows = conn.execute(
            select(
                check_results.c.conversation_key,
                check_results.c.policy_id,
                check_results.c.policy_hash,
                check_results.c.input_key,
                check_results.c.outcome,
            ).where(check_results.c.conversation_key.in_(part))
        )
        for key, policy, policy_hash, input_key, outcome in rows.tuples():
            found[(key, policy)] = (policy_hash, input_key, outcome)
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


def recount_failures(conn: Connection, keys: Sequence[str]) -> None:
    """Rewrite the failure counts of ``keys`` from their stored results (after
    :func:`replace_results`, in its transaction): a row per conversation failing anything."""
    table = check_failure_counts
    for start in range(0, len(keys), CHUNK):
        part = list(dict.fromkeys(keys[start : start + CHUNK]))
        conn.execute(delete(table).where(table.c.conversation_key.in_(part)))
        counted = (
            select(check_results.c.conversation_key, func.count())
            .where(check_results.c.conversation_key.in_(part), check_results.c.outcome == "fail")
            .group_by(check_results.c.conversation_key)
        )
        conn.execute(insert(table).from_select(["conversation_key", "failed"], counted))
