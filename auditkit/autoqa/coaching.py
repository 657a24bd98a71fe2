"""Candidate coaching examples found in AutoQA's evidence ("apology without a fix",
"resolution confirmed", "unanswered question", ...), shown redacted for a coach to look at.

A candidate is never an example by itself: a reviewer confirms it into the library through the
existing path, a coaching example in their review of the conversation (their draft, then the
signed ``review`` record when they submit). ``confirm_candidate`` only adds it to that draft.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.autoqa import store as autoqa_store
from auditkit.autoqa.spotlight import NEGATIVE_SWING_AT_MOST
from auditkit.db.engine import read_transaction
from auditkit.errors import InputRefused
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import TEXT_KINDS
from auditkit.pii.masking import scan_redactor
from auditkit.review import queue as review_queue
from auditkit.review import workspace as workspaces
from auditkit.review.rubrics import DEFAULT_RUBRIC_ID

MAX_CANDIDATES = 100
EVIDENCE_SHOWN = 4  # evidence messages a candidate shows (and spans)


class Evidence(StrEnum):
    """What AutoQA found that makes a conversation a candidate example."""

    APOLOGY_WITHOUT_FIX = "apology_without_fix"
    RESOLUTION_CONFIRMED = "resolution_confirmed"
    UNANSWERED_QUESTION = "unanswered_question"
    EMPATHY = "empathy"
    NEGATIVE_SWING = "negative_swing"
    REPEATED_QUESTION = "repeated_question"

    @property
    def label(self) -> str:
        """As shown in the app."""
        return {
            Evidence.APOLOGY_WITHOUT_FIX: "Apology without a fix",
            Evidence.RESOLUTION_CONFIRMED: "Resolution confirmed",
            Evidence.UNANSWERED_QUESTION: "Unanswered question",
            Evidence.EMPATHY: "Empathy statement",
            Evidence.NEGATIVE_SWING: "Customer's sentiment fell",
            Evidence.REPEATED_QUESTION: "Asked again for what the customer gave",
        }[self]

    @property
    def example_label(self) -> str:
        """The kind of example it suggests: exemplary or needs work."""
        good = {Evidence.RESOLUTION_CONFIRMED, Evidence.EMPATHY}
        return "exemplary" if self in good else "needs_work"


def _value(signals: Mapping[str, Any], name: str) -> tuple[float, tuple[int, ...]]:
    found = signals.get(name) or {}
    value = found.get("value")
    return (0.0 if value is None else float(value)), tuple(found.get("seqs") or ())


def evidence_seqs(signals: Mapping[str, Any], wanted: Evidence) -> tuple[int, ...]:
    """The seqs of the messages showing ``wanted`` in a stored score's signals (empty: none)."""
    if wanted == Evidence.APOLOGY_WITHOUT_FIX:
        apologies, seqs = _value(signals, "apologies")
        steps, _s = _value(signals, "next_steps")
        return seqs if apologies >= 1 and steps == 0 else ()
    if wanted == Evidence.NEGATIVE_SWING:
        found = signals.get("sentiment_change") or {}
        if found.get("value") is None or float(found["value"]) > NEGATIVE_SWING_AT_MOST:
            return ()
        return tuple(found.get("seqs") or ())
    name = {
        Evidence.RESOLUTION_CONFIRMED: "resolution_confirmed",
        Evidence.UNANSWERED_QUESTION: "unanswered_questions",
        Evidence.EMPATHY: "empathy",
        Evidence.REPEATED_QUESTION: "repeated_questions",
    }[wanted]
    value, seqs = _value(signals, name)
    return seqs if value >= 1 else ()


def evidence_conditions(wanted: Evidence) -> list[autoqa_store.SignalCondition]:
    """What the database can check of ``wanted`` on the stored signals, so that only rows that
    may show it are read and parsed: necessary conditions of :func:`evidence_seqs`, which
    still decides (a confirmation is a flag, not a number, so it is left to it)."""
    if wanted == Evidence.APOLOGY_WITHOUT_FIX:
        return [("apologies", ">=", 1, True), ("next_steps", "<=", 0, True)]
    if wanted == Evidence.NEGATIVE_SWING:
        return [("sentiment_change", "<=", NEGATIVE_SWING_AT_MOST, False)]
    counted = {
        Evidence.UNANSWERED_QUESTION: "unanswered_questions",
        Evidence.EMPATHY: "empathy",
        Evidence.REPEATED_QUESTION: "repeated_questions",
    }
    return [(counted[wanted], ">=", 1, True)] if wanted in counted else []


@dataclass(frozen=True)
class EvidenceMessage:
    """One evidence message, redacted."""

    seq: int
    role: str
    text: str


