"""Reads and writes of the review app's tables over one SQLAlchemy connection."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.sql import Select

from auditkit.accounts.tables import users
from auditkit.ledger.projections import staff_store
from auditkit.ledger.projections.registry import ErasedSubject
from auditkit.ledger.sealing.cipher import ERASED
from auditkit.ledger.tables import conversations, participants, subject_keys
from auditkit.review.tables import (
    coaching_examples,
    conversation_facts,
    review_assignments,
    review_comments,
    review_drafts,
    review_rubrics,
    review_samples,
    review_scores,
    reviews,
)

Row = dict[str, Any]
CHUNK = 500


def _rows(conn: Connection, query: Select[Any]) -> list[Row]:
    return [dict(row._mapping) for row in conn.execute(query)]


def _one(conn: Connection, query: Select[Any]) -> Row | None:
    row = conn.execute(query).first()
    return None if row is None else dict(row._mapping)


# --- conversation facts --------------------------------------------------------------------


def facts_rows(
    conn: Connection,
    *,
    channel: str | None = None,
    since: str | None = None,
    until: str | None = None,
    escalated: bool = False,
    reopened: bool = False,
    transferred: bool = False,
    csat_at_most: float | None = None,
    min_messages: int | None = None,
    exclude_rubric: str | None = None,
) -> list[Row]:
    """Facts of the conversations matching every given filter, by key.

    ``exclude_rubric`` leaves out conversations already assigned (open or done) for that rubric.
    A conversation whose customer was erased is never drawn: it would open as "[erased]".
    """
    erased = (
        select(conversations.c.conversation_key)
        .join(subject_keys, subject_keys.c.subject == conversations.c.customer)
        .where(subject_keys.c.erased_at.is_not(None))
    )
    query = (
        select(conversation_facts)
        .where(conversation_facts.c.conversation_key.not_in(erased))
        .order_by(conversation_facts.c.conversation_key)
    )
    if channel:
        query = query.where(conversation_facts.c.channel == channel)
    if since:
        query = query.where(conversation_facts.c.last_event_at >= since)
    if until:
        query = query.where(conversation_facts.c.last_event_at < until)
    if escalated:
        query = query.where(conversation_facts.c.escalated.is_(True))
    if reopened:
        query = query.where(conversation_facts.c.reopened.is_(True))
    if transferred:
        query = query.where(conversation_facts.c.transferred.is_(True))
    if csat_at_most is not None:
        query = query.where(conversation_facts.c.csat <= csat_at_most)
    if min_messages is not None:
        query = query.where(conversation_facts.c.message_count >= min_messages)
    if exclude_rubric:
        taken = select(review_assignments.c.conversation_key).where(
            and_(
                review_assignments.c.rubric_hash == exclude_rubric,
                review_assignments.c.status.in_(["open", "submitted"]),
            )
        )
        query = query.where(conversation_facts.c.conversation_key.not_in(taken))
    return _rows(conn, query)


def facts_for(conn: Connection, key: str) -> Row | None:
    """The facts of one conversation, or None when not computed yet."""
    return _one(
        conn, select(conversation_facts).where(conversation_facts.c.conversation_key == key)
    )


def channels(conn: Connection) -> list[str]:
    """Every channel with at least one conversation."""
    query = select(conversations.c.channel).distinct().order_by(conversations.c.channel)
    return [channel for (channel,) in conn.execute(query).tuples()]


def participant_names(conn: Connection, ids: Sequence[str]) -> dict[str, Row]:
    """Name and team of staff participants by id (the latest row seen for each)."""
    if not ids:
        return {}
    query = select(participants.c.participant_id, participants.c.name, participants.c.team).where(
        participants.c.participant_id.in_(list(ids)),
        # An erased conversation's copy of a staff name reads "[erased]": another copy wins.
        or_(participants.c.name.is_(None), participants.c.name != ERASED),
    )
    return {pid: {"name": name, "team": team} for pid, name, team in conn.execute(query).tuples()}


def staff_names(conn: Connection, ids: Sequence[str]) -> dict[str, Row]:
    """Name and team of staff participants by id, one row each, from the small staff table
    (the agents list: a dict of every participant row of the agents was 115k rows at 100k)."""
    return staff_store.staff_names(conn, ids)


def conversation_exists(conn: Connection, key: str) -> bool:
    """Whether the conversation is recorded."""
    query = select(conversations.c.conversation_key).where(conversations.c.conversation_key == key)
    return conn.execute(query).first() is not None


# --- rubrics, samples, assignments ---------------------------------------------------------


def remember_rubric(conn: Connection, row: Mapping[str, Any]) -> None:
    """Store a rubric snapshot by content hash, unless already stored."""
    exists = conn.execute(
        select(review_rubrics.c.content_hash).where(
            review_rubrics.c.content_hash == row["content_hash"]
        )
    ).first()
    if exists is None:
        conn.execute(insert(review_rubrics).values(**row))


def rubric_snapshot(conn: Connection, content_hash: str) -> Row | None:
    """A stored rubric snapshot."""
    return _one(conn, select(review_rubrics).where(review_rubrics.c.content_hash == content_hash))


def insert_sample(conn: Connection, row: Mapping[str, Any]) -> int:
    """Store a sampling run; returns its id."""
    result = conn.execute(insert(review_samples).values(**row).returning(review_samples.c.id))
    return int(result.scalar_one())


def recent_samples(conn: Connection, *, limit: int) -> list[Row]:
    """The latest sampling runs with their creator."""
    query = (
        select(review_samples, users.c.username.label("created_by_username"))
        .join(users, users.c.id == review_samples.c.created_by)
        .order_by(review_samples.c.id.desc())
        .limit(limit)
    )
    return _rows(conn, query)


def insert_assignment(conn: Connection, row: Mapping[str, Any]) -> int:
    """Store an assignment; returns its id."""
    result = conn.execute(
        insert(review_assignments).values(**row).returning(review_assignments.c.id)
    )
    return int(result.scalar_one())


def _assignment_query() -> Select[Any]:
    reviewer = users.alias("reviewer")
    return (
        select(
            review_assignments,
            reviewer.c.username.label("reviewer_username"),
            reviewer.c.display_name.label("reviewer_name"),
            reviewer.c.participant_id.label("reviewer_participant_id"),
            conversations.c.channel,
            conversations.c.last_event_at,
            conversations.c.last_seq.label("conversation_last_seq"),
            conversation_facts.c.primary_agent,
            conversation_facts.c.intent,
            conversation_facts.c.message_count,
            review_rubrics.c.title.label("rubric_title"),
            review_rubrics.c.version.label("rubric_version"),
        )
        .join(reviewer, reviewer.c.id == review_assignments.c.reviewer_id)
        .join(
            conversations,
            conversations.c.conversation_key == review_assignments.c.conversation_key,
        )
        .join(review_rubrics, review_rubrics.c.content_hash == review_assignments.c.rubric_hash)
        .outerjoin(
            conversation_facts,
            conversation_facts.c.conversation_key == review_assignments.c.conversation_key,
        )
    )


def assignment(conn: Connection, assignment_id: int) -> Row | None:
    """One assignment with its reviewer, conversation and rubric columns."""
    return _one(conn, _assignment_query().where(review_assignments.c.id == assignment_id))


def assignment_by_review_id(conn: Connection, review_id: str) -> Row | None:
    """The assignment a review id belongs to."""
    return _one(conn, _assignment_query().where(review_assignments.c.review_id == review_id))


def assignments(
    conn: Connection,
    *,
    reviewer_id: int | None = None,
    statuses: Sequence[str] = ("open",),
    conversation_key: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Row]:
    """Assignments in the given statuses, earliest due first (``offset`` of them skipped)."""
    query = _assignment_query().where(review_assignments.c.status.in_(list(statuses)))
    if reviewer_id is not None:
        query = query.where(review_assignments.c.reviewer_id == reviewer_id)
    if conversation_key is not None:
        query = query.where(review_assignments.c.conversation_key == conversation_key)
    query = query.order_by(review_assignments.c.due_on, review_assignments.c.id).limit(limit)
    return _rows(conn, query.offset(offset) if offset else query)


def count_assignments(conn: Connection, *, reviewer_id: int, statuses: Sequence[str]) -> int:
    """How many of the reviewer's assignments are in these statuses (the queue's index)."""
    query = (
        select(func.count())
        .select_from(review_assignments)
        .where(review_assignments.c.reviewer_id == reviewer_id)
        .where(review_assignments.c.status.in_(list(statuses)))
    )
    return int(conn.execute(query).scalar_one())


def close_assignment(
    conn: Connection, assignment_id: int, *, status: str, at: str, expect: str
) -> bool:
    """Move an assignment from ``expect`` to ``status``; False if it was not in ``expect``."""
    result = conn.execute(
        update(review_assignments)
        .where(
            and_(review_assignments.c.id == assignment_id, review_assignments.c.status == expect)
        )
        .values(status=status, closed_at=at)
    )
    return result.rowcount == 1


def drafted_assignment_ids(conn: Connection, ids: Sequence[int]) -> set[int]:
    """Which of these assignments have a saved draft."""
    if not ids:
        return set()
    query = select(review_drafts.c.assignment_id).where(
        review_drafts.c.assignment_id.in_(list(ids))
    )
    return {int(i) for (i,) in conn.execute(query).tuples()}


# --- drafts --------------------------------------------------------------------------------


def draft(conn: Connection, assignment_id: int) -> Row | None:
    """The saved draft of an assignment."""
    return _one(conn, select(review_drafts).where(review_drafts.c.assignment_id == assignment_id))


def save_draft(conn: Connection, assignment_id: int, *, content: str, at: str) -> None:
    """Insert or replace the draft of an assignment."""
    updated = conn.execute(
        update(review_drafts)
        .where(review_drafts.c.assignment_id == assignment_id)
        .values(content=content, updated_at=at)
    )
    if updated.rowcount == 0:
        conn.execute(
            insert(review_drafts).values(
                assignment_id=assignment_id, content=content, updated_at=at
            )
        )


def delete_draft(conn: Connection, assignment_id: int) -> None:
    """Drop an assignment's draft (once it is submitted)."""
    conn.execute(delete(review_drafts).where(review_drafts.c.assignment_id == assignment_id))


