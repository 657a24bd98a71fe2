"""Reviewing whole conversations: the redacted view, reveals, drafts, comments, submitted reviews.

Every submission, comment and reveal is a signed ledger record (``review``,
``review.comment``, ``access``); the ``reviews``, ``review_scores``, ``review_comments``
and ``coaching_examples`` tables are projections of those records, written in the same
transaction. A change to a submitted review is a new version record that names the one it
supersedes; nothing is overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.db import Connection, operational_transaction
from auditkit.db.engine import read_transaction
from auditkit.errors import AccessDenied, Conflict, InputRefused, NotFound
from auditkit.ledger import store as ledger_store
from auditkit.ledger.append import appending
from auditkit.ledger.conversation import LedgerConversation, LedgerEvent, LedgerParticipant
from auditkit.ledger.installation import Installation, utc_now
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import RecordDraft, RecordKind, format_time, parse_time
from auditkit.ledger.sealing import MasterKey
from auditkit.pii.masking import (
    Redacted,
    Redactor,
    default_redactor,
    scan_redactor,
)
from auditkit.review import rubrics as review_rubrics
from auditkit.review import store as review_store
from auditkit.review.projections import comment_projection, review_projection
from auditkit.review.queue import Assignment, assignment_from_row
from auditkit.review.sampling import facts_of
from auditkit.rubric import (
    NOT_APPLICABLE,
    Rubric,
    format_score,
    iqs,
    rating_problems,
    score_review,
)

REVEAL_WINDOW = timedelta(minutes=15)
MIN_REVEAL_REASON = 10
MAX_REASON = 1000
MAX_NOTE = 4000
MAX_SUMMARY = 10000
MAX_COMMENT = 4000
MAX_EXAMPLES = 50
EXAMPLE_LABELS = {"exemplary": "Exemplary", "needs_work": "Needs work"}
TEXT_KINDS = frozenset({"message", "internal_note"})
STAFF_ROLES = frozenset({"agent", "supervisor"})


# --- redaction: the one function every screen calls ----------------------------------------


def redacted_text(
    text: str,
    *,
    participants: Iterable[LedgerParticipant],
    redactor: Redactor | None = None,
) -> Redacted:
    """``text`` with personal data masked, as every review screen shows it by default.

    Uses the floor (:func:`auditkit.pii.masking.default_redactor`) unless a
    redactor is given; screens showing a conversation pass
    :func:`~auditkit.pii.masking.scan_redactor` so the PII scan's findings
    are masked too.
    """
    return (redactor or default_redactor()).redact(text, participants=participants)


# --- values the screens render -------------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    """A reviewer's comment anchored to one message."""

    seq: int
    message_seq: int
    author: str
    text: str
    created_at: str
    review_id: str
    message_number: int | None = None


@dataclass(frozen=True)
class TranscriptItem:
    """One event of the conversation as shown: a message or note, or an inline event line."""

    seq: int
    kind: str  # message | internal_note | assignment | status | consent | validation | ...
    at: str
    role: str | None = None  # customer | agent | bot | supervisor, for messages and notes
    author: str = ""
    text: str = ""
    markers: tuple[str, ...] = ()
    number: int | None = None  # 1-based message number, for anchors and coaching ranges
    comments: tuple[Comment, ...] = ()
    outcome: str | None = None


@dataclass(frozen=True)
class Session:
    """The events between a session's start and end."""

    number: int
    items: tuple[TranscriptItem, ...]


@dataclass(frozen=True)
class Reveal:
    """A logged reveal that currently lets this user read the clear text."""

    seq: int
    reason: str
    at: str
    expires_at: str
    upto_seq: int


@dataclass(frozen=True)
class ReviewSummary:
    """One version of a submitted review, as listed in histories."""

    seq: int
    review_id: str
    version: int
    reviewer: str
    conversation_key: str
    agent_id: str | None
    rubric_id: str
    rubric_version: int
    score: float | None
    critical_failed: bool
    submitted_at: str
    latest: bool = True