@dataclass(frozen=True)
class CandidateExample:
    """A conversation range AutoQA's evidence points at, for a coach to consider."""

    conversation_key: str
    evidence: Evidence
    label: str  # the example kind it suggests
    criterion: str | None  # the auto-scored criterion whose evidence holds these messages
    first_seq: int
    last_seq: int
    messages: tuple[EvidenceMessage, ...]
    score: float | None  # the automatic score of the conversation
    assignment_id: int | None  # the viewer's own open assignment of it, to confirm into


def evidence_choice(value: str) -> Evidence:
    """The evidence asked for; anything else refused, naming the field and the choices."""
    try:
        return Evidence(value.strip())
    except ValueError:
        known = ", ".join(str(e) for e in Evidence)
        raise InputRefused(
            [f"evidence: unknown evidence {value[:40]!r} (known: {known})"]
        ) from None


def candidate_examples(
    installation: Installation,
    user: User,
    wanted: Evidence,
    *,
    agent: str | None = None,
    limit: int = 20,
) -> list[CandidateExample]:
    """Conversations whose AutoQA evidence shows ``wanted`` (the default rubric's score, else the
    first), their evidence messages redacted: one read of the scores, one of their criteria,
    one load of the conversations shown."""
    user.require(Permission.COACHING_READ)
    installation.require_schema()
    limit = max(1, min(limit, MAX_CANDIDATES))
    with read_transaction(installation.engine) as conn:
        rows = sorted(
            autoqa_store.score_rows(conn, conditions=evidence_conditions(wanted)),
            key=lambda r: (r["conversation_key"], r["rubric_id"] != DEFAULT_RUBRIC_ID),
        )
        agents = autoqa_store.keys_of_agent(conn, agent) if agent else None
        chosen: dict[str, tuple[dict[str, Any], tuple[int, ...]]] = {}
        for row in rows:
            key = row["conversation_key"]
            if key in chosen or (agents is not None and key not in agents):
                continue
            seqs = evidence_seqs(json.loads(row["signals"]).get("signals", {}), wanted)
            if seqs:
                chosen[key] = (row, tuple(sorted(seqs))[:EVIDENCE_SHOWN])
            if len(chosen) >= limit:
                break
        keys = list(chosen)
        criteria = autoqa_store.criteria_rows(conn, keys=keys) if keys else []
        loaded = load_conversations(conn, keys, master=installation.master_key()) if keys else []
        # live: unscanned messages are detected now, as the conversation page does
        redactor = scan_redactor(conn, installation, loaded, live=True)
    mine = _own_open_assignments(installation, user)
    by_key = {c.key: c for c in loaded}
    found = []
    for key, (row, seqs) in chosen.items():
        conversation = by_key.get(key)
        if conversation is None:
            continue
        people = tuple(conversation.participants.values())
        messages = tuple(
            EvidenceMessage(
                seq=event.seq,
                role=conversation.role_of(event.body.get("author")) or "",
                text=redactor.redact(str(event.body.get("text", "")), participants=people).text,
            )
            for event in conversation.events
            if event.seq in seqs and event.kind in TEXT_KINDS
        )
        if not messages:
            continue
        found.append(
            CandidateExample(
                conversation_key=key,
                evidence=wanted,
                label=wanted.example_label,
                criterion=_criterion_of(criteria, key, row["rubric_hash"], seqs),
                first_seq=messages[0].seq,
                last_seq=messages[-1].seq,
                messages=messages,
                score=row["score"],
                assignment_id=mine.get(key),
            )
        )
    return found


def _criterion_of(
    criteria: Sequence[Mapping[str, Any]], key: str, rubric_hash: str, seqs: Sequence[int]
) -> str | None:
    """The auto-scored criterion whose evidence shares most messages with ``seqs``."""
    best: tuple[int, str] | None = None
    for row in criteria:
        if row["conversation_key"] != key or row["rubric_hash"] != rubric_hash:
            continue
        shared = len(set(json.loads(row["evidence"])) & set(seqs))
        if shared and (best is None or shared > best[0]):
            best = (shared, row["criterion_id"])
    return None if best is None else best[1]


def _own_open_assignments(installation: Installation, user: User) -> dict[str, int]:
    if not (user.can(Permission.QUEUE_WORK) and user.can(Permission.REVIEW_WRITE)):
        return {}
    return {
        a.conversation_key: a.id
        for a in review_queue.my_queue(installation, user)
        if a.status == "open"
    }


def confirm_candidate(
    installation: Installation,
    user: User,
    assignment_id: int,
    example: workspaces.ExampleInput,
) -> int:
    """Add a candidate as a coaching example to the reviewer's draft of ``assignment_id`` (the
    existing path: checked as any example is, signed with the review on submit). Returns how
    many examples the draft holds."""
    user.require(Permission.REVIEW_WRITE)
    space = workspaces.workspace(installation, user, assignment_id)
    if not space.editable:
        raise InputRefused(["assignment: this review is submitted; start a new version first"])
    draft = replace(space.draft, examples=(*space.draft.examples, example))
    workspaces.save_draft(installation, user, assignment_id, draft)
    return len(draft.examples)
