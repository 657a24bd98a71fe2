"""The reviewer's workspace: an assignment's conversation, its rubric and the saved draft."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.db import Connection, operational_transaction
from auditkit.db.engine import read_transaction
from auditkit.errors import AccessDenied, Conflict, InputRefused, NotFound
from auditkit.ledger.conversation import HUMAN_STAFF_ROLES, LedgerConversation
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import record_body as read_record_body
from auditkit.ledger.records import TEXT_KINDS, format_time
from auditkit.ledger.sealing.cipher import MasterKey
from auditkit.periods import utc_now
from auditkit.review import rubrics as review_rubrics
from auditkit.review import store as review_store
from auditkit.review.findings import GateCheck, gate_checks
from auditkit.review.queue import Assignment, assignment_from_row
from auditkit.review.transcript import (
    ConversationPage,
    ReviewSummary,
    load_conversation,
    review_summary,
    transcript_page,
)
from auditkit.rubric import (
    NOT_APPLICABLE,
    Rubric,
    format_score,
    rating_problems,
    score_review,
)

MAX_NOTE = 4000


MAX_SUMMARY = 10000


MAX_COMMENT = 4000


MAX_EXAMPLES = 50


EXAMPLE_LABELS = {"exemplary": "Exemplary", "needs_work": "Needs work"}


@dataclass(frozen=True)
class ExampleInput:
    """A coaching example as typed into the form (validated by the service)."""

    first_seq: str
    last_seq: str
    label: str
    criterion: str
    note: str = ""


@dataclass(frozen=True)
class DraftInput:
    """The scoring form as posted: ratings and notes by criterion id, summary, examples."""

    ratings: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    summary: str = ""
    examples: tuple[ExampleInput, ...] = ()
    seen_last_seq: int | None = None

    def content(self) -> dict[str, Any]:
        """The draft as stored."""
        return {
            "ratings": {k: v for k, v in self.ratings.items() if v},
            "notes": {k: v for k, v in self.notes.items() if v.strip()},
            "summary": self.summary,
            "examples": [
                {
                    "first_seq": e.first_seq,
                    "last_seq": e.last_seq,
                    "label": e.label,
                    "criterion": e.criterion,
                    "note": e.note,
                }
                for e in self.examples
            ],
        }

    @classmethod
    def from_content(cls, content: Mapping[str, Any]) -> DraftInput:
        """A draft from its stored form."""
        return cls(
            ratings=dict(content.get("ratings", {})),
            notes=dict(content.get("notes", {})),
            summary=str(content.get("summary", "")),
            examples=tuple(
                ExampleInput(
                    first_seq=str(e["first_seq"]),
                    last_seq=str(e["last_seq"]),
                    label=e["label"],
                    criterion=e["criterion"],
                    note=e.get("note", ""),
                )
                for e in content.get("examples", [])
            ),
        )


@dataclass(frozen=True)
class Workspace:
    """The reviewer's screen: the conversation, the rubric, and the draft or submitted review."""

    assignment: Assignment
    page: ConversationPage
    rubric: Rubric
    draft: DraftInput
    draft_saved_at: str | None
    editable: bool
    versions: tuple[ReviewSummary, ...]
    gates: tuple[GateCheck, ...] = ()  # rubric criteria linked to a policy, with its result
    running: RunningScore | None = None  # the score of the ratings so far

    def gate(self, criterion_id: str) -> GateCheck | None:
        """The policy result beside one criterion, if it names a policy."""
        return next((g for g in self.gates if g.criterion_id == criterion_id), None)


@dataclass(frozen=True)
class RunningScore:
    """The score of the ratings given so far (docs/scoring.md; unrated criteria count as N/A)."""

    score: str | None
    rated: int
    total: int
    critical_failures: tuple[str, ...] = ()


def running_score(rubric: Rubric, ratings: Mapping[str, str]) -> RunningScore:
    """Score what is rated so far with the rubric's own rules: the criteria not rated yet are
    left out as N/A would be, so the figure becomes the review's score once all are rated."""
    relaxed = replace(
        rubric,
        sections=tuple(
            replace(s, criteria=tuple(replace(c, na_allowed=True) for c in s.criteria))
            for s in rubric.sections
        ),
    )
    known = [c.id for _s, c in rubric.criteria()]
    given = {k: v for k, v in ratings.items() if k in known and v}
    result = score_review(relaxed, {**{k: NOT_APPLICABLE for k in known}, **given})
    return RunningScore(
        score=format_score(result.score),
        rated=len(given),
        total=len(known),
        critical_failures=tuple(result.critical_failures),
    )


@dataclass(frozen=True)
class SavedDraft:
    """When the draft was saved, and the running score of its ratings."""

    saved_at: str
    running: RunningScore


def own_assignment(conn: Connection, user: User, assignment_id: int) -> dict[str, Any]:
    row = review_store.assignment(conn, assignment_id)
    if row is None:
        raise NotFound(f"no assignment {assignment_id}")
    if row["reviewer_id"] != user.id:
        raise AccessDenied("this assignment belongs to another reviewer")
    if row["status"] == "reassigned":
        raise Conflict("this assignment was reassigned to another reviewer")
    if row["status"] == "erased":
        raise Conflict(
            f"this conversation was erased and left your queue: {row['reassign_reason']}"
        )
    return row


def refuse_own_work(user: User, conversation: LedgerConversation) -> None:
    if user.participant_id and any(
        p.id == user.participant_id and p.role in HUMAN_STAFF_ROLES
        for p in conversation.participants.values()
    ):
        raise AccessDenied("you took part in this conversation, so you cannot review it")


