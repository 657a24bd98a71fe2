"""The staff participants table: one row per distinct (id, role, name, team) of a participant
who is not the customer, kept beside ``participants`` so the staff menus, the agents list and
the dashboard read O(staff) rows instead of one per conversation (migration 0026).

``participants`` stays the truth: a row is added here whenever one is written there, and
:func:`refresh_staff` re-derives the rows of some ids from it (after erasure re-derives names).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, case, delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from auditkit.ledger.sealing.cipher import ERASED
from auditkit.ledger.tables import participants, staff_participants

CUSTOMER = "customer"
NONE = ""  # how a missing name or team is kept (key columns cannot be NULL)
CHUNK = 500

Row = dict[str, Any]


def staff_row(participant: Mapping[str, Any]) -> Row | None:
    """The staff row a participant row implies, or None for the customer."""
    if participant["role"] == CUSTOMER:
        return None
    return {
        "participant_id": participant["participant_id"],
        "role": participant["role"],
        "name": participant.get("name") or NONE,
        "team": participant.get("team") or NONE,
    }


def staff_rows_of(rows: Iterable[Mapping[str, Any]]) -> list[Row]:
    """The distinct staff rows of participant rows (what the table holds for them)."""
    found: dict[tuple[str, str, str, str], Row] = {}
    for participant in rows:
        row = staff_row(participant)
        if row is not None:
            found[(row["participant_id"], row["role"], row["name"], row["team"])] = row
    return list(found.values())


def remember_staff(conn: Connection, new_participants: Iterable[Mapping[str, Any]]) -> None:
    """Add the staff rows of newly written participants (in the same transaction)."""
    rows = staff_rows_of(new_participants)
    if not rows:
        return
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    for start in range(0, len(rows), CHUNK):
        conn.execute(
            dialect_insert(staff_participants).on_conflict_do_nothing(), rows[start : start + CHUNK]
        )


def refresh_staff(conn: Connection, participant_ids: Collection[str]) -> None:
    """Re-derive the staff rows of ``participant_ids`` from ``participants`` as it now reads."""
    ids = sorted(set(participant_ids))
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        conn.execute(
            delete(staff_participants).where(staff_participants.c.participant_id.in_(part))
        )
        derived = (
            select(
                participants.c.participant_id,
                participants.c.role,
                func.coalesce(participants.c.name, literal(NONE)),
                func.coalesce(participants.c.team, literal(NONE)),
            )
            .where(participants.c.participant_id.in_(part), participants.c.role != CUSTOMER)
            .distinct()
        )
        conn.execute(
            insert(staff_participants).from_select(
                ["participant_id", "role", "name", "team"], derived
            )
        )


def staff(conn: Connection, roles: Sequence[str] | None = None) -> Iterator[Row]:
    """Staff rows (name and team None where none was recorded), by id, then name and team;
    only those of ``roles`` when given."""
    table = staff_participants
    query = select(table).order_by(table.c.participant_id, table.c.name, table.c.team)
    if roles is not None:
        query = query.where(table.c.role.in_(list(roles)))
    for pid, role, name, team in conn.execute(query).tuples():
        yield {"participant_id": pid, "role": role, "name": name or None, "team": team or None}


def staff_names(conn: Connection, ids: Sequence[str]) -> dict[str, Row]:
    """Name and team of staff by id, one row each: the greatest name recorded that is not an
    erased copy ("[erased]"), and the greatest team (None where none was recorded)."""
    if not ids:
        return {}
    table = staff_participants
    named = func.nullif(table.c.name, NONE)
    query = (
        select(
            table.c.participant_id,
            func.max(case((table.c.name == ERASED, None), else_=named)),
            func.max(func.nullif(table.c.team, NONE)),
        )
        .where(table.c.participant_id.in_(list(ids)))
        .group_by(table.c.participant_id)
    )
    return {pid: {"name": name, "team": team} for pid, name, team in conn.execute(query).tuples()}


def staff_teams(conn: Connection, roles: Sequence[str]) -> list[str]:
    """Every team a staff participant of ``roles`` was recorded with, sorted."""
    table = staff_participants
    query = (
        select(table.c.team)
        .where(table.c.team != NONE, table.c.role.in_(list(roles)))
        .distinct()
        .order_by(table.c.team)
    )
    return [team for (team,) in conn.execute(query).tuples()]
