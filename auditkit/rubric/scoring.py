"""Scoring a review against its rubric: per-criterion 0-100, weighted means, critical failures.

The rules are documented in docs/scoring.md; every figure is an exact fraction until it is
formatted for display or storage (two decimals, halves rounded up).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from auditkit.errors import AuditkitError
from auditkit.rubric.model import NOT_APPLICABLE, CriticalRule, Rubric


@dataclass(frozen=True)
class RatingProblem:
    """Why the rating of one criterion (or ``""`` for the whole form) was refused."""

    criterion: str
    reason: str

    def __str__(self) -> str:
        return f"{self.criterion}: {self.reason}" if self.criterion else self.reason


class RatingsInvalid(AuditkitError):
    """Ratings that do not fit the rubric; ``problems`` lists every one."""

    def __init__(self, problems: Sequence[RatingProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's rating and scores.

    ``score`` is the level normalised to 0-100 (None when N/A); ``effective`` is what counts
    toward the means, 0 when a critical failure zeroed its section or the review.
    """

    criterion: str
    section: str
    rating: str
    weight: int
    score: Fraction | None
    effective: Fraction | None
    critical_failed: bool


@dataclass(frozen=True)
class SectionResult:
    """A section's weighted mean (None when nothing weighted was rated) and whether it was zeroed."""

    section: str
    score: Fraction | None
    zeroed: bool


@dataclass(frozen=True)
class ReviewScore:
    """The outcome of scoring one review."""

    criteria: tuple[CriterionResult, ...]
    sections: tuple[SectionResult, ...]
    score: Fraction | None
    critical_failures: tuple[str, ...]
    zeroed: bool

    @property
    def scorable(self) -> bool:
        """False when every weighted criterion was N/A: such a review has no score."""
        return self.score is not None


def rating_problems(
    rubric: Rubric, ratings: Mapping[str, str], *, complete: bool
) -> list[RatingProblem]:
    """Every problem with ``ratings`` (criterion id → level or ``na``).

    With ``complete`` every criterion must be rated (a submission); without, missing ones
    are fine (a draft). Unknown criteria and levels off the scale are always refused.
    """
    problems: list[RatingProblem] = []
    known = {criterion.id for _section, criterion in rubric.criteria()}
    for criterion_id in ratings:
        if criterion_id not in known:
            problems.append(RatingProblem(criterion_id, "not a criterion of this rubric"))
    for _section, criterion in rubric.criteria():
        value = ratings.get(criterion.id)
        if value is None or value == "":
            if complete:
                problems.append(RatingProblem(criterion.id, f"rate “{criterion.label}”"))
        elif value == NOT_APPLICABLE:
            if not criterion.na_allowed:
                problems.append(RatingProblem(criterion.id, f"“{criterion.label}” cannot be N/A"))
        elif value not in criterion.scale.levels:
            problems.append(
                RatingProblem(
                    criterion.id,
                    f"{value!r} is not a level of “{criterion.label}” "
                    f"({', '.join(criterion.scale.levels)})",
                )
            )
    return problems


def _weighted_mean(items: Iterable[tuple[int, Fraction]]) -> Fraction | None:
    total_weight = 0
    total = Fraction(0)
    for weight, value in items:
        total_weight += weight
        total += weight * value
    return None if total_weight == 0 else total / total_weight


def score_review(rubric: Rubric, ratings: Mapping[str, str]) -> ReviewScore:
    """Score complete ``ratings`` (every criterion rated or N/A) against ``rubric``."""
    problems = rating_problems(rubric, ratings, complete=True)
    if problems:
        raise RatingsInvalid(problems)
    raw: list[tuple[str, str, str, int, Fraction | None, bool]] = []
    failures: list[str] = []
    zero_review = False
    zero_sections: set[str] = set()
    for section, criterion in rubric.criteria():
        rating = ratings[criterion.id]
        score = None if rating == NOT_APPLICABLE else criterion.scale.normalise(rating)
        failed = criterion.critical and rating == criterion.lowest
        if failed:
            failures.append(criterion.id)
            if criterion.on_critical_failure == CriticalRule.REVIEW:
                zero_review = True
            else:
                zero_sections.add(section.id)
        raw.append((criterion.id, section.id, rating, criterion.weight, score, failed))
    results = tuple(
        CriterionResult(
            criterion=cid,
            section=sid,
            rating=rating,
            weight=weight,
            score=score,
            effective=None
            if score is None
            else (Fraction(0) if zero_review or sid in zero_sections else score),
            critical_failed=failed,
        )
        for cid, sid, rating, weight, score, failed in raw
    )
    sections = []
    for section in rubric.sections:
        mine = [r for r in results if r.section == section.id and r.effective is not None]
        mean = _weighted_mean((r.weight, r.effective) for r in mine if r.effective is not None)
        zeroed = zero_review or section.id in zero_sections
        sections.append(
            SectionResult(section=section.id, score=Fraction(0) if zeroed else mean, zeroed=zeroed)
        )
    overall = _weighted_mean((r.weight, r.effective) for r in results if r.effective is not None)
    if zero_review:
        overall = Fraction(0)
    return ReviewScore(
        criteria=results,
        sections=tuple(sections),
        score=overall,
        critical_failures=tuple(failures),
        zeroed=zero_review,
    )


def iqs(scores: Iterable[Fraction | float | Decimal | None]) -> Fraction | None:
    """Internal quality score: the plain mean of review scores, unscorable reviews left out."""
    given = [value for value in scores if value is not None]
    if not given:
        return None
    if all(type(value) is float for value in given):
        return _float_mean(given)  # type: ignore[arg-type]
    values = [Fraction(value) for value in given]
    return sum(values, Fraction(0)) / len(values)


def _float_mean(values: list[float]) -> Fraction:
    """The exact mean of floats (stored review scores), as ``Fraction`` sums give it, without
    a ``Fraction`` per addition: a float is an integer over a power of two, so the sum is one
    integer over the largest of those powers (the dashboard sums thousands per view)."""
    ratios = [value.as_integer_ratio() for value in values]
    shift = max(denominator.bit_length() - 1 for _, denominator in ratios)
    total = sum(
        numerator << (shift - denominator.bit_length() + 1) for numerator, denominator in ratios
    )
    return Fraction(total, (1 << shift) * len(values))


def format_score(value: Fraction | None) -> str | None:
    """A score as text with two decimals, halves rounded up (``"83.33"``); None stays None."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
