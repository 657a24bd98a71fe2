"""Scoring rules of docs/scoring.md, table-driven."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from auditkit.rubric import (
    RatingsInvalid,
    Scale,
    format_score,
    iqs,
    load_rubric_text,
    rating_problems,
    score_review,
)

RUBRIC = load_rubric_text(
    """
id: scoring-test
version: 1
title: Scoring test
sections:
  - id: quality
    title: Quality
    criteria:
      - {id: understand, label: Understand, scale: 1-5, weight: 40,
         levels: {1: a, 2: b, 3: c, 4: d, 5: e}}
      - {id: tone, label: Tone, scale: 0-3, weight: 20, na_allowed: true,
         levels: {0: a, 1: b, 2: c, 3: d}}
      - {id: closure, label: Closure, scale: pass_fail, weight: 40, na_allowed: true,
         levels: {pass: a, fail: b}}
  - id: compliance
    title: Compliance
    criteria:
      - {id: verified, label: Verified, scale: pass_fail, weight: 0, critical: true,
         na_allowed: true, levels: {pass: a, fail: b}}
      - {id: disclosure, label: Disclosure, scale: pass_fail, weight: 10, critical: true,
         on_critical_failure: section, levels: {pass: a, fail: b}}
""",
    source="test",
)


@pytest.mark.parametrize(
    ("scale", "level", "expected"),
    [
        (Scale.PASS_FAIL, "fail", Fraction(0)),
        (Scale.PASS_FAIL, "pass", Fraction(100)),
        (Scale.ONE_TO_FIVE, "1", Fraction(0)),
        (Scale.ONE_TO_FIVE, "2", Fraction(25)),
        (Scale.ONE_TO_FIVE, "3", Fraction(50)),
        (Scale.ONE_TO_FIVE, "4", Fraction(75)),
        (Scale.ONE_TO_FIVE, "5", Fraction(100)),
        (Scale.ZERO_TO_THREE, "0", Fraction(0)),
        (Scale.ZERO_TO_THREE, "1", Fraction(100, 3)),
        (Scale.ZERO_TO_THREE, "2", Fraction(200, 3)),
        (Scale.ZERO_TO_THREE, "3", Fraction(100)),
    ],
)
def test_each_level_is_normalised_to_0_100(scale: Scale, level: str, expected: Fraction) -> None:
    assert scale.normalise(level) == expected


ALL_GOOD = {
    "understand": "5",
    "tone": "3",
    "closure": "pass",
    "verified": "pass",
    "disclosure": "pass",
}


# (case, ratings changed from ALL_GOOD, review score, quality section, compliance section,
#  critical failures)
CASES = [
    ("all top marks", {}, "100.00", "100.00", "100.00", ()),
    # (40*75 + 20*200/3 + 40*0 + 10*100) / 110
    ("mixed", {"understand": "4", "tone": "2", "closure": "fail"}, "48.48", "43.33", "100.00", ()),
    # N/A leaves the denominator: (40*100 + 40*100 + 10*100) / 90
    ("n/a excluded", {"tone": "na"}, "100.00", "100.00", "100.00", ()),
    # (40*50 + 10*100) / 50
    ("two n/a", {"understand": "3", "tone": "na", "closure": "na"}, "60.00", "50.00", "100.00", ()),
    # A weight-0 gate failing zeroes the review even though it weighs nothing.
    ("critical zeroes review", {"verified": "fail"}, "0.00", "0.00", "0.00", ("verified",)),
    # A section-rule failure zeroes its section: (40*100 + 20*100 + 40*100 + 10*0) / 110
    ("critical zeroes section", {"disclosure": "fail"}, "90.91", "100.00", "0.00", ("disclosure",)),
    # The review rule wins over the section rule.
    (
        "both critical",
        {"verified": "fail", "disclosure": "fail"},
        "0.00",
        "0.00",
        "0.00",
        ("verified", "disclosure"),
    ),
    # A gate rated N/A neither fails nor counts.
    ("gate n/a", {"verified": "na"}, "100.00", "100.00", "100.00", ()),
]


@pytest.mark.parametrize(
    ("changes", "score", "quality", "compliance", "failures"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_review_scores(
    changes: dict[str, str], score: str, quality: str, compliance: str, failures: tuple[str, ...]
) -> None:
    result = score_review(RUBRIC, {**ALL_GOOD, **changes})
    assert format_score(result.score) == score
    sections = {s.section: format_score(s.score) for s in result.sections}
    assert sections == {"quality": quality, "compliance": compliance}
    assert result.critical_failures == failures


def test_a_review_with_every_weighted_criterion_na_has_no_score() -> None:
    rubric = load_rubric_text(
        """
