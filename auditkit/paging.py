"""Server-side pagination shared by every paged list (findings, conversations, reviews, queue)."""

from __future__ import annotations


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows fill at ``per_page`` a page (at least one)."""
    return max(1, -(-total // per_page))


def bounded(page: int, per_page: int, max_per_page: int) -> tuple[int, int]:
    """The requested page (1-based, at least 1) and page size (1 to ``max_per_page``)."""
    return max(1, page), max(1, min(per_page, max_per_page))
