"""In a browser: the conversation list filtered by AutoQA score (a shareable address), the
queue's muted AutoQA column, and a spotlight draw on the queue screen with its coverage."""

from __future__ import annotations

import re
from typing import Any

import pytest

from auditkit.autoqa import service as autoqa_service
from auditkit.autoqa.results import autoqa_results
from tests.web.conftest import World
from tests.web.test_web_browser import browser_page, live_app, sign_in  # noqa: F401
from tests.web.test_web_queue import due


@pytest.mark.browser
def test_in_a_browser_autoqa_filters_columns_and_a_spotlight_draw(
    browser_page: Any,  # noqa: F811
    live_app: str,  # noqa: F811
    world: World,
) -> None:
    page, base = browser_page, live_app
    autoqa_service.run_autoqa(world.installation)
    scores = {
        r.conversation_id: r.score
        for r in autoqa_results(world.installation)
        if r.rubric_hash == world.rubric_hash
    }
    known = sorted(s for s in scores.values() if s is not None)
    cut = known[len(known) // 2]
    below = {k for k, s in scores.items() if s is not None and s <= cut}

    sign_in(page, base, "ada")
    page.wait_for_selector("h1")
    # The conversation list: filter by AutoQA score in the form; the address keeps it.
    page.goto(f"{base}/conversations")
    page.fill("input[name=autoqa_max]", f"{cut:g}")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"autoqa_max="))
    assert f"autoqa_max={cut:g}" in page.url
    rows = page.locator("#conversation-list tbody tr")
    listed = {
        rows.nth(i).locator("td").first.inner_text().split("\n")[0] for i in range(rows.count())
    }
    assert listed == below
    cells = page.locator("#conversation-list td.autoqa-col")
    assert all(float(cells.nth(i).inner_text()) <= cut + 0.05 for i in range(cells.count()))
    page.goto(page.url)  # the shared link shows the same list
    assert page.locator("#conversation-list tbody tr").count() == len(below)

    # A spotlight draw: AutoQA score up to the cut, for Rita; the coverage is reported.
    page.goto(f"{base}/queue/manage")
    form = page.locator("#sample-form")
    form.locator("input[name=size]").fill("1000")
    form.locator("input[name=autoqa_max]").fill(f"{cut:g}")
    form.locator(f"input[name=reviewers][value='{world.users['rita'].id}']").check()
    form.locator("input[name=due_on]").fill(due())
    form.get_by_role("button", name="Sample and assign").click()
    page.wait_for_selector("text=Coverage of the period")
    flash = page.inner_text("body")
    assert f"{len(below)} of {len(below)} eligible" in flash
    assert f"{len(below)} of {len(scores)} conversations" in flash
    assert page.locator(".coverage").first.is_visible()
    page.screenshot(path="/tmp/auditkit-spotlight.png", full_page=True)

    # Rita's queue: the drawn conversations with their automatic score, muted, labelled.
    page.context.clear_cookies()
    sign_in(page, base, "rita")
    page.wait_for_selector("h1:text('My queue')")
    assert page.locator("tbody tr").count() == len(below)
    header = page.locator("th.autoqa-col")
    assert "AUTOQA" in header.inner_text().upper() and "not a review" in (
        header.get_attribute("title") or ""
    )
    cells = page.locator("td.autoqa-col")
    assert all(float(cells.nth(i).inner_text()) <= cut + 0.05 for i in range(cells.count()))
    assert "muted" in (cells.first.get_attribute("class") or "")