@dataclass(frozen=True)
class ConversationPage:
    """A whole conversation, every session in order, redacted unless a reveal is in force."""

    key: str
    channel: str
    segment: str | None
    intents: tuple[str, ...]
    tags: tuple[str, ...]
    participants: tuple[tuple[str, str, str, str], ...]  # (id, role, label, contact if revealed)
    sessions: tuple[Session, ...]
    last_seq: int
    message_seqs: tuple[tuple[int, int], ...]  # (number, seq) of messages and notes
    primary_agent: str | None
    reveal: Reveal | None
    can_reveal: bool
    pii_markers: int
    reviews: tuple[ReviewSummary, ...] = ()
    assignments: tuple[Assignment, ...] = ()


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


@dataclass(frozen=True)
class SubmittedReview:
    """What a submission appended."""

    seq: int
    review_id: str
    version: int
    score: str | None


@dataclass(frozen=True)
class CriterionLine:
    """One criterion of a submitted review, with its level's description."""

    section_id: str
    section_title: str
    criterion_id: str
    label: str
    rating: str
    level: str
    score: str | None
    note: str
    critical_failed: bool
    weight: int


@dataclass(frozen=True)
class ExampleLine:
    """A coaching example of a submitted review."""

    first_seq: int
    last_seq: int
    first_number: int | None
    last_number: int | None
    label: str
    criterion_id: str
    criterion_label: str
    note: str


@dataclass(frozen=True)
class ReviewDetail:
    """One submitted review version in full, read from its ledger record."""

    summary: ReviewSummary
    rubric: Rubric
    rubric_hash: str
    lines: tuple[CriterionLine, ...]
    sections: tuple[tuple[str, str | None, bool], ...]  # (title, score, zeroed)
    score: str | None
    critical_failures: tuple[str, ...]
    text: str
    examples: tuple[ExampleLine, ...]
    versions: tuple[ReviewSummary, ...]
    comments: tuple[Comment, ...]
    conversation_last_seq: int
    supersedes: int | None


@dataclass(frozen=True)
class AgentSummary:
    """An agent's reviewed work over a period."""

    agent_id: str
    name: str | None
    team: str | None
    reviews: int
    iqs: str | None
    critical_failures: int


@dataclass(frozen=True)
class AgentHistory:
    """An agent's reviews (latest versions) and mean score per criterion."""

    summary: AgentSummary
    reviews: tuple[ReviewSummary, ...]
    criteria: tuple[tuple[str, str, str | None, int], ...]  # (id, label, mean, rated)


@dataclass(frozen=True)
class CoachingExample:
    """A message range marked by a reviewer as exemplary or needing work."""

    conversation_key: str
    first_seq: int
    last_seq: int
    label: str
    criterion_id: str
    criterion_label: str
    note: str
    agent_id: str | None
    reviewer: str
    submitted_at: str
    review_seq: int
    excerpt: tuple[TranscriptItem, ...]


# --- reading conversations -----------------------------------------------------------------


def _load(conn: Connection, key: str, master: MasterKey | None) -> LedgerConversation:
    (conversation,) = load_conversations(conn, [key], master=master)
    return conversation


def _label(conversation: LedgerConversation, pid: Any, *, clear: bool) -> str:
    if not isinstance(pid, str):
        return "nobody"
    person = conversation.participants.get(pid)
    if person is None:
        return pid
    if person.role == "customer" and not clear:
        return "Customer"
    return person.name or pid


def _comment(row: Mapping[str, Any]) -> Comment:
    return Comment(
        seq=int(row["seq"]),
        message_seq=int(row["message_seq"]),
        author=row["author"],
        text=row["text"],
        created_at=row["created_at"],
        review_id=row["review_id"],
    )