# --- review projections --------------------------------------------------------------------


def insert_review(
    conn: Connection,
    review: Mapping[str, Any],
    scores: Sequence[Mapping[str, Any]],
    examples: Sequence[Mapping[str, Any]],
) -> None:
    """Store the projection rows of one ``review`` record."""
    conn.execute(insert(reviews).values(**review))
    if scores:
        conn.execute(insert(review_scores), [dict(row) for row in scores])
    if examples:
        conn.execute(insert(coaching_examples), [dict(row) for row in examples])


def insert_comment(conn: Connection, row: Mapping[str, Any]) -> None:
    """Store the projection row of one ``review.comment`` record."""
    conn.execute(insert(review_comments).values(**row))


def comments_for_conversation(conn: Connection, key: str) -> list[Row]:
    """Every comment on the conversation's messages, oldest first."""
    query = (
        select(review_comments)
        .where(review_comments.c.conversation_key == key)
        .order_by(review_comments.c.seq)
    )
    return _rows(conn, query)


def _latest_version() -> Any:
    newer = reviews.alias("newer")
    return (
        ~select(newer.c.seq)
        .where(and_(newer.c.review_id == reviews.c.review_id, newer.c.version > reviews.c.version))
        .exists()
    )


def reviews_for_conversation(conn: Connection, key: str) -> list[Row]:
    """Every version of every review of a conversation, newest first, with ``latest`` set."""
    query = (
        select(reviews, _latest_version().label("latest"))
        .where(reviews.c.conversation_key == key)
        .order_by(reviews.c.seq.desc())
    )
    return _rows(conn, query)


