"""Inter-rater agreement: Krippendorff's alpha (nominal, ordinal, interval) and percent agreement.

Ratings come as units (one conversation's criterion, say), each a sequence of the values
the raters gave it, ``None`` where a rater gave none. Units with fewer than two values are
not pairable and are left out, as Krippendorff prescribes. Arithmetic is exact (fractions).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from enum import StrEnum
from fractions import Fraction
from itertools import permutations
from typing import cast

Value = Hashable
Units = Sequence[Sequence[Value | None]]


class Measurement(StrEnum):
    """The level of measurement, which chooses alpha's difference function."""

    NOMINAL = "nominal"
    ORDINAL = "ordinal"
    INTERVAL = "interval"


def _pairable(units: Units) -> list[list[Value]]:
    present = ([v for v in unit if v is not None] for unit in units)
    return [values for values in present if len(values) >= 2]


def _difference(
    level: Measurement, totals: Counter[Value], order: Sequence[Value] | None
) -> Callable[[Value, Value], Fraction]:
    if level is Measurement.NOMINAL:
        return lambda c, k: Fraction(0 if c == k else 1)
    if level is Measurement.INTERVAL:
        # Interval-level values are numbers.
        return lambda c, k: (Fraction(cast(float, c)) - Fraction(cast(float, k))) ** 2
    ranked = list(order) if order is not None else sorted(totals)  # type: ignore[type-var]
    position = {value: index for index, value in enumerate(ranked)}
    cumulative = [Fraction(0)]
    for value in ranked:
        cumulative.append(cumulative[-1] + totals.get(value, 0))

    def ordinal(c: Value, k: Value) -> Fraction:
        low, high = sorted((position[c], position[k]))
        between = cumulative[high + 1] - cumulative[low]
        return (between - Fraction(totals[c] + totals[k], 2)) ** 2

    return ordinal


def krippendorff_alpha(
    units: Units, level: Measurement, *, order: Sequence[Value] | None = None
) -> float | None:
    """Krippendorff's alpha over ``units``; None when it is undefined.

    Alpha is undefined when fewer than two pairable values exist or when every pairable
    value is the same (no expected disagreement). ``order`` ranks the values of an ordinal
    scale (default: their natural sort order).
    """
    pairable = _pairable(units)
    totals: Counter[Value] = Counter(v for values in pairable for v in values)
    n = sum(totals.values())
    if n < 2:
        return None
    delta = _difference(level, totals, order)
    observed = Fraction(0)
    for values in pairable:
        share = Fraction(1, len(values) - 1)
        for c, k in permutations(values, 2):
            observed += share * delta(c, k)
    expected = Fraction(0)
    distinct = list(totals)
    for c in distinct:
        for k in distinct:
            if c != k:
                expected += totals[c] * totals[k] * delta(c, k)
    if expected == 0:
        return None
    return float(1 - (n - 1) * observed / expected)


def percent_agreement(units: Units) -> float | None:
    """The share of rater pairs, over every pairable unit, that gave the same value (0-1)."""
    agreeing = pairs = 0
    for values in _pairable(units):
        for index, c in enumerate(values):
            for k in values[index + 1 :]:
                pairs += 1
                agreeing += c == k
    return agreeing / pairs if pairs else None