def _summary(row: Mapping[str, Any]) -> ReviewSummary:
    return ReviewSummary(
        seq=int(row["seq"]),
        review_id=row["review_id"],
        version=int(row["version"]),
        reviewer=row["reviewer"],
        conversation_key=row["conversation_key"],
        agent_id=row["agent_id"],
        rubric_id=row["rubric_id"],
        rubric_version=int(row["rubric_version"]),
        score=row["score"],
        critical_failed=bool(row["critical_failed"]),
        submitted_at=row["submitted_at"],
        latest=bool(row.get("latest", True)),
    )


def _event_item(
    conversation: LedgerConversation,
    event: LedgerEvent,
    *,
    clear: bool,
    redactor: Redactor | None,
) -> TranscriptItem:
    body = event.body
    at = format_time(event.at)
    people = conversation.participants.values()

    def shown(value: Any) -> Redacted:
        text = "" if value is None else str(value)
        return (
            Redacted(text) if clear else redacted_text(text, participants=people, redactor=redactor)
        )

    def who(pid: Any) -> str:
        return _label(conversation, pid, clear=clear)

    kind = event.kind
    if kind in TEXT_KINDS:
        message = shown(body.get("text"))
        return TranscriptItem(
            seq=event.seq,
            kind=kind,
            at=at,
            role=conversation.role_of(body.get("author")) or "unknown",
            author=who(body.get("author")),
            text=message.text,
            markers=message.markers,
        )
    if kind == "assignment":
        reason = shown(body.get("reason")) if body.get("reason") else Redacted("")
        source = who(body.get("from")) if body.get("from") else "the queue"
        line = f"Ownership: {source} → {who(body.get('to'))}"
        return TranscriptItem(
            seq=event.seq,
            kind=kind,
            at=at,
            text=line + (f" — {reason.text}" if reason.text else ""),
            markers=reason.markers,
        )
    if kind == "status":
        words = {
            "opened": "Conversation opened",
            "resolved": "Resolved",
            "reopened": "Reopened",
            "session_started": "Session started",
            "session_ended": "Session ended",
        }
        status = str(body.get("status"))
        return TranscriptItem(seq=event.seq, kind=kind, at=at, text=words.get(status, status))
    if kind == "consent":
        decision = str(body.get("decision"))
        actor = f", recorded by {who(body.get('actor'))}" if body.get("actor") else ""
        return TranscriptItem(
            seq=event.seq,
            kind="consent",
            at=at,
            text=f"Consent {decision} by {who(body.get('subject'))} for {body.get('scope')}{actor}",
            outcome="pass" if decision == "given" else "fail",
        )
    if kind == "action":
        name = str(body.get("name"))
        outcome = body.get("outcome")
        fields = body.get("fields") or {}
        detail = shown(
            ", ".join(
                f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                for k, v in fields.items()
                if k not in {"text", "values"}
            )
        )
        validation = "verif" in name or "validat" in name
        actor = f" by {who(body.get('actor'))}" if body.get("actor") else ""
        text = f"{'Validation' if validation else 'Action'}: {name}{actor}"
        if outcome:
            text += f": {outcome}"
        if detail.text:
            text += f" ({detail.text})"
        return TranscriptItem(
            seq=event.seq,
            kind="validation" if validation else "action",
            at=at,
            text=text,
            markers=detail.markers,
            outcome={"success": "pass", "failure": "fail"}.get(str(outcome)),
        )
    if kind == "escalation":
        reason = shown(body.get("reason"))
        parts = ["Escalated"]
        if body.get("to"):
            parts.append(f"to {body['to']}")
        if body.get("by"):
            parts.append(f"by {who(body['by'])}")
        text = " ".join(parts) + (f" — {reason.text}" if reason.text else "")
        return TranscriptItem(seq=event.seq, kind=kind, at=at, text=text, markers=reason.markers)
    if kind == "csat":
        comment = shown(body.get("comment"))
        scale = body.get("scale")
        text = f"CSAT {body.get('score')}" + (f"/{scale}" if scale else "")
        if comment.text:
            text += f": “{comment.text}”"
        return TranscriptItem(seq=event.seq, kind=kind, at=at, text=text, markers=comment.markers)
    if kind == "tag":
        return TranscriptItem(seq=event.seq, kind=kind, at=at, text=f"Tagged {body.get('tag')}")
    if kind == "resolution_code":
        return TranscriptItem(
            seq=event.seq, kind=kind, at=at, text=f"Resolution code: {body.get('code')}"
        )
    return TranscriptItem(seq=event.seq, kind=kind, at=at, text=kind)