def review_versions(conn: Connection, review_id: str) -> list[Row]:
    """Every version of one review, oldest first."""
    query = select(reviews).where(reviews.c.review_id == review_id).order_by(reviews.c.version)
    return _rows(conn, query)


def review_at(conn: Connection, seq: int) -> Row | None:
    """The review projection row of record ``seq``."""
    return _one(conn, select(reviews).where(reviews.c.seq == seq))


def review_score_rows(conn: Connection, seq: int) -> list[Row]:
    """Per-criterion rows of one review version."""
    return _rows(conn, select(review_scores).where(review_scores.c.seq == seq))


def latest_reviews(
    conn: Connection,
    *,
    agent_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 1000,
) -> list[Row]:
    """The latest version of each review, newest first, filtered by agent and period."""
    query = select(reviews).where(_latest_version())
    if agent_id is not None:
        query = query.where(reviews.c.agent_id == agent_id)
    if since:
        query = query.where(reviews.c.submitted_at >= since)
    if until:
        query = query.where(reviews.c.submitted_at < until)
    return _rows(conn, query.order_by(reviews.c.submitted_at.desc()).limit(limit))


def agent_summaries(conn: Connection, *, since: str | None, until: str | None) -> list[Row]:
    """Per agent (latest review versions in the period): count, mean score, critical failures."""
    query = (
        select(
            reviews.c.agent_id,
            func.count().label("reviews"),
            func.avg(reviews.c.score).label("mean_score"),
            func.count(reviews.c.score).label("scored"),
            func.sum(case((reviews.c.critical_failed.is_(True), 1), else_=0)).label(
                "critical_failures"
            ),
        )
        .where(_latest_version())
        .where(reviews.c.agent_id.is_not(None))
        .group_by(reviews.c.agent_id)
        .order_by(reviews.c.agent_id)
    )
    if since:
        query = query.where(reviews.c.submitted_at >= since)
    if until:
        query = query.where(reviews.c.submitted_at < until)
    return _rows(conn, query)


