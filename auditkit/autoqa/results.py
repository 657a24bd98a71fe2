"""Reading automatic scores back (``auditkit autoqa results``, the conversation page) and a
reviewer's flag that an automatic level is wrong (an ``autoqa.flag`` record)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.autoqa import store as autoqa_store
from auditkit.autoqa.agreement import measure_agreement
from auditkit.autoqa.projections import flag_projection
from auditkit.autoqa.service import autoqa_rubrics
from auditkit.db.engine import read_transaction
from auditkit.errors import InputRefused, NotFound
from auditkit.ledger import store as ledger_store
from auditkit.ledger.append import appending
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import RecordDraft, RecordKind
from auditkit.periods import utc_now
from auditkit.review import workspace as workspaces
from auditkit.review.rubrics import DEFAULT_RUBRIC_ID
from auditkit.rubric import NOT_APPLICABLE

MAX_NOTE = 2000


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's stored automatic level."""

    criterion: str
    level: str | None
    score: float | None
    confidence: float
    evidence: tuple[int, ...]
    reason: str
    label: str = ""  # the criterion's label in the rubric, when the rubric is available


@dataclass(frozen=True)
class AutoqaResult:
    """A conversation's latest automatic scorecard against one rubric."""

    conversation_id: str
    rubric_id: str
    rubric_version: int
    rubric_hash: str
    scorer_version: str
    score: float | None
    confidence: float
    critical_failed: bool
    criteria: tuple[CriterionResult, ...]
    signals: dict[str, Any]
    record_seq: int
    scored_at: str

    def document(self) -> dict[str, Any]:
        """The JSON object ``auditkit autoqa results --format jsonl`` prints."""
        return {
            "conversation_id": self.conversation_id,
            "rubric": {
                "id": self.rubric_id,
                "version": self.rubric_version,
                "hash": self.rubric_hash,
            },
            "scorer_version": self.scorer_version,
            "score": self.score,
            "confidence": self.confidence,
            "critical_failed": self.critical_failed,
            "criteria": {
                c.criterion: {
                    "level": c.level,
                    "score": c.score,
                    "confidence": c.confidence,
                    "evidence_seqs": list(c.evidence),
                    "reason": c.reason,
                }
                for c in self.criteria
            },
            "signals": {
                name: {**signal, "value": _number(signal.get("value"))}
                for name, signal in self.signals.get("signals", {}).items()
            },
            "messages": {
                seq: {k: _number(v) if k == "sentiment" else v for k, v in found.items()}
                for seq, found in self.signals.get("messages", {}).items()
            },
            "policies": self.signals.get("policies", {}),
            "record_seq": self.record_seq,
            "scored_at": self.scored_at,
        }


def _number(value: Any) -> Any:
    """A real number the record holds as decimal text, as a JSON number again."""
    return float(value) if isinstance(value, str) else value


def autoqa_results(
    installation: Installation, *, conversation_ids: Sequence[str] = ()
) -> list[AutoqaResult]:
    """The stored automatic scores of every conversation (or those named), in key order.

    Unknown conversation ids are refused; a known conversation not scored yet has none.
    """
    installation.require_schema()
    with read_transaction(installation.engine) as conn:
        keys: list[str] | None = None
        if conversation_ids:
            keys = list(dict.fromkeys(conversation_ids))
            known = set(ledger_store.conversation_keys_matching(conn, keys))
            missing = [key for key in keys if key not in known]
            if missing:
                raise NotFound(f"unknown conversation(s): {', '.join(missing[:5])}")
        scores = autoqa_store.score_rows(conn, keys=keys)
        criteria = autoqa_store.criteria_rows(conn, keys=keys)
    # Criteria in rubric order, with their labels (the table keeps no order).
    layout = {
        r.content_hash: {c.id: (i, c.label) for i, (_s, c) in enumerate(r.criteria())}
        for r in autoqa_rubrics(installation)
    }
    by_score: dict[tuple[str, str], list[CriterionResult]] = {}
    for row in criteria:
        _position, label = layout.get(row["rubric_hash"], {}).get(row["criterion_id"], (0, ""))
        by_score.setdefault((row["conversation_key"], row["rubric_hash"]), []).append(
            CriterionResult(
                criterion=row["criterion_id"],
                level=row["level"],
                score=row["score"],
                confidence=float(row["confidence"]),
                evidence=tuple(json.loads(row["evidence"])),
                reason=row["reason"],
                label=label,
            )
        )
    for key, found in by_score.items():
        order = layout.get(key[1], {})
        found.sort(key=lambda c: (order.get(c.criterion, (len(order), ""))[0], c.criterion))
    return [
        AutoqaResult(
            conversation_id=row["conversation_key"],
            rubric_id=row["rubric_id"],
            rubric_version=int(row["rubric_version"]),
            rubric_hash=row["rubric_hash"],
            scorer_version=row["scorer_version"],
            score=row["score"],
            confidence=float(row["confidence"]),
            critical_failed=bool(row["critical_failed"]),
            criteria=tuple(by_score.get((row["conversation_key"], row["rubric_hash"]), [])),
            signals=json.loads(row["signals"]),
            record_seq=int(row["record_seq"]),
            scored_at=row["scored_at"],
        )
        for row in scores
    ]


@dataclass(frozen=True)
class Flag:
    """A reviewer's mark that an automatic level was wrong."""

    seq: int
    criterion: str
    level: str | None
    flagged_by: str
    note: str
    created_at: str


