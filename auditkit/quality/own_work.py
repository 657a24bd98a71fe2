"""An agent's own view: their reviews (latest versions), scores, the reviewers' comments
and summaries, their coaching examples; acknowledging a review (with an optional comment:
a signed ``review.acknowledged`` record) and contesting it. Only reviews whose agent is
the user's participant id are ever shown; text is redacted as for anyone."""

from __future__ import annotations

import json
from dataclasses import dataclass

from auditkit.accounts.users import Permission, User
from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.errors import AccessDenied, Conflict, InputRefused, NotFound
from auditkit.ledger import store as ledger_store
from auditkit.ledger.append import appending
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import RecordDraft, RecordKind
from auditkit.periods import utc_now
from auditkit.quality import disputes
from auditkit.quality import store as quality_store
from auditkit.review import history as review_history
from auditkit.review import store as review_store
from auditkit.review.history import CoachingExample, ReviewDetail
from auditkit.review.transcript import ReviewSummary, review_summary
from auditkit.rubric import format_score, iqs

MAX_COMMENT = 4000


@dataclass(frozen=True)
class Acknowledgement:
    """The agent read a review version (and perhaps said something about it)."""

    seq: int
    review_seq: int
    at: str
    comment: str


@dataclass(frozen=True)
class MyReview:
    """One of the agent's reviews in their list."""

    review: ReviewSummary
    acknowledged: bool
    disputed: bool


@dataclass(frozen=True)
class MyWork:
    """The agent's page: their reviews, IQS, coaching examples."""

    participant_id: str
    iqs: str | None
    reviews: tuple[MyReview, ...]
    examples: tuple[CoachingExample, ...]


@dataclass(frozen=True)
class MyReviewDetail:
    """One of the agent's reviews in full, with their acknowledgements."""

    detail: ReviewDetail
    acknowledgements: tuple[Acknowledgement, ...]
    disputed: bool


def _me(user: User) -> str:
    user.require(Permission.OWN_WORK)
    if not user.participant_id:
        raise AccessDenied("your account is not bound to a participant id: ask an admin")
    return user.participant_id


def _acknowledgements(conn: Connection, keys: list[str], agent: str) -> list[Acknowledgement]:
    found = []
    records = ledger_store.conversation_records(conn, keys)
    for entries in records.values():
        for seq, kind, entry in entries:
            if kind != RecordKind.REVIEW_ACKNOWLEDGED:
                continue
            record = json.loads(entry)
            body = record["body"]
            if body.get("agent") == agent:
                found.append(
                    Acknowledgement(
                        seq=seq,
                        review_seq=int(body["review_seq"]),
                        at=record["recorded_at"],
                        comment=str(body.get("comment", "")),
                    )
                )
    return found


def my_work(installation: Installation, user: User) -> MyWork:
    """The signed-in agent's reviews (latest versions) and coaching examples."""
    agent = _me(user)
    with read_transaction(installation.engine) as conn:
        rows = review_store.latest_reviews(conn, agent_id=agent, limit=1000)
        keys = sorted({r["conversation_key"] for r in rows})
        acknowledged = {a.review_seq for a in _acknowledgements(conn, keys, agent)}
        contested = {int(d["review_seq"]) for d in quality_store.dispute_rows(conn, status=None)}
    examples = review_history.load_coaching_examples(installation, agent=agent, limit=20)
    return MyWork(
        participant_id=agent,
        iqs=format_score(iqs(r["score"] for r in rows)),
        reviews=tuple(
            MyReview(
                review=review_summary(r),
                acknowledged=int(r["seq"]) in acknowledged,
                disputed=int(r["seq"]) in contested,
            )
            for r in rows
        ),
        examples=tuple(e for e in examples.examples if e.agent_id == agent),
    )


def _own_review(installation: Installation, user: User, seq: int) -> dict[str, object]:
    agent = _me(user)
    with read_transaction(installation.engine) as conn:
        row = review_store.review_at(conn, seq)
    if row is None or row["agent_id"] != agent:
        raise NotFound(f"no review record {seq} of your work")
    return row


def my_review(installation: Installation, user: User, seq: int) -> MyReviewDetail:
    """One review of the agent's own work, with their acknowledgements of it."""
    agent = _me(user)
    row = _own_review(installation, user, seq)
    detail = review_history.read_review_detail(installation, seq)
    with read_transaction(installation.engine) as conn:
        acks = [
            a
            for a in _acknowledgements(conn, [str(row["conversation_key"])], agent)
            if a.review_seq == seq
        ]
        disputed = any(
            int(d["review_seq"]) == seq for d in quality_store.dispute_rows(conn, status=None)
        )
    return MyReviewDetail(detail=detail, acknowledgements=tuple(acks), disputed=disputed)


def acknowledge(installation: Installation, user: User, seq: int, comment: str) -> int:
    """Record that the agent read review ``seq`` (with an optional comment); returns its seq."""
    agent = _me(user)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InputRefused([f"comment: at most {MAX_COMMENT} characters"])
    row = _own_review(installation, user, seq)
    with appending(installation) as batch:
        versions = review_store.review_versions(batch.conn, str(row["review_id"]))
        if int(versions[-1]["seq"]) != seq:
            raise Conflict("a newer version of this review exists: acknowledge that one")
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.REVIEW_ACKNOWLEDGED,
                    conversation=str(row["conversation_key"]),
                    occurred_at=utc_now(),
                    body={
                        "review_id": row["review_id"],
                        "review_seq": seq,
                        "agent": agent,
                        "actor": user.username,
                        "comment": comment,
                    },
                )
            ]
        )
    return record.seq


def my_dispute_form(installation: Installation, user: User, seq: int) -> disputes.DisputeForm:
    """The proposal form to contest one's own review."""
    _own_review(installation, user, seq)
    detail = review_history.read_review_detail(installation, seq)
    return disputes.form_for(installation, detail)