def criterion_means(conn: Connection, seqs: Sequence[int]) -> list[Row]:
    """Mean normalised score and count per criterion over the given review versions."""
    if not seqs:
        return []
    query = (
        select(
            review_scores.c.criterion_id,
            func.avg(review_scores.c.score).label("mean_score"),
            func.count(review_scores.c.score).label("rated"),
        )
        .where(review_scores.c.seq.in_(list(seqs)))
        .group_by(review_scores.c.criterion_id)
    )
    return _rows(conn, query)


def coaching_example_rows(
    conn: Connection,
    *,
    criterion_id: str | None,
    label: str | None,
    agent_id: str | None,
    limit: int,
) -> list[Row]:
    """Coaching examples of the latest review versions, newest first."""
    query = (
        select(
            coaching_examples,
            reviews.c.reviewer,
            reviews.c.submitted_at,
            reviews.c.review_id,
            reviews.c.rubric_hash,
        )
        .join(reviews, reviews.c.seq == coaching_examples.c.review_seq)
        .where(_latest_version())
    )
    if criterion_id:
        query = query.where(coaching_examples.c.criterion_id == criterion_id)
    if label:
        query = query.where(coaching_examples.c.label == label)
    if agent_id:
        query = query.where(coaching_examples.c.agent_id == agent_id)
    query = query.order_by(coaching_examples.c.review_seq.desc(), coaching_examples.c.position)
    return _rows(conn, query.limit(limit))


def coaching_examples_of(conn: Connection, seq: int) -> list[Row]:
    """The coaching examples of one review version."""
    query = (
        select(coaching_examples)
        .where(coaching_examples.c.review_seq == seq)
        .order_by(coaching_examples.c.position)
    )
    return _rows(conn, query)


# --- erasure of what reviewers typed (the log keeps it sealed under the subject's key;
# these are the tables' clear copies, overwritten with the erased marker) ---------------


def _erased_draft(content: dict[str, Any], erased: str) -> dict[str, Any]:
    return {
        **content,
        "notes": {criterion: erased for criterion in content.get("notes", {})},
        "summary": erased if content.get("summary") else "",
        "examples": [
            {**example, "note": erased if example.get("note") else ""}
            for example in content.get("examples", [])
        ],
    }


def erase_review_staff_text(conn: Connection, subject: ErasedSubject, erased: str) -> None:
    """Overwrite comments, example notes, reassignment reasons and drafts of ``keys``."""
    keys = list(subject.conversations)
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        conn.execute(
            update(review_comments)
            .where(review_comments.c.conversation_key.in_(part))
            .values(text=erased)
        )
        conn.execute(
            update(coaching_examples)
            .where(coaching_examples.c.conversation_key.in_(part))
            .values(note=erased)
        )
        conn.execute(
            update(review_assignments)
            .where(review_assignments.c.conversation_key.in_(part))
            .where(review_assignments.c.reassign_reason.is_not(None))
            .values(reassign_reason=erased)
        )
        drafts = conn.execute(
            select(review_drafts.c.assignment_id, review_drafts.c.content).where(
                review_drafts.c.assignment_id.in_(
                    select(review_assignments.c.id).where(
                        review_assignments.c.conversation_key.in_(part)
                    )
                )
            )
        ).tuples()
        for assignment_id, content in list(drafts):
            conn.execute(
                update(review_drafts)
                .where(review_drafts.c.assignment_id == assignment_id)
                .values(
                    content=json.dumps(_erased_draft(json.loads(content), erased), sort_keys=True)
                )
            )