def workspace(
    installation: Installation, user: User, assignment_id: int, *, reveal_seq: int | None = None
) -> Workspace:
    """The assignment's conversation next to its scoring form (or its submitted review)."""
    user.require(Permission.REVIEW_WRITE)
    with read_transaction(installation.engine) as conn:
        row = own_assignment(conn, user, assignment_id)
        conversation = load_conversation(conn, row["conversation_key"], installation.master_key())
        refuse_own_work(user, conversation)
        page = transcript_page(
            conn, installation, user, conversation, reveal_seq=reveal_seq, with_history=True
        )
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
        saved = review_store.draft(conn, assignment_id)
        versions = tuple(
            review_summary(v) for v in review_store.review_versions(conn, row["review_id"])
        )
        latest_body = (
            record_body(conn, versions[-1].seq, installation.master_key())
            if versions and saved is None
            else None
        )
    if saved is not None:
        draft = DraftInput.from_content(json.loads(saved["content"]))
    elif latest_body is not None:
        draft = _draft_from_record(latest_body)
    else:
        draft = DraftInput()
    editable = row["status"] == "open" or saved is not None
    return Workspace(
        assignment=assignment_from_row(row, has_draft=saved is not None),
        page=page,
        rubric=rubric,
        draft=draft,
        draft_saved_at=saved["updated_at"] if saved else None,
        editable=editable,
        versions=versions,
        gates=gate_checks(rubric, page.checks, draft.ratings),
        running=running_score(rubric, draft.ratings),
    )


def record_body(conn: Connection, seq: int, master: MasterKey | None) -> dict[str, Any]:
    """A review record's body, its sealed notes and summary opened."""
    return read_record_body(conn, seq, master=master)


def _draft_from_record(body: Mapping[str, Any]) -> DraftInput:
    return DraftInput(
        ratings={r["criterion"]: r["rating"] for r in body["ratings"]},
        notes={r["criterion"]: r["note"] for r in body["ratings"] if r.get("note")},
        summary=body.get("summary", ""),
        examples=tuple(
            ExampleInput(
                first_seq=str(e["first_seq"]),
                last_seq=str(e["last_seq"]),
                label=e["label"],
                criterion=e["criterion"],
                note=e.get("note", ""),
            )
            for e in body.get("coaching_examples", [])
        ),
    )


def draft_problems(
    rubric: Rubric, conversation: LedgerConversation, draft: DraftInput, *, complete: bool
) -> list[str]:
    problems = [str(p) for p in rating_problems(rubric, draft.ratings, complete=complete)]
    known = {criterion.id for _section, criterion in rubric.criteria()}
    for criterion_id, note in draft.notes.items():
        if criterion_id not in known:
            problems.append(f"{criterion_id}: not a criterion of this rubric")
        elif len(note) > MAX_NOTE:
            problems.append(f"{criterion_id}: the note is longer than {MAX_NOTE} characters")
    if len(draft.summary) > MAX_SUMMARY:
        problems.append(f"summary: longer than {MAX_SUMMARY} characters")
    if len(draft.examples) > MAX_EXAMPLES:
        problems.append(f"coaching examples: at most {MAX_EXAMPLES}")
    numbers = {
        event.seq: index + 1
        for index, event in enumerate(e for e in conversation.events if e.kind in TEXT_KINDS)
    }
    for index, example in enumerate(draft.examples, start=1):
        where = f"coaching example {index}"
        try:
            first, last = int(example.first_seq), int(example.last_seq)
        except ValueError:
            problems.append(f"{where}: choose the first and last message")
            continue
        if first not in numbers or last not in numbers:
            problems.append(f"{where}: the messages must belong to this conversation")
        elif numbers[first] > numbers[last]:
            problems.append(f"{where}: the first message comes after the last")
        if example.label not in EXAMPLE_LABELS:
            problems.append(f"{where}: mark it exemplary or needs work")
        if example.criterion not in known:
            problems.append(f"{where}: choose the criterion it illustrates")
        if len(example.note) > MAX_NOTE:
            problems.append(f"{where}: the note is longer than {MAX_NOTE} characters")
    return problems


def save_draft(
    installation: Installation, user: User, assignment_id: int, draft: DraftInput
) -> SavedDraft:
    """Store the reviewer's unfinished form (autosave); refused whole if any field is invalid."""
    user.require(Permission.REVIEW_WRITE)
    now = format_time(utc_now())
    with operational_transaction(installation.engine) as conn:
        row = own_assignment(conn, user, assignment_id)
        if row["status"] != "open" and review_store.draft(conn, assignment_id) is None:
            raise Conflict("this review was submitted: start a new version to change it")
        conversation = load_conversation(conn, row["conversation_key"], installation.master_key())
        refuse_own_work(user, conversation)
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
        problems = draft_problems(rubric, conversation, draft, complete=False)
        if problems:
            raise InputRefused(problems)
        review_store.save_draft(
            conn, assignment_id, content=json.dumps(draft.content(), sort_keys=True), at=now
        )
    return SavedDraft(saved_at=now, running=running_score(rubric, draft.ratings))


def start_revision(installation: Installation, user: User, assignment_id: int) -> None:
    """Open a draft of a new version of a submitted review, prefilled from the latest one."""
    user.require(Permission.REVIEW_WRITE)
    now = format_time(utc_now())
    with operational_transaction(installation.engine) as conn:
        row = own_assignment(conn, user, assignment_id)
        if row["status"] != "submitted":
            raise Conflict("only a submitted review can be revised")
        if review_store.draft(conn, assignment_id) is not None:
            return
        versions = review_store.review_versions(conn, row["review_id"])
        body = record_body(conn, int(versions[-1]["seq"]), installation.master_key())
        content = _draft_from_record(body).content()
        review_store.save_draft(conn, assignment_id, content=json.dumps(content), at=now)
