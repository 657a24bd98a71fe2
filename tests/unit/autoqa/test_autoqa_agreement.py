"""AutoQA against the reviewers: pairs, ordinal alpha (checked against the krippendorff
package), a reproducible bootstrap interval, and AutoQA IQS over trusted criteria only."""

from __future__ import annotations

from fractions import Fraction
from importlib import resources
from pathlib import Path

import krippendorff
import numpy as np
import pytest

from auditkit.autoqa.agreement import _rubric_agreement, alpha_with_interval, pair_units
from auditkit.rubric import load_rubric_file

DEFAULT = Path(str(resources.files("auditkit.rubrics"))) / "messaging-quality.yaml"
LEVELS = ("1", "2", "3", "4", "5")


def test_pairs_leave_out_na_and_unscored_and_pair_every_reviewer() -> None:
    auto = {"a": "4", "b": "na", "c": None, "d": "2"}
    human = [("a", "rita", "4"), ("a", "rob", "5"), ("b", "rita", "3"), ("c", "rob", "1"),
             ("d", "rita", "na"), ("e", "rita", "2")]  # fmt: skip
    assert pair_units(auto, human) == [("4", "4"), ("4", "5")]


def test_alpha_is_krippendorffs_ordinal_alpha_and_its_interval_holds_it() -> None:
    pairs = [("1", "1"), ("2", "3"), ("3", "3"), ("4", "4"), ("5", "4"), ("2", "2"), ("5", "5")]
    alpha, low, high = alpha_with_interval(pairs, LEVELS)
    data = np.array([[int(a) for a, _h in pairs], [int(h) for _a, h in pairs]], dtype=float)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal")
    assert alpha == pytest.approx(expected)
    assert low is not None and high is not None and low <= alpha <= high <= 1
    assert alpha_with_interval(pairs, LEVELS) == (alpha, low, high)  # seeded: reproducible


def test_alpha_is_undefined_without_variation_or_pairs() -> None:
    assert alpha_with_interval([("4", "4"), ("4", "4")], LEVELS) == (None, None, None)
    assert alpha_with_interval([], LEVELS) == (None, None, None)


def test_autoqa_iqs_counts_trusted_criteria_only_overall_and_per_agent() -> None:
    rubric = load_rubric_file(DEFAULT)
    human = [(key, "rita", "closure-confirmation", level)
             for key, level in (("a", "pass"), ("b", "fail"), ("c", "pass"), ("d", "fail"))]  # fmt: skip
    criteria = [
        {"conversation_key": key, "criterion_id": cid, "level": level, "score": score}
        for key, closure in (("a", "pass"), ("b", "fail"), ("c", "pass"), ("d", "fail"))
        for cid, level, score in (
            ("closure-confirmation", closure, 100.0 if closure == "pass" else 0.0),
            ("tone-consistency", "1", 100 / 3),
        )
    ]
    scores = [{"conversation_key": key} for key in "abcd"]
    monday, next_monday = "2024-10-07T09:00:00Z", "2024-10-14T09:00:00Z"
    facts = {
        "a": ("agent-1", monday),
        "b": ("agent-1", "2024-10-13T23:59:00Z"),  # Sunday: the same ISO week
        "c": (None, next_monday),
        "d": (None, next_monday),
    }
    human_scores = [(80.0, "2024-10-08T10:00:00Z"), (None, next_monday)]
    found = _rubric_agreement(rubric, 0.67, human, criteria, scores, {}, human_scores, 50, facts)
    by_id = {c.criterion: c for c in found.criteria}
    assert by_id["closure-confirmation"].trusted and by_id["closure-confirmation"].exact == 1
    assert not by_id["tone-consistency"].trusted  # no human rated it: no pairs
    assert found.auto_iqs == Fraction(50)  # closure only: 100, 0, 100, 0
    assert (found.human_iqs, found.human_reviews) == (Fraction(80), 2)
    assert found.by_agent == (("agent-1", Fraction(50), 2),)


def test_autoqa_iqs_by_week_and_criterion_keeps_untrusted_criteria_out_of_iqs() -> None:
    rubric = load_rubric_file(DEFAULT)
    human = [(key, "rita", "closure-confirmation", level)
             for key, level in (("a", "pass"), ("b", "fail"), ("c", "pass"), ("d", "fail"))]  # fmt: skip
    criteria = [
        {"conversation_key": key, "criterion_id": cid, "level": level, "score": score}
        for key, closure in (("a", "pass"), ("b", "pass"), ("c", "pass"), ("d", "fail"))
        for cid, level, score in (
            ("closure-confirmation", closure, 100.0 if closure == "pass" else 0.0),
            ("tone-consistency", "1", 0.0),
        )
    ]
    scores = [{"conversation_key": key} for key in "abcd"]
    facts = {
        "a": ("agent-1", "2024-10-07T09:00:00Z"),
        "b": ("agent-1", "2024-10-13T23:59:00Z"),
        "c": (None, "2024-10-14T09:00:00Z"),
        "d": (None, "2024-10-15T09:00:00Z"),
    }
    human_scores = [(80.0, "2024-10-08T10:00:00Z"), (60.0, "2024-10-21T08:00:00Z")]
    found = _rubric_agreement(rubric, 0.67, human, criteria, scores, {}, human_scores, 0, facts)
    by_id = {c.criterion: c for c in found.criteria}
    # "b" disagrees (auto pass, human fail): alpha is low, so nothing is trusted...
    closure = by_id["closure-confirmation"]
    assert (closure.auto_mean, closure.scored) == (75.0, 4)
    assert by_id["tone-consistency"].auto_mean == 0.0 and not by_id["tone-consistency"].trusted
    assert not closure.trusted
    assert found.auto_iqs is None
    assert [w.value for w in found.by_week] == [None, None, None]
    weeks = [(w.key, w.human, w.human_count) for w in found.by_week]
    assert weeks == [("2024-10-07", 80.0, 1), ("2024-10-14", None, 0), ("2024-10-21", 60.0, 1)]
    # ... and with a threshold it passes, only closure counts: tone's zeros never pull it down.
    lenient = _rubric_agreement(rubric, -1.0, human, criteria, scores, {}, human_scores, 0, facts)
    assert [(w.key, w.value, w.count) for w in lenient.by_week] == [
        ("2024-10-07", 100.0, 2),
        ("2024-10-14", 50.0, 2),
        ("2024-10-21", None, 0),
    ]
    assert lenient.by_week[0].label == "week of 2024-10-07" and lenient.by_week[1].text == "50.00"
