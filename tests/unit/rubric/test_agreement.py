"""Krippendorff's alpha and percent agreement, checked against the ``krippendorff`` package."""

from __future__ import annotations

import random

import pytest

from auditkit.rubric.agreement import Measurement, krippendorff_alpha, percent_agreement

krippendorff = pytest.importorskip("krippendorff")
np = pytest.importorskip("numpy")

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders × 12 units.
PAPER = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def _units(raters: list[list[int | None]]) -> list[list[int | None]]:
    return [list(unit) for unit in zip(*raters, strict=True)]


def _reference(raters: list[list[int | None]], level: Measurement) -> float:
    data = np.array([[np.nan if v is None else v for v in row] for row in raters], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=str(level)))


@pytest.mark.parametrize(
    ("level", "published"),
    [
        (Measurement.NOMINAL, 0.743),
        (Measurement.ORDINAL, 0.815),
        (Measurement.INTERVAL, 0.849),
    ],
)
def test_alpha_matches_the_published_worked_example(level: Measurement, published: float) -> None:
    alpha = krippendorff_alpha(_units(PAPER), level)
    assert alpha == pytest.approx(published, abs=5e-4)
    assert alpha == pytest.approx(_reference(PAPER, level), abs=1e-9)


@pytest.mark.parametrize("level", list(Measurement))
@pytest.mark.parametrize("seed", range(25))
def test_alpha_matches_the_package_on_random_tables_with_missing_ratings(
    level: Measurement, seed: int
) -> None:
    rng = random.Random(seed)
    raters, units = rng.randint(2, 5), rng.randint(2, 15)
    scale = rng.choice([2, 4, 5])
    table = [
        [None if rng.random() < 0.2 else rng.randint(1, scale) for _ in range(units)]
        for _ in range(raters)
    ]
    values = {v for row in table for v in row if v is not None}
    pairable = sum(1 for unit in _units(table) if sum(v is not None for v in unit) >= 2)
    if len(values) < 2 or pairable == 0:
        assert krippendorff_alpha(_units(table), level) is None
        return
    assert krippendorff_alpha(_units(table), level) == pytest.approx(
        _reference(table, level), abs=1e-9
    )


def test_perfect_agreement_is_one_and_no_variation_is_undefined() -> None:
    assert krippendorff_alpha([[1, 1], [2, 2], [3, None, 3]], Measurement.ORDINAL) == 1.0
    assert krippendorff_alpha([[2, 2], [2, 2]], Measurement.NOMINAL) is None
    assert krippendorff_alpha([[1], [2, None]], Measurement.NOMINAL) is None


def test_nominal_alpha_takes_labels_and_ordinal_takes_an_explicit_order() -> None:
    labels = [["pass", "pass"], ["fail", "pass"], ["fail", "fail"]]
    numbers = [[1, 1], [0, 1], [0, 0]]
    assert krippendorff_alpha(labels, Measurement.NOMINAL) == pytest.approx(
        krippendorff_alpha(numbers, Measurement.NOMINAL)
    )
    ranked = [["low", "mid"], ["mid", "high"], ["low", "low"]]
    assert krippendorff_alpha(
        ranked, Measurement.ORDINAL, order=["low", "mid", "high"]
    ) == pytest.approx(krippendorff_alpha([[1, 2], [2, 3], [1, 1]], Measurement.ORDINAL))


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ([[1, 1], [1, 2]], 0.5),
        ([[1, 1, 1]], 1.0),
        ([[1, 1, 2]], 1 / 3),
        ([[1, None], [3, 3]], 1.0),
        ([[1], [None, 2]], None),
    ],
)
def test_percent_agreement_counts_agreeing_pairs(
    units: list[list[int | None]], expected: float | None
) -> None:
    assert percent_agreement(units) == (expected if expected is None else pytest.approx(expected))