def _sessions(
    conversation: LedgerConversation,
    comments: Sequence[Comment],
    *,
    reveal: Reveal | None,
    redactor: Redactor | None = None,
) -> tuple[tuple[Session, ...], tuple[tuple[int, int], ...], int]:
    by_message: dict[int, list[Comment]] = {}
    for comment in comments:
        by_message.setdefault(comment.message_seq, []).append(comment)
    sessions: list[list[TranscriptItem]] = [[]]
    numbers: list[tuple[int, int]] = []
    markers = 0
    for event in conversation.events:
        status = event.body.get("status") if event.kind == "status" else None
        if status in {"session_started", "reopened"} and any(
            item.kind in TEXT_KINDS for item in sessions[-1]
        ):
            sessions.append([])
        clear = reveal is not None and event.seq <= reveal.upto_seq
        item = _event_item(conversation, event, clear=clear, redactor=redactor)
        markers += len(item.markers)
        if item.kind in TEXT_KINDS:
            numbers.append((len(numbers) + 1, event.seq))
            item = replace(item, number=len(numbers), comments=tuple(by_message.get(event.seq, ())))
        sessions[-1].append(item)
    built = tuple(
        Session(number=i + 1, items=tuple(items)) for i, items in enumerate(sessions) if items
    )
    return built, tuple(numbers), markers


def _reveal_in_force(
    conn: Connection, user: User, key: str, reveal_seq: int | None
) -> Reveal | None:
    if reveal_seq is None or not user.can(Permission.PII_REVEAL):
        return None
    entries = ledger_store.entries_by_seq(conn, [reveal_seq])
    if not entries:
        return None
    entry = entries[0]
    record = json.loads(entry.entry)
    body = record["body"]
    if (
        entry.kind != RecordKind.ACCESS
        or entry.conversation_key != key
        or body.get("action") != "reveal"
        or body.get("actor") != user.username
    ):
        return None
    at = parse_time(entry.recorded_at)
    expires = at + REVEAL_WINDOW
    if utc_now() >= expires:
        return None
    return Reveal(
        seq=entry.seq,
        reason=body.get("reason", ""),
        at=entry.recorded_at,
        expires_at=format_time(expires),
        upto_seq=int(body.get("conversation_last_seq", -1)),
    )


