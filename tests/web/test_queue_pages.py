"""The reviewer's queue a page at a time: the pages put together are ``my_queue``, in order."""

from __future__ import annotations

from collections.abc import Callable

from auditkit.review import queue as review_queue
from tests.web.conftest import Web, World, text


def test_the_pages_together_are_the_whole_queue_in_order(world: World) -> None:
    whole = world.assign("rita", size=12)
    assert len(whole) == 12
    rita = world.users["rita"]
    pages = [
        review_queue.queue_page(world.installation, rita, page=n, per_page=5) for n in (1, 2, 3)
    ]
    assert [p.pages for p in pages] == [3, 3, 3] and {p.total for p in pages} == {12}
    assert [len(p.items) for p in pages] == [5, 5, 2]
    assert [a for p in pages for a in p.items] == whole


def test_a_page_out_of_range_shows_the_nearest_page(world: World) -> None:
    whole = world.assign("rita", size=7)
    rita = world.users["rita"]
    last = review_queue.queue_page(world.installation, rita, page=99, per_page=5)
    assert (last.page, [a.id for a in last.items]) == (2, [a.id for a in whole[5:]])
    first = review_queue.queue_page(world.installation, rita, page=0, per_page=5)
    assert first.page == 1 and list(first.items) == whole[:5]


def test_an_empty_queue_is_one_empty_page(world: World) -> None:
    empty = review_queue.queue_page(world.installation, world.users["rob"], per_page=5)
    assert (empty.items, empty.total, empty.page, empty.pages) == ((), 0, 1, 1)


def test_the_queue_screen_counts_everything_and_ignores_a_bad_page(
    web: Callable[[str | None], Web], world: World
) -> None:
    whole = world.assign("rita", size=6)
    rita = web("rita")
    for query in ("", "?page=2", "?page=abc", "?page=%EF%BC%91"):
        response = rita.get(f"/queue{query}")
        assert response.status_code == 200, query
        page = text(response)
        assert all(a.conversation_key in page for a in whole), query
    assert "Page 1 of" not in text(rita.get("/queue"))  # one page: no pager
