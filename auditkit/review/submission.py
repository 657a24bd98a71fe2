"""Submitting a review and commenting on messages: each a signed record, then its projection."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from auditkit.accounts.users import Permission, User
from auditkit.errors import Conflict, InputRefused
from auditkit.ledger.append import appending
from auditkit.ledger.conversation import LedgerConversation
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import TEXT_KINDS, RecordDraft, RecordKind
from auditkit.periods import utc_now
from auditkit.pii.masking import default_redactor
from auditkit.review import rubrics as review_rubrics
from auditkit.review import store as review_store
from auditkit.review.findings import conversation_results, gate_checks
from auditkit.review.projections import comment_projection, review_projection
from auditkit.review.sampling import facts_of
from auditkit.review.transcript import load_conversation
from auditkit.review.workspace import (
    MAX_COMMENT,
    DraftInput,
    draft_problems,
    own_assignment,
    refuse_own_work,
)
from auditkit.rubric import (
    format_score,
    score_review,
)


@dataclass(frozen=True)
class SubmittedReview:
    """What a submission appended."""

    seq: int
    review_id: str
    version: int
    score: str | None
    disagreements: tuple[str, ...] = ()  # policies the ratings contradict


def example_agent(
    conversation: LedgerConversation, first_seq: int, last_seq: int, *, primary: str | None
) -> str | None:
    """The agent a coaching example is about: who wrote most of the agent messages in the
    marked range (ties: the later writer); the primary agent when no agent wrote in it."""
    written: Counter[str] = Counter()
    last: dict[str, int] = {}
    for event in conversation.events:
        if event.kind != RecordKind.MESSAGE or not first_seq <= event.seq <= last_seq:
            continue
        author = event.body.get("author")
        if isinstance(author, str) and conversation.role_of(author) == "agent":
            written[author] += 1
            last[author] = event.seq
    if not written:
        return primary
    return max(written, key=lambda a: (written[a], last[a]))


def submit_review(
    installation: Installation, user: User, assignment_id: int, draft: DraftInput
) -> SubmittedReview:
    """Score the completed form and append it as a signed ``review`` record (a new version
    when the review was submitted before)."""
    user.require(Permission.REVIEW_WRITE)
    with appending(installation) as batch:
        conn = batch.conn
        row = own_assignment(conn, user, assignment_id)
        revising = row["status"] == "submitted"
        if revising and review_store.draft(conn, assignment_id) is None:
            raise Conflict("this review was submitted: start a new version to change it")
        conversation = load_conversation(conn, row["conversation_key"], installation.master_key())
        refuse_own_work(user, conversation)
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
        problems = draft_problems(rubric, conversation, draft, complete=True)
        if draft.seen_last_seq is not None and draft.seen_last_seq != conversation.last_seq:
            problems.append(
                "the conversation has new events since you opened it: reload the page, "
                "read them, then submit"
            )
        if problems:
            raise InputRefused(problems)
        result = score_review(rubric, draft.ratings)
        primary = facts_of(conversation)["primary_agent"]
        gates = gate_checks(
            rubric,
            conversation_results(conn, conversation, default_redactor()),
            draft.ratings,
        )
        versions = review_store.review_versions(conn, row["review_id"])
        previous = versions[-1] if versions else None
        version = 1 if previous is None else int(previous["version"]) + 1
        body = {
            "review_id": row["review_id"],
            "version": version,
            "supersedes": None if previous is None else int(previous["seq"]),
            "assignment": assignment_id,
            "reviewer": user.username,
            "conversation_last_seq": conversation.last_seq,
            "agent": primary,
            "rubric": {
                "id": rubric.id,
                "version": rubric.version,
                "title": rubric.title,
                "content_hash": rubric.content_hash,
            },
            "ratings": [
                {
                    "criterion": r.criterion,
                    "section": r.section,
                    "rating": r.rating,
                    "score": format_score(r.score),
                    "note": draft.notes.get(r.criterion, "").strip(),
                }
                for r in result.criteria
            ],
            "sections": [
                {"section": s.section, "score": format_score(s.score), "zeroed": s.zeroed}
                for s in result.sections
            ],
            "critical_failures": list(result.critical_failures),
            "score": format_score(result.score),
            "summary": draft.summary.strip(),
            # Each gate linked to a policy: the policy's result beside the rating, and whether
            # they disagree (docs/web.md), so a disagreement is on record with the review.
            "policy_checks": [g.record() for g in gates],
            "coaching_examples": [
                {
                    "first_seq": int(e.first_seq),
                    "last_seq": int(e.last_seq),
                    "label": e.label,
                    "criterion": e.criterion,
                    "note": e.note.strip(),
                    "agent": example_agent(
                        conversation, int(e.first_seq), int(e.last_seq), primary=primary
                    ),
                }
                for e in draft.examples
            ],
        }
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.REVIEW,
                    conversation=conversation.key,
                    occurred_at=utc_now(),
                    body=body,
                )
            ]
        )
        review_row, score_rows, example_rows = review_projection(record)
        review_store.insert_review(conn, review_row, score_rows, example_rows)
        if not revising:
            review_store.close_assignment(
                conn, assignment_id, status="submitted", at=record.recorded_at, expect="open"
            )
        review_store.delete_draft(conn, assignment_id)
    return SubmittedReview(
        seq=record.seq,
        review_id=row["review_id"],
        version=version,
        score=body["score"],
        disagreements=tuple(g.policy_id for g in gates if g.disagrees),
    )


def add_comment(
    installation: Installation, user: User, assignment_id: int, message_seq: str, text: str
) -> int:
    """Append a ``review.comment`` record anchored to one message of the assigned conversation."""
    user.require(Permission.REVIEW_WRITE)
    text = text.strip()
    problems = []
    if not text:
        problems.append("comment: write something")
    if len(text) > MAX_COMMENT:
        problems.append(f"comment: at most {MAX_COMMENT} characters")
    try:
        anchor = int(message_seq)
    except ValueError:
        anchor = -1
    with appending(installation) as batch:
        row = own_assignment(batch.conn, user, assignment_id)
        conversation = load_conversation(
            batch.conn, row["conversation_key"], installation.master_key()
        )
        refuse_own_work(user, conversation)
        if anchor not in {e.seq for e in conversation.events if e.kind in TEXT_KINDS}:
            problems.append("comment: choose a message of this conversation")
        if problems:
            raise InputRefused(problems)
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.REVIEW_COMMENT,
                    conversation=conversation.key,
                    occurred_at=utc_now(),
                    body={
                        "review_id": row["review_id"],
                        "assignment": assignment_id,
                        "message_seq": anchor,
                        "author": user.username,
                        "text": text,
                    },
                )
            ]
        )
        review_store.insert_comment(batch.conn, comment_projection(record))
    return record.seq