def _page(
    conn: Connection,
    installation: Installation,
    user: User,
    conversation: LedgerConversation,
    *,
    reveal_seq: int | None,
    with_history: bool,
) -> ConversationPage:
    reveal = _reveal_in_force(conn, user, conversation.key, reveal_seq)
    comments = [
        _comment(row) for row in review_store.comments_for_conversation(conn, conversation.key)
    ]
    if not user.can(Permission.REVIEW_READ):
        comments = []
    redactor = scan_redactor(conn, installation, [conversation])
    sessions, numbers, markers = _sessions(conversation, comments, reveal=reveal, redactor=redactor)
    reviews: tuple[ReviewSummary, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    if with_history and user.can(Permission.REVIEW_READ):
        reviews = tuple(
            _summary(row) for row in review_store.reviews_for_conversation(conn, conversation.key)
        )
    if with_history and user.can(Permission.QUEUE_MANAGE):
        assignments = tuple(
            assignment_from_row(row)
            for row in review_store.assignments(
                conn,
                conversation_key=conversation.key,
                statuses=("open", "reassigned", "submitted"),
            )
        )
    facts = facts_of(conversation)
    clear = reveal is not None
    return ConversationPage(
        key=conversation.key,
        channel=conversation.channel,
        segment=conversation.segment,
        intents=conversation.intents,
        tags=conversation.tags,
        participants=tuple(
            (
                p.id,
                p.role,
                _label(conversation, p.id, clear=clear),
                " · ".join(x for x in (p.email, p.phone) if x) if clear else "",
            )
            for p in conversation.participants.values()
        ),
        sessions=sessions,
        last_seq=conversation.last_seq,
        message_seqs=numbers,
        primary_agent=facts["primary_agent"],
        reveal=reveal,
        can_reveal=user.can(Permission.PII_REVEAL),
        pii_markers=markers,
        reviews=reviews,
        assignments=assignments,
    )


def conversation_page(
    installation: Installation, user: User, key: str, *, reveal_seq: int | None = None
) -> ConversationPage:
    """The whole conversation, redacted unless ``reveal_seq`` is this user's reveal in force."""
    user.require(Permission.CONVERSATION_READ)
    with read_transaction(installation.engine) as conn:
        conversation = _load(conn, key, installation.master_key())
        return _page(
            conn, installation, user, conversation, reveal_seq=reveal_seq, with_history=True
        )


def conversation_list(
    installation: Installation, user: User, *, search: str | None, limit: int = 100
) -> list[dict[str, Any]]:
    """Conversations by latest activity, for finding one to read."""
    user.require(Permission.CONVERSATION_READ)
    with read_transaction(installation.engine) as conn:
        return review_store.conversation_list(conn, search=search or None, limit=limit)


def reveal(installation: Installation, user: User, key: str, reason: str) -> int:
    """Append an ``access`` record (who, when, why, up to which seq) and return its seq."""
    user.require(Permission.PII_REVEAL)
    reason = " ".join(reason.split())
    if len(reason) < MIN_REVEAL_REASON:
        raise InputRefused(
            [f"reason: say why you need the clear text (at least {MIN_REVEAL_REASON} characters)"]
        )
    if len(reason) > MAX_REASON:
        raise InputRefused([f"reason: at most {MAX_REASON} characters"])
    with appending(installation) as batch:
        with_conversation = ledger_store.conversation_rows(batch.conn, [key])
        if not with_conversation:
            raise NotFound(f"unknown conversation: {key}")
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.ACCESS,
                    conversation=key,
                    occurred_at=utc_now(),
                    body={
                        "action": "reveal",
                        "actor": user.username,
                        "role": str(user.role),
                        "reason": reason,
                        "scope": "conversation text",
                        "conversation_last_seq": int(with_conversation[0]["last_seq"]),
                    },
                )
            ]
        )
    return record.seq


# --- the reviewer's workspace --------------------------------------------------------------


def _own_assignment(conn: Connection, user: User, assignment_id: int) -> dict[str, Any]:
    row = review_store.assignment(conn, assignment_id)
    if row is None:
        raise NotFound(f"no assignment {assignment_id}")
    if row["reviewer_id"] != user.id:
        raise AccessDenied("this assignment belongs to another reviewer")
    if row["status"] == "reassigned":
        raise Conflict("this assignment was reassigned to another reviewer")
    return row


def _refuse_own_work(user: User, conversation: LedgerConversation) -> None:
    if user.participant_id and any(
        p.id == user.participant_id and p.role in STAFF_ROLES
        for p in conversation.participants.values()
    ):
        raise AccessDenied("you took part in this conversation, so you cannot review it")


def workspace(
    installation: Installation, user: User, assignment_id: int, *, reveal_seq: int | None = None
) -> Workspace:
    """The assignment's conversation next to its scoring form (or its submitted review)."""
    user.require(Permission.REVIEW_WRITE)
    with read_transaction(installation.engine) as conn:
        row = _own_assignment(conn, user, assignment_id)
        conversation = _load(conn, row["conversation_key"], installation.master_key())
        _refuse_own_work(user, conversation)
        page = _page(
            conn, installation, user, conversation, reveal_seq=reveal_seq, with_history=True
        )
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
        saved = review_store.draft(conn, assignment_id)
        versions = tuple(_summary(v) for v in review_store.review_versions(conn, row["review_id"]))
        latest_body = _record_body(conn, versions[-1].seq) if versions and saved is None else None
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
    )


