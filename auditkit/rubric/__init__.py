"""Rubrics: load and validate YAML rubrics, and score reviews against them."""

from auditkit.rubric.loader import (
    load_rubric_file,
    load_rubric_text,
    rubric_from_document,
    rubric_from_snapshot,
)
from auditkit.rubric.model import (
    NOT_APPLICABLE,
    AppliesTo,
    Criterion,
    CriticalRule,
    Level,
    Rubric,
    RubricInvalid,
    RubricProblem,
    Scale,
    Section,
)
from auditkit.rubric.scoring import (
    CriterionResult,
    RatingProblem,
    RatingsInvalid,
    ReviewScore,
    SectionResult,
    format_score,
    iqs,
    rating_problems,
    score_review,
)

__all__ = [
    "NOT_APPLICABLE",
    "AppliesTo",
    "Criterion",
    "CriterionResult",
    "CriticalRule",
    "Level",
    "RatingProblem",
    "RatingsInvalid",
    "ReviewScore",
    "Rubric",
    "RubricInvalid",
    "RubricProblem",
    "Scale",
    "Section",
    "SectionResult",
    "format_score",
    "iqs",
    "load_rubric_file",
    "load_rubric_text",
    "rating_problems",
    "rubric_from_document",
    "rubric_from_snapshot",
    "score_review",
]
