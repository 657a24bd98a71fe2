"""Reads and writes of the quality tables: calibration, disputes, grader checks, dashboard sums."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.sql import Select

from auditkit.accounts.tables import users
from auditkit.checks import store as check_store
from auditkit.ledger.projections import staff_store
from auditkit.ledger.projections.registry import ErasedSubject
from auditkit.quality.tables import (
    calibration_conversations,
    calibration_participants,
    calibration_ratings,
    calibration_scores,
    calibration_sessions,
    disputes,
    grader_checks,
)
from auditkit.review.tables import review_assignments, reviews

Row = dict[str, Any]


def _rows(conn: Connection, query: Select[Any]) -> list[Row]:
    return [dict(row._mapping) for row in conn.execute(query)]


def _one(conn: Connection, query: Select[Any]) -> Row | None:
    row = conn.execute(query).first()
    return None if row is None else dict(row._mapping)


# --- calibration ---------------------------------------------------------------------------


def insert_session(
    conn: Connection, row: Mapping[str, Any], keys: Sequence[str], user_ids: Sequence[int]
) -> int:
    """Store a session with its conversations (in order) and participants; return its id."""
    inserted = conn.execute(insert(calibration_sessions).values(**row)).inserted_primary_key
    assert inserted is not None
    session_id = int(inserted[0])
    conn.execute(
        insert(calibration_conversations),
        [
            {"session_id": session_id, "conversation_key": key, "position": index}
            for index, key in enumerate(keys)
        ],
    )
    conn.execute(
        insert(calibration_participants),
        [{"session_id": session_id, "user_id": user_id} for user_id in user_ids],
    )
    return session_id


def set_session_seq(conn: Connection, session_id: int, seq: int) -> None:
    """Point a session at the record that opened it."""
    conn.execute(
        update(calibration_sessions)
        .where(calibration_sessions.c.id == session_id)
        .values(record_seq=seq)
    )


def close_session(conn: Connection, session_id: int, *, at: str) -> None:
    """Mark a session closed."""
    conn.execute(
        update(calibration_sessions)
        .where(calibration_sessions.c.id == session_id)
        .values(status="closed", closed_at=at)
    )


def sessions(conn: Connection) -> list[Row]:
    """Every session, newest first, with the facilitator's username."""
    query = (
        select(calibration_sessions, users.c.username.label("facilitator"))
        .join(users, users.c.id == calibration_sessions.c.facilitator_id)
        .order_by(calibration_sessions.c.id.desc())
    )
    return _rows(conn, query)


def session(conn: Connection, session_id: int) -> Row | None:
    """One session with its facilitator's username."""
    query = (
        select(calibration_sessions, users.c.username.label("facilitator"))
        .join(users, users.c.id == calibration_sessions.c.facilitator_id)
        .where(calibration_sessions.c.id == session_id)
    )
    return _one(conn, query)


def session_conversations(conn: Connection, session_id: int) -> list[str]:
    """The conversation keys of a session, in order."""
    query = (
        select(calibration_conversations.c.conversation_key)
        .where(calibration_conversations.c.session_id == session_id)
        .order_by(calibration_conversations.c.position)
    )
    return [row[0] for row in conn.execute(query)]


def session_participants(conn: Connection, session_id: int) -> list[Row]:
    """The participants of a session (id, username, display name), by username."""
    query = (
        select(users.c.id, users.c.username, users.c.display_name)
        .join(calibration_participants, calibration_participants.c.user_id == users.c.id)
        .where(calibration_participants.c.session_id == session_id)
        .order_by(users.c.username)
    )
    return _rows(conn, query)


def insert_calibration_score(
    conn: Connection, row: Mapping[str, Any], ratings: Sequence[Mapping[str, Any]]
) -> None:
    """Store the projection of one ``calibration`` scoring record."""
    conn.execute(insert(calibration_scores).values(**row))
    if ratings:
        conn.execute(insert(calibration_ratings), list(ratings))


def calibration_score_rows(conn: Connection, session_id: int) -> list[Row]:
    """Every submission of a session, oldest first."""
    query = (
        select(calibration_scores)
        .where(calibration_scores.c.session_id == session_id)
        .order_by(calibration_scores.c.seq)
    )
    return _rows(conn, query)