def _record_body(conn: Connection, seq: int) -> dict[str, Any]:
    entries = ledger_store.entries_by_seq(conn, [seq])
    if not entries:
        raise NotFound(f"no record {seq}")
    body: dict[str, Any] = json.loads(entries[0].entry)["body"]
    return body


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


def _draft_problems(
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
) -> str:
    """Store the reviewer's unfinished form (autosave); refused whole if any field is invalid."""
    user.require(Permission.REVIEW_WRITE)
    now = format_time(utc_now())
    with operational_transaction(installation.engine) as conn:
        row = _own_assignment(conn, user, assignment_id)
        if row["status"] != "open" and review_store.draft(conn, assignment_id) is None:
            raise Conflict("this review was submitted: start a new version to change it")
        conversation = _load(conn, row["conversation_key"], installation.master_key())
        _refuse_own_work(user, conversation)
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
        problems = _draft_problems(rubric, conversation, draft, complete=False)
        if problems:
            raise InputRefused(problems)
        review_store.save_draft(
            conn, assignment_id, content=json.dumps(draft.content(), sort_keys=True), at=now
        )
    return now


def start_revision(installation: Installation, user: User, assignment_id: int) -> None:
    """Open a draft of a new version of a submitted review, prefilled from the latest one."""
    user.require(Permission.REVIEW_WRITE)
    now = format_time(utc_now())
    with operational_transaction(installation.engine) as conn:
        row = _own_assignment(conn, user, assignment_id)
        if row["status"] != "submitted":
            raise Conflict("only a submitted review can be revised")
        if review_store.draft(conn, assignment_id) is not None:
            return
        versions = review_store.review_versions(conn, row["review_id"])
        body = _record_body(conn, int(versions[-1]["seq"]))
        content = _draft_from_record(body).content()
        review_store.save_draft(conn, assignment_id, content=json.dumps(content), at=now)


