"""A coaching report's strengths and focus areas are gaps that hold up: 5 points or more
against the team, over at least 3 of the agent's reviews; equal means never count."""

from __future__ import annotations

from auditkit.reporting.coaching import CriterionComparison, strengths_and_focus


def _c(cid: str, agent: float, team: float, rated: int = 5) -> CriterionComparison:
    return CriterionComparison(cid, cid, agent, team, rated)


def test_equal_means_and_thin_gaps_are_neither_strength_nor_focus() -> None:
    same = _c("same", 100 / 3, 100 / 3 - 1e-12)  # "33.3 vs 33.3", a rounding hair apart
    thin = _c("thin", 80.0, 77.0)
    few = _c("few", 95.0, 60.0, rated=2)
    strong = _c("strong", 90.0, 70.0)
    weak = _c("weak", 40.0, 70.0)
    strengths, focus = strengths_and_focus([same, thin, few, strong, weak])
    assert strengths == (strong,)
    assert focus == (weak,)
    assert not same.holds_up and not thin.holds_up and not few.holds_up
