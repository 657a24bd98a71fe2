"""AutoQA's tables as projections of the log: the latest ``autoqa`` record per conversation
and rubric, and every ``autoqa.flag`` record.

The same functions write the rows when scores and flags are appended and rebuild them in
``verify``, so an automatic score or a flag edited behind auditkit's back shows as drift
(the dashboard's AutoQA IQS and agreement read these tables).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from auditkit.autoqa.store import erase_flag_notes
from auditkit.ledger.projections.registry import (
    ProjectionSource,
    Row,
    register_projection,
    register_staff_text_eraser,
)
from auditkit.ledger.records import Record, RecordKind


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def score_projection(record: Record) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``autoqa_scores`` row and the ``autoqa_criteria`` rows of an ``autoqa`` record."""
    score, criteria = score_rows(record.conversation, record.body)
    score["record_seq"] = record.seq
    score["scored_at"] = record.recorded_at
    return score, criteria


def score_rows(
    key: str | None, body: Mapping[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The rows of an ``autoqa`` record of conversation ``key`` with ``body``, but for the
    score row's ``record_seq`` and ``scored_at``: what the worker that computed the body
    builds, so the appending process only adds those two (:func:`score_projection`, which
    ``verify`` rebuilds the tables with, calls this too)."""
    rubric_hash = body["rubric_hash"]
    score = {
        "conversation_key": key,
        "rubric_hash": rubric_hash,
        "rubric_id": body["rubric_id"],
        "rubric_version": body["rubric_version"],
        "scorer_version": body["scorer_version"],
        "input_key": body["input_key"],
        "score": _number(body["score"]),
        "confidence": float(body["confidence"]),
        "critical_failed": bool(body["critical_failures"]),
        "signals": json.dumps(
            {part: body[part] for part in ("signals", "messages", "policies")}, sort_keys=True
        ),
    }
    criteria = [
        {
            "conversation_key": key,
            "rubric_hash": rubric_hash,
            "criterion_id": criterion,
            "level": found["level"],
            "score": _number(found["score"]),
            "confidence": float(found["confidence"]),
            "evidence": json.dumps(found["evidence_seqs"]),
            "reason": found["reason"],
        }
        for criterion, found in body["criteria"].items()
    ]
    return score, criteria


def flag_projection(record: Record) -> dict[str, Any]:
    """The ``autoqa_flags`` row of an ``autoqa.flag`` record."""
    body = record.body
    return {
        "seq": record.seq,
        "conversation_key": record.conversation,
        "rubric_hash": body["rubric_hash"],
        "criterion_id": body["criterion_id"],
        "autoqa_seq": body["autoqa_seq"],
        "level": body["level"],
        "flagged_by": body["flagged_by"],
        "note": body["note"],
        "created_at": record.recorded_at,
    }


class AutoqaRebuilder:
    """Replays ``autoqa`` and ``autoqa.flag`` records into AutoQA's tables' rows."""

    def __init__(self) -> None:
        self.latest: dict[tuple[str | None, str], tuple[Row, list[Row]]] = {}
        self.flags: list[Row] = []

    def apply(self, record: Record) -> None:
        """Add one record (in seq order): a later score replaces the earlier one."""
        if record.kind == RecordKind.AUTOQA:
            score, criteria = score_projection(record)
            self.latest[(record.conversation, score["rubric_hash"])] = (score, criteria)
        elif record.kind == RecordKind.AUTOQA_FLAG:
            self.flags.append(flag_projection(record))

    def rows(self) -> Mapping[str, Iterable[Row]]:
        """The expected rows of each AutoQA table."""
        return {
            "autoqa_scores": [score for score, _c in self.latest.values()],
            "autoqa_criteria": [row for _s, criteria in self.latest.values() for row in criteria],
            "autoqa_flags": self.flags,
        }


register_projection(
    ProjectionSource(
        feature="autoqa",
        primary_keys={
            "autoqa_scores": ("conversation_key", "rubric_hash"),
            "autoqa_criteria": ("conversation_key", "rubric_hash", "criterion_id"),
            "autoqa_flags": ("seq",),
        },
        rebuilder=AutoqaRebuilder,
    )
)

# A flag's note is staff-typed text: sealed in the record, erased here with the subject.
register_staff_text_eraser("autoqa", erase_flag_notes)