def calibration_rating_rows(
    conn: Connection, session_ids: Sequence[int] | None = None
) -> list[Row]:
    """Every rating given in calibration, with its submission's session, conversation, scorer."""
    query = select(
        calibration_ratings,
        calibration_scores.c.session_id,
        calibration_scores.c.conversation_key,
        calibration_scores.c.scorer,
        calibration_scores.c.baseline,
    ).join(calibration_scores, calibration_scores.c.seq == calibration_ratings.c.seq)
    if session_ids is not None:
        query = query.where(calibration_scores.c.session_id.in_(list(session_ids)))
    return _rows(conn, query.order_by(calibration_ratings.c.seq))


# --- disputes ------------------------------------------------------------------------------


def insert_dispute(conn: Connection, row: Mapping[str, Any]) -> None:
    """Store a newly opened dispute (its id is the seq of the record that opened it)."""
    conn.execute(insert(disputes).values(**row))


def resolve_dispute(conn: Connection, dispute_id: int, values: Mapping[str, Any]) -> bool:
    """Close an open dispute; False when it was no longer open."""
    result = conn.execute(
        update(disputes)
        .where(disputes.c.id == dispute_id, disputes.c.status == "open")
        .values(**values)
    )
    return result.rowcount == 1


def dispute(conn: Connection, dispute_id: int) -> Row | None:
    """One dispute."""
    return _one(conn, select(disputes).where(disputes.c.id == dispute_id))


def dispute_rows(conn: Connection, *, status: str | None = None, limit: int = 200) -> list[Row]:
    """Disputes, newest first."""
    query = select(disputes)
    if status:
        query = query.where(disputes.c.status == status)
    return _rows(conn, query.order_by(disputes.c.id.desc()).limit(limit))


def open_dispute_for(conn: Connection, review_id: str) -> Row | None:
    """The open dispute of a review, if any."""
    query = select(disputes).where(disputes.c.review_id == review_id, disputes.c.status == "open")
    return _one(conn, query)


def disputes_of_review(conn: Connection, review_id: str) -> list[Row]:
    """Every dispute of one review, oldest first."""
    query = select(disputes).where(disputes.c.review_id == review_id).order_by(disputes.c.id)
    return _rows(conn, query)


# --- grader checks -------------------------------------------------------------------------


def insert_grader_check(conn: Connection, row: Mapping[str, Any]) -> None:
    """Store the projection of a ``review.grader_check`` record."""
    conn.execute(insert(grader_checks).values(**row))


def grader_check_rows(conn: Connection, *, limit: int = 500) -> list[Row]:
    """Spot-checks, newest first."""
    return _rows(conn, select(grader_checks).order_by(grader_checks.c.seq.desc()).limit(limit))


# --- dashboard sums ------------------------------------------------------------------------


def assignment_counts(conn: Connection, *, today: str) -> Row:
    """Assignments by state: open, overdue (open past due), submitted."""
    open_ = review_assignments.c.status == "open"
    query = select(
        func.count().filter(open_).label("open"),
        func.count().filter(open_, review_assignments.c.due_on < today).label("overdue"),
        func.count().filter(review_assignments.c.status == "submitted").label("submitted"),
    )
    found = _one(conn, query)
    return found or {"open": 0, "overdue": 0, "submitted": 0}


def policy_outcomes(conn: Connection) -> list[Row]:
    """Per policy: conversations failed and evaluated (latest results), from the per-policy
    counts the checks keep as they record results."""
    return [
        {"policy_id": r["policy_id"], "failed": r["failed"], "evaluated": r["evaluated"]}
        for r in check_store.outcome_counts(conn)
    ]


def staff_names(conn: Connection, ids: Sequence[str]) -> dict[str, Row]:
    """Name and team of staff participants by id: one row each, from the small staff table
    (an agent appears in thousands of conversations; the table holds each name once)."""
    return staff_store.staff_names(conn, ids)


def erase_quality_staff_text(conn: Connection, subject: ErasedSubject, erased: str) -> None:
    """Overwrite the dispute comments and answers, and the spot-check notes, of ``keys``."""
    keys = list(subject.conversations)
    for start in range(0, len(keys), 500):
        part = list(keys[start : start + 500])
        conn.execute(
            update(disputes).where(disputes.c.conversation_key.in_(part)).values(comment=erased)
        )
        conn.execute(
            update(disputes)
            .where(disputes.c.conversation_key.in_(part))
            .where(disputes.c.response.is_not(None))
            .values(response=erased)
        )
        conn.execute(
            update(grader_checks)
            .where(
                grader_checks.c.review_seq.in_(
                    select(reviews.c.seq).where(reviews.c.conversation_key.in_(part))
                )
            )
            .values(note=erased)
        )
