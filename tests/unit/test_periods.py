"""Whole-day periods: both days included, one rule for every screen and command."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from auditkit.errors import InputRefused
from auditkit.periods import day_bounds, day_start


def test_a_period_includes_its_last_day_and_ends_at_the_next_midnight() -> None:
    start, end = day_bounds(date(2024, 3, 1), date(2024, 3, 31))
    assert start == datetime(2024, 3, 1, tzinfo=UTC)
    assert end == datetime(2024, 4, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (None, None, (None, None)),
        (date(2024, 2, 29), None, (datetime(2024, 2, 29, tzinfo=UTC), None)),
        (None, date(2024, 12, 31), (None, datetime(2025, 1, 1, tzinfo=UTC))),
        (
            date(1, 1, 1),
            date(1, 1, 1),
            (datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 2, tzinfo=UTC)),
        ),
    ],
)
def test_open_and_edge_periods(
    since: date | None, until: date | None, expected: tuple[datetime | None, datetime | None]
) -> None:
    assert day_bounds(since, until) == expected


def test_the_last_representable_day_is_refused_with_its_field_named() -> None:
    with pytest.raises(InputRefused) as refused:
        day_bounds(None, date(9999, 12, 31), field="to")
    assert refused.value.problems == ["to: 9999-12-31 is past the last date auditkit holds"]


def test_day_start_is_utc_midnight() -> None:
    assert day_start(date(2024, 6, 30)).isoformat() == "2024-06-30T00:00:00+00:00"
