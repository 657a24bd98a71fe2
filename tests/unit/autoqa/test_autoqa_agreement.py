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
    found = _rubric_agreement(rubric, 0.67, human, criteria, scores, {}, [80.0, None], 50,
                              {"a": "agent-1", "b": "agent-1"})  # fmt: skip
    by_id = {c.criterion: c for c in found.criteria}
    assert by_id["closure-confirmation"].trusted and by_id["closure-confirmation"].exact == 1
    assert not by_id["tone-consistency"].trusted  # no human rated it: no pairs
    assert found.auto_iqs == Fraction(50)  # closure only: 100, 0, 100, 0
    assert (found.human_iqs, found.human_reviews) == (Fraction(80), 2)
    assert found.by_agent == (("agent-1", Fraction(50), 2),)