def submit_review(
    installation: Installation, user: User, assignment_id: int, draft: DraftInput
) -> SubmittedReview:
    """Score the completed form and append it as a signed ``review`` record (a new version
    when the review was submitted before)."""
    user.require(Permission.REVIEW_WRITE)
    with appending(installation) as batch:
        conn = batch.conn
        row = _own_assignment(conn, user, assignment_id)
        revising = row["status"] == "submitted"
        if revising and review_store.draft(conn, assignment_id) is None:
            raise Conflict("this review was submitted: start a new version to change it")
        conversation = _load(conn, row["conversation_key"], installation.master_key())
        _refuse_own_work(user, conversation)
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
        problems = _draft_problems(rubric, conversation, draft, complete=True)
        if draft.seen_last_seq is not None and draft.seen_last_seq != conversation.last_seq:
            problems.append(
                "the conversation has new events since you opened it: reload the page, "
                "read them, then submit"
            )
        if problems:
            raise InputRefused(problems)
        result = score_review(rubric, draft.ratings)
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
            "agent": facts_of(conversation)["primary_agent"],
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
            "coaching_examples": [
                {
                    "first_seq": int(e.first_seq),
                    "last_seq": int(e.last_seq),
                    "label": e.label,
                    "criterion": e.criterion,
                    "note": e.note.strip(),
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
        seq=record.seq, review_id=row["review_id"], version=version, score=body["score"]
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
        row = _own_assignment(batch.conn, user, assignment_id)
        conversation = _load(batch.conn, row["conversation_key"], installation.master_key())
        _refuse_own_work(user, conversation)
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


# --- submitted reviews, agents, coaching examples ------------------------------------------


def review_detail(installation: Installation, user: User, seq: int) -> ReviewDetail:
    """One submitted review version, from its ledger record."""
    user.require(Permission.REVIEW_READ)
    with read_transaction(installation.engine) as conn:
        row = review_store.review_at(conn, seq)
        if row is None:
            raise NotFound(f"no review record {seq}")
        body = _record_body(conn, seq)
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
        versions = tuple(_summary(v) for v in review_store.review_versions(conn, row["review_id"]))
        comments = tuple(
            _comment(c)
            for c in review_store.comments_for_conversation(conn, row["conversation_key"])
            if c["review_id"] == row["review_id"]
        )
        conversation = _load(conn, row["conversation_key"], installation.master_key())
    numbers = {
        event.seq: index + 1
        for index, event in enumerate(e for e in conversation.events if e.kind in TEXT_KINDS)
    }
    titles = {s.id: s.title for s in rubric.sections}
    lines = []
    for rating in body["ratings"]:
        criterion = rubric.criterion(rating["criterion"])
        level = (
            "Not applicable"
            if rating["rating"] == NOT_APPLICABLE
            else criterion.level(rating["rating"]).description
        )
        lines.append(
            CriterionLine(
                section_id=rating["section"],
                section_title=titles[rating["section"]],
                criterion_id=criterion.id,
                label=criterion.label,
                rating=rating["rating"],
                level=level,
                score=rating["score"],
                note=rating.get("note", ""),
                critical_failed=criterion.id in body["critical_failures"],
                weight=criterion.weight,
            )
        )
    latest_seq = versions[-1].seq if versions else seq
    return ReviewDetail(
        summary=_summary({**row, "latest": latest_seq == seq}),
        rubric=rubric,
        rubric_hash=row["rubric_hash"],
        lines=tuple(lines),
        sections=tuple(
            (titles[s["section"]], s["score"], bool(s["zeroed"])) for s in body["sections"]
        ),
        score=body["score"],
        critical_failures=tuple(body["critical_failures"]),
        text=body.get("summary", ""),
        examples=tuple(
            ExampleLine(
                first_seq=e["first_seq"],
                last_seq=e["last_seq"],
                first_number=numbers.get(e["first_seq"]),
                last_number=numbers.get(e["last_seq"]),
                label=e["label"],
                criterion_id=e["criterion"],
                criterion_label=rubric.criterion(e["criterion"]).label,
                note=e.get("note", ""),
            )
            for e in body.get("coaching_examples", [])
        ),
        versions=versions,
        comments=tuple(replace(c, message_number=numbers.get(c.message_seq)) for c in comments),
        conversation_last_seq=int(body["conversation_last_seq"]),
        supersedes=body.get("supersedes"),
    )


def agents_overview(
    installation: Installation, user: User, *, since: str | None = None, until: str | None = None
) -> list[AgentSummary]:
    """Every reviewed agent with review count, IQS and critical failures in the period."""
    user.require(Permission.AGENT_SCORES_READ)
    with read_transaction(installation.engine) as conn:
        rows = review_store.latest_reviews(conn, since=since, until=until, limit=100_000)
        names = review_store.participant_names(
            conn, sorted({r["agent_id"] for r in rows if r["agent_id"]})
        )
    by_agent: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["agent_id"]:
            by_agent.setdefault(row["agent_id"], []).append(row)
    return [
        _agent_summary(agent, items, names.get(agent, {}))
        for agent, items in sorted(by_agent.items())
    ]


def _agent_summary(
    agent: str, rows: Sequence[Mapping[str, Any]], person: Mapping[str, Any]
) -> AgentSummary:
    return AgentSummary(
        agent_id=agent,
        name=person.get("name"),
        team=person.get("team"),
        reviews=len(rows),
        iqs=format_score(iqs(r["score"] for r in rows)),
        critical_failures=sum(1 for r in rows if r["critical_failed"]),
    )


def agent_history(
    installation: Installation,
    user: User,
    agent_id: str,
    *,
    since: str | None = None,
    until: str | None = None,
) -> AgentHistory:
    """An agent's latest review versions in the period, IQS and per-criterion means."""
    user.require(Permission.AGENT_SCORES_READ)
    with read_transaction(installation.engine) as conn:
        rows = review_store.latest_reviews(conn, agent_id=agent_id, since=since, until=until)
        person = review_store.participant_names(conn, [agent_id]).get(agent_id)
        if person is None and not rows:
            raise NotFound(f"no agent {agent_id}")
        means = review_store.criterion_means(conn, [r["seq"] for r in rows])
        labels: dict[str, str] = {}
        for content_hash in {r["rubric_hash"] for r in rows}:
            for _section, criterion in review_rubrics.stored_rubric(conn, content_hash).criteria():
                labels.setdefault(criterion.id, criterion.label)
    order = list(labels)
    criteria = sorted(
        (
            (
                m["criterion_id"],
                _criterion_label(labels, m["criterion_id"]),
                format_score(iqs([m["mean_score"]])) if m["mean_score"] is not None else None,
                int(m["rated"]),
            )
            for m in means
        ),
        key=lambda item: order.index(item[0]) if item[0] in order else len(order),
    )
    return AgentHistory(
        summary=_agent_summary(agent_id, rows, person or {}),
        reviews=tuple(_summary(r) for r in rows),
        criteria=tuple(criteria),
    )


def _criterion_label(labels: Mapping[str, str], criterion_id: str) -> str:
    """A criterion's label as its rubric gives it, else its id."""
    return labels.get(criterion_id, criterion_id)


@dataclass(frozen=True)
class CoachingView:
    """Coaching examples and the criteria one may filter them by."""

    examples: tuple[CoachingExample, ...]
    criteria: tuple[tuple[str, str], ...]  # (id, label)


def coaching_examples(
    installation: Installation,
    user: User,
    *,
    criterion: str | None = None,
    label: str | None = None,
    agent: str | None = None,
    limit: int = 50,
) -> CoachingView:
    """Marked examples of the latest review versions, with their messages, redacted."""
    user.require(Permission.COACHING_READ)
    with read_transaction(installation.engine) as conn:
        rows = review_store.coaching_example_rows(
            conn, criterion_id=criterion, label=label, agent_id=agent, limit=limit
        )
        keys = sorted({r["conversation_key"] for r in rows})
        conversations = (
            {c.key: c for c in load_conversations(conn, keys, master=installation.master_key())}
            if keys
            else {}
        )
        redactor = scan_redactor(conn, installation, conversations.values())
        labels: dict[str, str] = {}
        for content_hash in {row["rubric_hash"] for row in rows}:
            for _section, item in review_rubrics.stored_rubric(conn, content_hash).criteria():
                labels.setdefault(item.id, item.label)
    examples = []
    for row in rows:
        conversation = conversations[row["conversation_key"]]
        excerpt = tuple(
            _event_item(conversation, event, clear=False, redactor=redactor)
            for event in conversation.events
            if event.kind in TEXT_KINDS and row["first_seq"] <= event.seq <= row["last_seq"]
        )
        examples.append(
            CoachingExample(
                conversation_key=row["conversation_key"],
                first_seq=int(row["first_seq"]),
                last_seq=int(row["last_seq"]),
                label=row["label"],
                criterion_id=row["criterion_id"],
                criterion_label=_criterion_label(labels, row["criterion_id"]),
                note=row["note"],
                agent_id=row["agent_id"],
                reviewer=row["reviewer"],
                submitted_at=row["submitted_at"],
                review_seq=int(row["review_seq"]),
                excerpt=excerpt,
            )
        )
    for rubric in review_rubrics.available_rubrics(installation):
        for _section, item in rubric.criteria():
            labels.setdefault(item.id, item.label)
    return CoachingView(examples=tuple(examples), criteria=tuple(labels.items()))


def rubrics_overview(installation: Installation, user: User) -> list[Rubric]:
    """The rubrics available for new assignments."""
    user.require(Permission.RUBRIC_READ)
    return review_rubrics.available_rubrics(installation)


def rubric_detail(installation: Installation, user: User, content_hash: str) -> Rubric:
    """One rubric by content hash (available or stored with past assignments)."""
    user.require(Permission.RUBRIC_READ)
    return review_rubrics.find_rubric(installation, content_hash)
