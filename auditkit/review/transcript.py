"""A conversation as the review app shows it: redacted transcript, sessions, reviews, reveals."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.errors import InputRefused, NotFound
from auditkit.ledger import store as ledger_store
from auditkit.ledger.access import AccessAction, access_record
from auditkit.ledger.append import appending
from auditkit.ledger.conversation import (
    LedgerConversation,
    LedgerEvent,
    LedgerParticipant,
)
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import TEXT_KINDS, RecordKind, format_time, parse_time
from auditkit.ledger.sealing.cipher import MasterKey
from auditkit.periods import utc_now
from auditkit.pii.masking import (
    Redacted,
    Redactor,
    default_redactor,
    redact_fields,
    scan_redactor,
)
from auditkit.review import search_store
from auditkit.review import store as review_store
from auditkit.review.findings import PolicyResult, conversation_results
from auditkit.review.queue import Assignment, assignment_from_row
from auditkit.review.sampling import facts_of

REVEAL_WINDOW = timedelta(minutes=15)


MIN_REVEAL_REASON = 10


MAX_REASON = 1000


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
    checks: tuple[PolicyResult, ...] = ()  # every policy's latest result, failures first
    erasure_seq: int | None = None  # the customer's erasure record, when they were erased


def load_conversation(conn: Connection, key: str, master: MasterKey | None) -> LedgerConversation:
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


def comment_of(row: Mapping[str, Any]) -> Comment:
    return Comment(
        seq=int(row["seq"]),
        message_seq=int(row["message_seq"]),
        author=row["author"],
        text=row["text"],
        created_at=row["created_at"],
        review_id=row["review_id"],
    )


def review_summary(row: Mapping[str, Any]) -> ReviewSummary:
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


def transcript_item(
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
    if kind == RecordKind.ASSIGNMENT:
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
    if kind == RecordKind.STATUS:
        words = {
            "opened": "Conversation opened",
            "resolved": "Resolved",
            "reopened": "Reopened",
            "session_started": "Session started",
            "session_ended": "Session ended",
        }
        status = str(body.get("status"))
        return TranscriptItem(seq=event.seq, kind=kind, at=at, text=words.get(status, status))
    if kind == RecordKind.CONSENT:
        decision = str(body.get("decision"))
        actor = f", recorded by {who(body.get('actor'))}" if body.get("actor") else ""
        return TranscriptItem(
            seq=event.seq,
            kind="consent",
            at=at,
            text=f"Consent {decision} by {who(body.get('subject'))} for {body.get('scope')}{actor}",
            outcome="pass" if decision == "given" else "fail",
        )
    if kind == RecordKind.ACTION:
        name = str(body.get("name"))
        outcome = body.get("outcome")
        fields = body.get("fields") or {}
        detail = (
            Redacted(
                ", ".join(
                    f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                    for k, v in fields.items()
                    if k not in {"text", "values"}
                )
            )
            if clear
            else redact_fields(
                fields,
                redactor or default_redactor(),
                people,
                skip=frozenset({"text", "values"}),
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
    if kind == RecordKind.ESCALATION:
        reason = shown(body.get("reason"))
        parts = ["Escalated"]
        if body.get("to"):
            parts.append(f"to {body['to']}")
        if body.get("by"):
            parts.append(f"by {who(body['by'])}")
        text = " ".join(parts) + (f" — {reason.text}" if reason.text else "")
        return TranscriptItem(seq=event.seq, kind=kind, at=at, text=text, markers=reason.markers)
    if kind == RecordKind.CSAT:
        comment = shown(body.get("comment"))
        scale = body.get("scale")
        text = f"CSAT {body.get('score')}" + (f"/{scale}" if scale else "")
        if comment.text:
            text += f": “{comment.text}”"
        return TranscriptItem(seq=event.seq, kind=kind, at=at, text=text, markers=comment.markers)
    if kind == RecordKind.TAG:
        return TranscriptItem(seq=event.seq, kind=kind, at=at, text=f"Tagged {body.get('tag')}")
    if kind == RecordKind.RESOLUTION_CODE:
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
    people = list(conversation.participants.values())
    for comment in comments:
        if reveal is None or comment.message_seq > reveal.upto_seq:
            comment = replace(
                comment,
                text=redacted_text(comment.text, participants=people, redactor=redactor).text,
            )
        by_message.setdefault(comment.message_seq, []).append(comment)
    sessions: list[list[TranscriptItem]] = [[]]
    numbers: list[tuple[int, int]] = []
    markers = 0
    for event in conversation.events:
        status = event.body.get("status") if event.kind == RecordKind.STATUS else None
        if status in {"session_started", "reopened"} and any(
            item.kind in TEXT_KINDS for item in sessions[-1]
        ):
            sessions.append([])
        clear = reveal is not None and event.seq <= reveal.upto_seq
        item = transcript_item(conversation, event, clear=clear, redactor=redactor)
        markers += len(item.markers)
        if item.kind in TEXT_KINDS:
            numbers.append((len(numbers) + 1, event.seq))
            item = replace(item, number=len(numbers), comments=tuple(by_message.get(event.seq, ())))
        sessions[-1].append(item)
    built = tuple(
        Session(number=i + 1, items=tuple(items)) for i, items in enumerate(sessions) if items
    )
    return built, tuple(numbers), markers


def _shown_texts(
    conversation: LedgerConversation, comments: Sequence[Comment], reveal: Reveal | None
) -> list[str]:
    """The free texts ``_sessions`` will redact (those past any reveal): detected as one batch."""
    upto = reveal.upto_seq if reveal is not None else -1
    texts = [c.text for c in comments if c.message_seq > upto]
    if reveal is not None:
        texts.append(reveal.reason)
    for event in conversation.events:
        if event.seq <= upto:
            continue
        for field in ("text", "reason", "comment"):
            value = event.body.get(field)
            if isinstance(value, str):
                texts.append(value)
    return texts


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
        or body.get("action") != AccessAction.REVEAL
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


def transcript_page(
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
        comment_of(row) for row in review_store.comments_for_conversation(conn, conversation.key)
    ]
    if not user.can(Permission.REVIEW_READ):
        comments = []
    redactor = scan_redactor(conn, installation, [conversation], live=True)
    redactor.prepare(
        _shown_texts(conversation, comments, reveal),
        participants=conversation.participants.values(),
    )
    if reveal is not None:
        people = list(conversation.participants.values())
        reveal = replace(reveal, reason=redactor.redact(reveal.reason, participants=people).text)
    sessions, numbers, markers = _sessions(conversation, comments, reveal=reveal, redactor=redactor)
    reviews: tuple[ReviewSummary, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    if with_history and user.can(Permission.REVIEW_READ):
        reviews = tuple(
            review_summary(row)
            for row in review_store.reviews_for_conversation(conn, conversation.key)
        )
    if with_history and user.can(Permission.QUEUE_MANAGE):
        assignments = tuple(
            assignment_from_row(row)
            for row in review_store.assignments(
                conn,
                conversation_key=conversation.key,
                statuses=("open", "reassigned", "submitted", "erased"),
            )
        )
    facts = facts_of(conversation)
    clear = reveal is not None
    checks = conversation_results(conn, conversation, redactor, agent=facts["primary_agent"])
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
        checks=checks,
        erasure_seq=search_store.erasure_of(conn, conversation.key),
    )


def conversation_page(
    installation: Installation, user: User, key: str, *, reveal_seq: int | None = None
) -> ConversationPage:
    """The whole conversation, redacted unless ``reveal_seq`` is this user's reveal in force."""
    user.require(Permission.CONVERSATION_READ)
    with read_transaction(installation.engine) as conn:
        conversation = load_conversation(conn, key, installation.master_key())
        return transcript_page(
            conn, installation, user, conversation, reveal_seq=reveal_seq, with_history=True
        )


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
                access_record(
                    AccessAction.REVEAL,
                    actor=user.username,
                    role=str(user.role),
                    conversation=key,
                    occurred_at=utc_now(),
                    reason=reason,
                    scope="conversation text",
                    conversation_last_seq=int(with_conversation[0]["last_seq"]),
                )
            ]
        )
    return record.seq