id: na
version: 1
title: NA
sections:
  - id: s
    title: S
    criteria:
      - {id: a, label: A, scale: pass_fail, weight: 10, na_allowed: true, levels: {pass: x, fail: y}}
      - {id: g, label: G, scale: pass_fail, weight: 0, critical: true, levels: {pass: x, fail: y}}
""",
        source="na",
    )
    result = score_review(rubric, {"a": "na", "g": "pass"})
    assert result.score is None and not result.scorable
    assert score_review(rubric, {"a": "na", "g": "fail"}).score == 0


@pytest.mark.parametrize(
    ("ratings", "complete", "expected"),
    [
        ({}, False, []),
        ({"understand": "5"}, True, ["tone", "closure", "verified", "disclosure"]),
        ({**ALL_GOOD, "understand": "6"}, True, ["understand"]),
        ({**ALL_GOOD, "understand": "na"}, True, ["understand"]),  # N/A not allowed there
        ({**ALL_GOOD, "nonsense": "1"}, False, ["nonsense"]),
        ({"closure": "maybe"}, False, ["closure"]),
    ],
    ids=[
        "empty-draft",
        "incomplete-submission",
        "off-scale",
        "na-not-allowed",
        "unknown",
        "bad-level",
    ],
)
def test_rating_problems_name_each_criterion(
    ratings: dict[str, str], complete: bool, expected: list[str]
) -> None:
    assert [p.criterion for p in rating_problems(RUBRIC, ratings, complete=complete)] == expected


def test_scoring_incomplete_ratings_is_refused_with_every_problem() -> None:
    with pytest.raises(RatingsInvalid) as caught:
        score_review(RUBRIC, {"understand": "9"})
    assert len(caught.value.problems) == 5


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], None),
        ([None, None], None),
        ([80.0], "80.00"),
        ([100.0, 50.0, None], "75.00"),
        ([Fraction(200, 3), Fraction(100, 3), 0.0], "33.33"),
    ],
)
def test_iqs_is_the_mean_of_scorable_reviews(scores: list[object], expected: str | None) -> None:
    assert format_score(iqs(scores)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"),
    [(Fraction(1, 200), "0.01"), (Fraction(1, 3), "0.33"), (Fraction(2, 3), "0.67"), (None, None)],
)
def test_scores_are_formatted_with_two_decimals_halves_up(
    value: Fraction | None, text: str | None
) -> None:
    assert format_score(value) == text


def test_iqs_of_stored_float_scores_is_the_exact_fraction_mean() -> None:
    rng = random.Random(19)
    for size in (1, 2, 3, 7, 100, 1000):
        floats = [rng.choice([0.0, 1.0, 100.0, 2 / 3, rng.random() * 100]) for _ in range(size)]
        exact = sum((Fraction(f) for f in floats), Fraction(0)) / len(floats)
        assert iqs(floats) == exact
        assert iqs([*floats, None]) == exact  # unscorable reviews left out
    assert (
        iqs([1e-300, 1e300, -5e-324])
        == (Fraction(1e-300) + Fraction(1e300) + Fraction(-5e-324)) / 3
    )
