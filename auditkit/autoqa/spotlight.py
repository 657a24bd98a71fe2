"""Spotlight sampling: draw the review sample by AutoQA score, by signal (a negative sentiment
swing, an unanswered question, a long silence, a failed policy) or where AutoQA is least
confident ("most informative").

AutoQA sits above the queue, so the queue never reads an automatic score: this module turns
the chosen focus into the queue's ``Spotlight`` (the conversations allowed, and their
confidence as the priority) and hands the request on to ``review.queue.sample_and_assign``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.autoqa import store as autoqa_store
from auditkit.autoqa.service import autoqa_rubrics
from auditkit.db.engine import read_transaction
from auditkit.errors import InputRefused
from auditkit.ledger.installation import Installation
from auditkit.review import queue as review_queue
from auditkit.review.sampling import SampleOutcome, SampleRequest, SamplingMethod, Spotlight

NEGATIVE_SWING_AT_MOST = -0.3  # sentiment change (VADER compound, end − start)
DEFAULT_SILENCE_MINUTES = 30


class AutoqaSignal(StrEnum):
    """A signal a spotlight draw can require (every chosen one must hold)."""

    NEGATIVE_SWING = "negative_swing"
    UNANSWERED_QUESTION = "unanswered_question"
    LONG_SILENCE = "long_silence"
    FAILED_POLICY = "failed_policy"

    @property
    def label(self) -> str:
        """The signal as shown in the app."""
        return {
            AutoqaSignal.NEGATIVE_SWING: "Negative sentiment swing",
            AutoqaSignal.UNANSWERED_QUESTION: "Unanswered question",
            AutoqaSignal.LONG_SILENCE: "Long silence",
            AutoqaSignal.FAILED_POLICY: "Failed policy",
        }[self]


@dataclass(frozen=True)
class AutoqaFocus:
    """What a spotlight draw asks of the automatic score: a score range (0-100) and signals."""

    score_min: float | None = None
    score_max: float | None = None
    signals: frozenset[AutoqaSignal] = field(default_factory=frozenset)
    silence_minutes: int = DEFAULT_SILENCE_MINUTES

    @property
    def active(self) -> bool:
        """Whether the focus restricts anything."""
        return self.score_min is not None or self.score_max is not None or bool(self.signals)

    def text(self) -> str:
        """One line ("AutoQA score 0-60, signals: unanswered_question"); empty when inactive."""
        parts = []
        if self.score_min is not None or self.score_max is not None:
            low = 0.0 if self.score_min is None else self.score_min
            high = 100.0 if self.score_max is None else self.score_max
            parts.append(f"AutoQA score {low:g}-{high:g}")
        if self.signals:
            parts.append(f"signals: {', '.join(sorted(self.signals))}")
        if AutoqaSignal.LONG_SILENCE in self.signals:
            parts.append(f"silence at least {self.silence_minutes} min")
        return ", ".join(parts)

    def document(self) -> dict[str, Any]:
        """As kept with the sample's rule."""
        return {
            "autoqa_score_min": self.score_min,
            "autoqa_score_max": self.score_max,
            "autoqa_signals": sorted(str(s) for s in self.signals),
            "silence_minutes": self.silence_minutes,
        }


def _score(raw: str, field_name: str, problems: list[str]) -> float | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{field_name}: {raw[:20]!r} is not a number")
        return None
    if not 0 <= value <= 100:
        problems.append(f"{field_name}: {raw[:20]} is not between 0 and 100")
        return None
    return value


def focus_from_values(
    *,
    score_min: str = "",
    score_max: str = "",
    signals: Sequence[str] = (),
    silence_minutes: str = "",
) -> AutoqaFocus:
    """A focus from the form's (or a saved rule's) text values; every bad field refused at once,
    each named."""
    problems: list[str] = []
    low = _score(score_min, "AutoQA score from", problems)
    high = _score(score_max, "AutoQA score to", problems)
    if low is not None and high is not None and low > high:
        problems.append(f"AutoQA score range: from {low:g} is above to {high:g}")
    chosen: set[AutoqaSignal] = set()
    for value in signals:
        try:
            chosen.add(AutoqaSignal(value))
        except ValueError:
            known = ", ".join(str(s) for s in AutoqaSignal)
            problems.append(f"AutoQA signals: unknown signal {value[:40]!r} (known: {known})")
    minutes = DEFAULT_SILENCE_MINUTES
    raw = silence_minutes.strip()
    if raw:
        if raw.isascii() and raw.isdigit() and int(raw) >= 1:
            minutes = int(raw)
        else:
            problems.append(f"long silence: {raw[:20]!r} is not a whole number of minutes (1+)")
    if problems:
        raise InputRefused(problems)
    return AutoqaFocus(low, high, frozenset(chosen), minutes)