def flags_of(installation: Installation, key: str) -> list[Flag]:
    """Every flag on a conversation's automatic levels, oldest first."""
    with read_transaction(installation.engine) as conn:
        rows = autoqa_store.flags_of(conn, key)
    return [
        Flag(r["seq"], r["criterion_id"], r["level"], r["flagged_by"], r["note"], r["created_at"])
        for r in rows
    ]


@dataclass(frozen=True)
class ConversationAutoqa:
    """What the conversation page and the workspace show beside (never in) the scorecard."""

    results: tuple[AutoqaResult, ...]
    flags: tuple[Flag, ...]
    trusted: Mapping[str, bool]  # criterion → alpha at or above the setting
    min_alpha: float


def conversation_autoqa(installation: Installation, user: User, key: str) -> ConversationAutoqa:
    """A conversation's automatic scores, the flags on them, and which criteria are trusted.

    Needs the permission to read reviews (an automatic score is a judgement of the agent).
    """
    user.require(Permission.REVIEW_READ)
    results = autoqa_results(installation, conversation_ids=[key])
    trusted: dict[str, bool] = {}
    threshold = installation.settings.autoqa_min_alpha
    if results:
        for rubric in measure_agreement(installation, resamples=0):
            for criterion in rubric.criteria:
                trusted[criterion.criterion] = criterion.trusted
    return ConversationAutoqa(
        results=tuple(results),
        flags=tuple(flags_of(installation, key)),
        trusted=trusted,
        min_alpha=threshold,
    )


def list_scores(installation: Installation, user: User, keys: Sequence[str]) -> dict[str, float]:
    """The automatic score of each of ``keys`` that has one (a list's AutoQA column).

    With several auto-scored rubrics, the default rubric's score is shown, else the first.
    Empty for those who may not read reviews.
    """
    if not keys or not user.can(Permission.REVIEW_READ):
        return {}
    installation.require_schema()
    with read_transaction(installation.engine) as conn:
        rows = autoqa_store.score_rows(conn, keys=list(keys))
    found: dict[str, float] = {}
    for row in sorted(rows, key=lambda r: r["rubric_id"] != DEFAULT_RUBRIC_ID):
        if row["score"] is not None:
            found.setdefault(row["conversation_key"], float(row["score"]))
    return found


def prefill_draft(installation: Installation, user: User, assignment_id: int) -> int:
    """Copy the automatic levels into the reviewer's draft, at the reviewer's request only.

    Only criteria the reviewer has not rated yet are filled; the reviewer's own ratings,
    notes, summary and examples are kept. Refused when the review is not editable or the
    conversation has no automatic score against the assignment's rubric. Returns how many
    criteria were filled. Nothing is submitted: the reviewer still checks and submits.
    """
    space = workspaces.workspace(installation, user, assignment_id)
    if not space.editable:
        raise InputRefused(["this review is submitted: start a new version to change it"])
    found = [
        r
        for r in autoqa_results(installation, conversation_ids=[space.assignment.conversation_key])
        if r.rubric_hash == space.rubric.content_hash
    ]
    if not found:
        raise InputRefused(["no automatic score of this conversation against this rubric yet"])
    allowed = {c.id: c for _s, c in space.rubric.criteria()}
    filled = {
        c.criterion: c.level
        for c in found[0].criteria
        if c.level is not None
        and c.criterion in allowed
        and not space.draft.ratings.get(c.criterion)
        and (c.level != NOT_APPLICABLE or allowed[c.criterion].na_allowed)
    }
    draft = replace(space.draft, ratings={**space.draft.ratings, **filled})
    workspaces.save_draft(installation, user, assignment_id, draft)
    return len(filled)


def flag_by(
    installation: Installation,
    user: User,
    *,
    conversation_id: str,
    rubric_hash: str,
    criterion_id: str,
    note: str,
) -> int:
    """A reviewer marks an automatic level wrong (needs the permission to write reviews)."""
    user.require(Permission.REVIEW_WRITE)
    return flag_wrong(
        installation,
        conversation_id=conversation_id,
        rubric_hash=rubric_hash,
        criterion_id=criterion_id,
        actor=user.username,
        note=note,
    )


def flag_wrong(
    installation: Installation,
    *,
    conversation_id: str,
    rubric_hash: str,
    criterion_id: str,
    actor: str,
    note: str,
) -> int:
    """Record that the automatic level of one criterion is wrong; returns the record's seq.

    Refuses a criterion the conversation's latest automatic score does not have, and a note
    over 2000 characters. The automatic score itself is never changed: the flag is counted
    beside it (and in the agreement table).
    """
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InputRefused([f"note: longer than {MAX_NOTE} characters"])
    current = [
        r
        for r in autoqa_results(installation, conversation_ids=[conversation_id])
        if r.rubric_hash == rubric_hash
    ]
    if not current:
        raise NotFound(f"no automatic score of {conversation_id} against rubric {rubric_hash[:12]}")
    result = current[0]
    level = next((c.level for c in result.criteria if c.criterion == criterion_id), None)
    if all(c.criterion != criterion_id for c in result.criteria):
        raise InputRefused([f"criterion: {criterion_id!r} has no automatic level here"])
    now = utc_now()
    with appending(installation) as batch:
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.AUTOQA_FLAG,
                    conversation=conversation_id,
                    occurred_at=now,
                    body={
                        "autoqa_seq": result.record_seq,
                        "rubric_hash": rubric_hash,
                        "criterion_id": criterion_id,
                        "level": level,
                        "flagged_by": actor,
                        "note": note,
                    },
                )
            ]
        )
        autoqa_store.insert_flag(batch.conn, flag_projection(record))
    return record.seq
