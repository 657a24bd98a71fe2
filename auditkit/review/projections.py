"""The review tables as projections of the log: rows of ``review`` and ``review.comment`` records.

The same functions write the rows when a review is submitted (or a dispute changes it) and
rebuild them in ``verify``, so an edit made to those tables behind auditkit's back shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from auditkit.db import Connection
from auditkit.ledger.projections.registry import (
    ErasedSubject,
    ProjectionSource,
    Row,
    register_projection,
    register_staff_text_eraser,
)
from auditkit.ledger.records import Record, RecordKind, format_time
from auditkit.periods import utc_now
from auditkit.review.search_store import withdraw_open_assignments
from auditkit.review.store import erase_review_staff_text


def review_projection(
    record: Record,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``reviews``, ``review_scores`` and ``coaching_examples`` rows of a ``review`` record."""
    body = record.body
    review_row = {
        "seq": record.seq,
        "review_id": body["review_id"],
        "version": body["version"],
        "assignment_id": body["assignment"],
        "conversation_key": record.conversation,
        "reviewer": body["reviewer"],
        "agent_id": body["agent"],
        "rubric_hash": body["rubric"]["content_hash"],
        "rubric_id": body["rubric"]["id"],
        "rubric_version": body["rubric"]["version"],
        "score": None if body["score"] is None else float(body["score"]),
        "critical_failed": bool(body["critical_failures"]),
        "submitted_at": record.recorded_at,
        "supersedes_seq": body["supersedes"],
    }
    score_rows = [
        {
            "seq": record.seq,
            "criterion_id": r["criterion"],
            "section_id": r["section"],
            "rating": r["rating"],
            "score": None if r["score"] is None else float(r["score"]),
        }
        for r in body["ratings"]
    ]
    example_rows = [
        {
            "review_seq": record.seq,
            "position": index,
            "conversation_key": record.conversation,
            "first_seq": e["first_seq"],
            "last_seq": e["last_seq"],
            "label": e["label"],
            "criterion_id": e["criterion"],
            "note": e["note"],
            # Who wrote the marked messages (recorded since issue 15); older records name
            # the conversation's primary agent only.
            "agent_id": e.get("agent", body["agent"]),
        }
        for index, e in enumerate(body["coaching_examples"])
    ]
    return review_row, score_rows, example_rows


def comment_projection(record: Record) -> dict[str, Any]:
    """The ``review_comments`` row of a ``review.comment`` record."""
    return {
        "seq": record.seq,
        "review_id": record.body["review_id"],
        "conversation_key": record.conversation,
        "message_seq": record.body["message_seq"],
        "author": record.body["author"],
        "text": record.body["text"],
        "created_at": record.recorded_at,
    }


class ReviewRebuilder:
    """Replays ``review`` and ``review.comment`` records into the review tables' rows."""

    def __init__(self) -> None:
        self.reviews: list[Row] = []
        self.review_scores: list[Row] = []
        self.review_comments: list[Row] = []
        self.coaching_examples: list[Row] = []

    def apply(self, record: Record) -> None:
        """Add one record (in seq order) to what the tables should hold."""
        if record.kind == RecordKind.REVIEW:
            review, scores, examples = review_projection(record)
            self.reviews.append(review)
            self.review_scores.extend(scores)
            self.coaching_examples.extend(examples)
        elif record.kind == RecordKind.REVIEW_COMMENT:
            self.review_comments.append(comment_projection(record))

    def rows(self) -> Mapping[str, Iterable[Row]]:
        """The expected rows of each review table."""
        return {
            "reviews": self.reviews,
            "review_scores": self.review_scores,
            "review_comments": self.review_comments,
            "coaching_examples": self.coaching_examples,
        }


register_projection(
    ProjectionSource(
        feature="review",
        primary_keys={
            "reviews": ("seq",),
            "review_scores": ("seq", "criterion_id"),
            "review_comments": ("seq",),
            "coaching_examples": ("review_seq", "position"),
        },
        rebuilder=ReviewRebuilder,
    )
)


def erase_from_review(conn: Connection, subject: ErasedSubject, erased: str) -> None:
    """Erasure in the review tables, inside the erasure's transaction: staff text about the
    subject's conversations is overwritten, and their open assignments leave the queues,
    closed as ``erased`` with the erasure's record in the reason (the row is the trail).
    Done once here, so no page view has to write; migration 0023 did it for erasures made
    before."""
    erase_review_staff_text(conn, subject, erased)
    withdraw_open_assignments(
        conn,
        list(subject.conversations),
        reason=f"conversation erased (erasure record {subject.erasure_seq})",
        at=format_time(utc_now()),
    )


register_staff_text_eraser("review", erase_from_review)