def _signal_value(signals: Mapping[str, Any], name: str) -> float | None:
    value = (signals.get(name) or {}).get("value")
    return None if value is None else float(value)


def signals_hold(document: Mapping[str, Any], focus: AutoqaFocus) -> bool:
    """Whether a stored score's signals (the record's ``signals`` part) meet every chosen one."""
    signals = document.get("signals") or {}
    for wanted in focus.signals:
        if wanted == AutoqaSignal.NEGATIVE_SWING:
            change = _signal_value(signals, "sentiment_change")
            if change is None or change > NEGATIVE_SWING_AT_MOST:
                return False
        elif wanted == AutoqaSignal.UNANSWERED_QUESTION:
            if (_signal_value(signals, "unanswered_questions") or 0) < 1:
                return False
        elif wanted == AutoqaSignal.LONG_SILENCE:
            gap = _signal_value(signals, "longest_agent_gap_seconds")
            if gap is None or gap < focus.silence_minutes * 60:
                return False
        elif (_signal_value(signals, "policy_failures") or 0) < 1:
            return False
    return True


def signal_conditions(focus: AutoqaFocus) -> list[autoqa_store.SignalCondition]:
    """The chosen signals as conditions the database checks on the stored scores: the same
    test as :func:`signals_hold` (tests/integration/test_spotlight_sql.py compares them)."""
    conditions: list[autoqa_store.SignalCondition] = []
    for wanted in sorted(focus.signals):
        if wanted == AutoqaSignal.NEGATIVE_SWING:
            conditions.append(("sentiment_change", "<=", NEGATIVE_SWING_AT_MOST, False))
        elif wanted == AutoqaSignal.UNANSWERED_QUESTION:
            conditions.append(("unanswered_questions", ">=", 1, True))
        elif wanted == AutoqaSignal.LONG_SILENCE:
            conditions.append(
                ("longest_agent_gap_seconds", ">=", focus.silence_minutes * 60, False)
            )
        else:
            conditions.append(("policy_failures", ">=", 1, True))
    return conditions


def spotlight_of(installation: Installation, rubric_hash: str, focus: AutoqaFocus) -> Spotlight:
    """The conversations whose automatic score against ``rubric_hash`` meets ``focus``, with
    their confidence as the priority (one read of the rubric's scores)."""
    if rubric_hash not in {r.content_hash for r in autoqa_rubrics(installation)}:
        raise InputRefused(
            [
                "AutoQA: the chosen rubric has no auto-scorer, so it has no automatic scores to "
                "draw by (choose an auto-scored rubric, or clear the AutoQA fields)"
            ]
        )
    with read_transaction(installation.engine) as conn:
        rows = autoqa_store.spotlight_rows(
            conn,
            rubric_hash,
            score_min=focus.score_min,
            score_max=focus.score_max,
            conditions=signal_conditions(focus),
        )
    priority = {key: confidence for key, _score, confidence in rows}
    return Spotlight(keys=frozenset(priority), rule=focus.document(), priority=priority)


def sample_with_focus(
    installation: Installation, user: User, request: SampleRequest, focus: AutoqaFocus
) -> SampleOutcome:
    """Draw and assign as the queue does, restricted by ``focus`` (and, for the most
    informative method, the least confident first); without either, the queue's own draw."""
    user.require(Permission.QUEUE_MANAGE)
    if focus.active or request.method == SamplingMethod.MOST_INFORMATIVE:
        request = replace(request, spotlight=spotlight_of(installation, request.rubric_hash, focus))
    return review_queue.sample_and_assign(installation, user, request)
