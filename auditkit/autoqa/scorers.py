"""Auto-scorers: from a conversation's signals to a level per rubric criterion, with a
confidence and the evidence seqs, then the same scoring rules as a human review.

Scorers are small classes in one registry (``SCORERS``), keyed by the name a rubric's
``autoqa.scorer`` gives (docs/scoring.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, ClassVar, Protocol

from auditkit.autoqa.signals import ConversationSignals
from auditkit.ledger.records import canonical_json
from auditkit.rubric import NOT_APPLICABLE, Criterion, Rubric, Section, format_score, score_review
from auditkit.rubric.autoscoring import AutoScorer, ScorerName
from auditkit.rubric.model import Scale
from auditkit.rubric.scoring import ReviewScore

_formatted = lru_cache(maxsize=4096)(format_score)  # few distinct level scores; Decimal is slow
_normalised = lru_cache(maxsize=256)(Scale.normalise)  # (scale, level) → its Fraction: few

SIGNALS_VERSION = "1"
"""Raise when a signal is computed differently: every conversation is then scored again."""


@dataclass(frozen=True)
class CriterionScore:
    """One criterion's automatic level (None: could not be scored), confidence and evidence."""

    criterion: str
    level: str | None
    confidence: float
    evidence: tuple[int, ...]
    reason: str
    score: Fraction | None = None

    def document(self) -> dict[str, Any]:
        """As stored in the ``autoqa`` record."""
        return {
            "level": self.level,
            "score": _formatted(self.score),
            "confidence": f"{self.confidence:.3f}",
            "evidence_seqs": list(self.evidence),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class AutoScore:
    """A conversation's automatic scorecard against one rubric."""

    rubric: Rubric
    criteria: tuple[CriterionScore, ...]
    score: Fraction | None
    confidence: float
    critical_failures: tuple[str, ...]


class Scorer(Protocol):
    """Gives one criterion its level from the signals."""

    def score(
        self, criterion: Criterion, auto: AutoScorer, signals: ConversationSignals
    ) -> CriterionScore:
        """The criterion's level, confidence, evidence and why."""
        ...


class SignalRules:
    """The first rule whose every condition holds gives the level; else ``otherwise``."""

    name: ClassVar[ScorerName] = ScorerName.SIGNALS

    def score(
        self, criterion: Criterion, auto: AutoScorer, signals: ConversationSignals
    ) -> CriterionScore:
        """The level of the first rule that holds, its evidence the seqs of its signals."""
        for rule in auto.rules:
            if all(c.holds(signals.value(c.signal)) for c in rule.conditions):
                evidence = sorted(
                    {s for c in rule.conditions for s in signals.signals[c.signal].seqs}
                )
                return CriterionScore(
                    criterion.id, rule.level, rule.confidence, tuple(evidence), f"when {rule.when}"
                )
        return CriterionScore(
            criterion.id,
            auto.otherwise,
            auto.otherwise_confidence,
            (),
            f"none of its {len(auto.rules)} rules held: otherwise",
        )


class PolicyResults:
    """Follows the checks: any named policy failed → fail; any passed → pass; else N/A.

    A criterion that may not be N/A passes when every policy found nothing to judge (the
    gate's "or not needed"). With no stored result for any named policy (``auditkit
    check`` not run yet) the criterion is left unscored rather than guessed.
    """

    name: ClassVar[ScorerName] = ScorerName.POLICY

    def score(
        self, criterion: Criterion, auto: AutoScorer, signals: ConversationSignals
    ) -> CriterionScore:
        """The level the stored policy results give, their evidence seqs its evidence."""
        found = {p: signals.policies[p] for p in auto.policies if p in signals.policies}
        if not found:
            return CriterionScore(
                criterion.id, None, 0.0, (), f"no check result for {', '.join(auto.policies)}"
            )
        failed = [p for p, r in found.items() if r.outcome == "fail"]
        passed = [p for p, r in found.items() if r.outcome == "pass"]
        if failed:
            seqs = sorted({s for p in failed for s in found[p].seqs})
            return CriterionScore(
                criterion.id, "fail", auto.confidence, tuple(seqs), f"failed {', '.join(failed)}"
            )
        if passed:
            seqs = sorted({s for p in passed for s in found[p].seqs})
            return CriterionScore(
                criterion.id, "pass", auto.confidence, tuple(seqs), f"passed {', '.join(passed)}"
            )
        level = NOT_APPLICABLE if criterion.na_allowed else "pass"
        return CriterionScore(
            criterion.id, level, auto.confidence, (), f"not applicable: {', '.join(found)}"
        )


SCORERS: dict[ScorerName, Scorer] = {
    SignalRules.name: SignalRules(),
    PolicyResults.name: PolicyResults(),
}


def is_auto_scored(rubric: Rubric) -> bool:
    """Whether any criterion of ``rubric`` names an auto-scorer."""
    return any(c.autoqa is not None for _s, c in rubric.criteria())


def scorer_version(rubric: Rubric) -> str:
    """``autoqa-<signals version>:<hash of the rubric's auto-scorers>``: what a score is
    re-computed for when it changes (with the rubric's content hash)."""
    digest = hashlib.sha256(canonical_json(rubric.autoqa_document())).hexdigest()[:16]
    return f"autoqa-{SIGNALS_VERSION}:{digest}"


def auto_score(rubric: Rubric, signals: ConversationSignals) -> AutoScore:
    """Score every auto-scored criterion of ``rubric``, then the review score over those.

    Criteria without an auto-scorer, or that the scorer could not score, are left out of
    the score (as if the rubric lacked them): the same rules as a human review, over
    what the machine rated.
    """
    results: list[CriterionScore] = []
    for _section, criterion in rubric.criteria():
        if criterion.autoqa is None:
            continue
        result = SCORERS[criterion.autoqa.scorer].score(criterion, criterion.autoqa, signals)
        if result.level is not None and result.level != NOT_APPLICABLE:
            result = CriterionScore(
                result.criterion,
                result.level,
                result.confidence,
                result.evidence,
                result.reason,
                _normalised(criterion.scale, result.level),
            )
        results.append(result)
    rated = {r.criterion: r.level for r in results if r.level is not None}
    scored = _scored(rubric, tuple(sorted(rated.items())))
    confident = [r.confidence for r in results if r.level is not None]
    return AutoScore(
        rubric=rubric,
        criteria=tuple(results),
        score=scored.score if scored is not None else None,
        confidence=sum(confident) / len(confident) if confident else 0.0,
        critical_failures=scored.critical_failures if scored is not None else (),
    )


# (rubric content hash, rated levels) → the review score over what was rated. Levels are few,
# so conversations share a handful of combinations: scored once per process, not per
# conversation (score_review is pure; the key is all it reads).
_SCORED: dict[tuple[str, tuple[tuple[str, str], ...]], ReviewScore | None] = {}
_SCORED_MAX = 65536


def _scored(rubric: Rubric, rated: tuple[tuple[str, str], ...]) -> ReviewScore | None:
    key = (rubric.content_hash, rated)
    if key in _SCORED:
        return _SCORED[key]
    sub = _rated_part(rubric, {criterion for criterion, _level in rated})
    scored = score_review(sub, dict(rated)) if sub is not None else None
    if len(_SCORED) < _SCORED_MAX:
        _SCORED[key] = scored
    return scored


def _rated_part(rubric: Rubric, rated: set[str]) -> Rubric | None:
    sections = tuple(
        Section(s.id, s.title, tuple(c for c in s.criteria if c.id in rated), s.description)
        for s in rubric.sections
    )
    kept = tuple(s for s in sections if s.criteria)
    if not kept:
        return None
    return Rubric(
        id=rubric.id,
        version=rubric.version,
        title=rubric.title,
        sections=kept,
        description=rubric.description,
        applies_to=rubric.applies_to,
    )
