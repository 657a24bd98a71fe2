"""Rows of the check_results query table and the failure counts kept beside it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from auditkit.checks.tables import check_failure_counts, check_results, policy_outcome_counts

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
    """Store the newest result of each (conversation, policy), replacing the older one, and
    adjust the per-policy outcome counts by the difference."""
    if not rows:
        return
    _adjust_outcome_counts(conn, rows)
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


def _adjust_outcome_counts(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Take the stored outcomes of the (conversation, policy) pairs in ``rows`` off the
    per-policy counts and add the new ones (before the results are replaced)."""
    new = {(r["conversation_key"], r["policy_id"]): r["outcome"] for r in rows}
    old: dict[tuple[str, str], str] = {}
    for key, (_hash, _input, outcome) in input_keys(conn, sorted({key for key, _ in new})).items():
        if key in new:
            old[key] = outcome
    deltas: dict[str, list[int]] = {}
    for pairs, sign in ((old, -1), (new, 1)):
        for (_key, policy), outcome in pairs.items():
            delta = deltas.setdefault(policy, [0, 0, 0])
            delta[0] += sign
            delta[1] += sign * (outcome != "not_applicable")
            delta[2] += sign * (outcome == "fail")
    table = policy_outcome_counts
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    for policy, (results, evaluated, failed) in sorted(deltas.items()):
        if results == evaluated == failed == 0:
            continue
        statement = dialect_insert(table).values(
            policy_id=policy, results=results, evaluated=evaluated, failed=failed
        )
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.policy_id],
                set_={
                    "results": table.c.results + statement.excluded.results,
                    "evaluated": table.c.evaluated + statement.excluded.evaluated,
                    "failed": table.c.failed + statement.excluded.failed,
                },
            )
        )


def outcome_counts(conn: Connection) -> list[dict[str, Any]]:
    """Per policy with results: (policy_id, results, evaluated, failed), by policy id."""
    table = policy_outcome_counts
    query = select(table).where(table.c.results > 0).order_by(table.c.policy_id)
    return [dict(row._mapping) for row in conn.execute(query)]
