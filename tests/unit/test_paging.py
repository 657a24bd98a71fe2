"""The one pagination rule every paged list uses."""

from auditkit.paging import bounded, page_count


def test_page_count_is_at_least_one_and_rounds_up() -> None:
    assert page_count(0, 50) == 1
    assert page_count(50, 50) == 1
    assert page_count(51, 50) == 2


def test_requests_are_bounded() -> None:
    assert bounded(0, 0, 200) == (1, 1)
    assert bounded(-3, 10_000, 200) == (1, 200)
    assert bounded(4, 25, 200) == (4, 25)
