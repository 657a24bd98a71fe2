"""Calibration and disputes in a real browser: two reviewers score blind, the reveal and the
agreement; a dispute opened, partially accepted, and the IQS change on the dashboard."""

from __future__ import annotations

from typing import Any

import pytest

from auditkit.quality import calibration
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from tests.web import test_web_browser
from tests.web.conftest import World
from tests.web.test_web_browser import shot, sign_in
from tests.web.test_web_review import KEY, TOP

pytestmark = pytest.mark.browser
browser_page = test_web_browser.browser_page  # the fixtures, shared
live_app = test_web_browser.live_app
KEYS = ("nb-2024-10431", "nb-2024-10447")
CHOICES = {k.split(".", 1)[1]: v for k, v in TOP.items()}


def score(page: Any, base: str, session_id: int, key: str, choices: dict[str, str]) -> None:
    page.goto(f"{base}/calibration/{session_id}/score/{key}")
    for criterion, value in choices.items():
        page.locator(
            f"#criterion-{criterion} label.level", has=page.locator(f"input[value='{value}']")
        ).click()
    page.click("#submit-calibration")
    page.wait_for_selector(".flash-success")


def sign_out(page: Any) -> None:
    page.click("button:text('Sign out')")
    page.wait_for_selector("input[name=username]")


def test_blind_calibration_then_a_dispute_moves_iqs(
    browser_page: Any, live_app: str, world: World, database_url: str
) -> None:
    page, base = browser_page, live_app
    keep = database_url.startswith("sqlite")
    session_id = calibration.open_session(
        world.installation,
        world.users["ada"],
        title="November calibration",
        rubric_hash=world.rubric_hash,
        conversation_keys=list(KEYS),
        participant_ids=[world.users["rita"].id, world.users["rob"].id],
    )

    # rita scores both conversations blind, then sees only her own side of things.
    sign_in(page, base, "rita")
    page.wait_for_selector("h1")
    for key in KEYS:
        score(page, base, session_id, key, CHOICES)
    page.goto(f"{base}/calibration/{session_id}")
    assert page.locator("#agreement").count() == 1
    sign_out(page)

    # rob has not scored: blind.
    sign_in(page, base, "rob")
    page.wait_for_selector("h1")
    page.goto(f"{base}/calibration/{session_id}")
    assert "Answers are hidden" in page.inner_text("main")
    assert page.locator("#overall-alpha").count() == 0
    lower = {**CHOICES, "problem-understanding": "3", "tone-consistency": "1"}
    for key in KEYS:
        score(page, base, session_id, key, lower)
    page.goto(f"{base}/calibration/{session_id}")
    # The reveal: agreement figures and the side-by-side view.
    assert page.inner_text("#overall-percent") == "75%"
    assert page.inner_text("#overall-alpha") not in {"", "—"}
    table = page.inner_text("#criteria-agreement")
    assert "Clarity of problem understanding" in table and "ordinal" in table and "nominal" in table
    assert page.locator("#side-by-side tr.row-bad").count() == 4
    if keep:
        shot(page, "calibration")
    sign_out(page)

    # A review by rita, contested by the coach.
    items = world.assign("rita", size=12)
    item = next(a for a in items if a.conversation_key == KEY)
    done = submissions.submit_review(
        world.installation, world.users["rita"], item.id, workspaces.DraftInput(ratings=CHOICES)
    )
    sign_in(page, base, "cole")
    page.wait_for_selector("h1")
    page.goto(f"{base}/dashboard")
    assert page.inner_text("#iqs .stat-value") == "87.5"
    page.goto(f"{base}/review-records/{done.seq}/dispute")
    page.select_option("select[name='proposed.problem-understanding']", "3")
    page.select_option("select[name='proposed.tone-consistency']", "1")
    page.fill("textarea[name=comment]", "Cold tone in the second half; problem restated twice.")
    page.click("#open-dispute")
    page.wait_for_selector("#dispute-status")
    dispute_url = page.url
    sign_out(page)

    # rita accepts half of it.
    sign_in(page, base, "rita")
    page.wait_for_selector("h1")
    page.goto(dispute_url)
    page.select_option("select[name='final.tone-consistency']", "1")
    page.fill("textarea[name=response]", "Fair on tone; the problem was understood.")
    page.click("button:text('Partially accept')")
    page.wait_for_selector(".flash-success")
    assert page.inner_text("#dispute-status").lower() == "partially accepted"
    assert page.inner_text("#dispute-score") == "87.5 → 77.5"
    if keep:
        shot(page, "dispute")
    sign_out(page)

    # The dashboard shows the new IQS.
    sign_in(page, base, "cole")
    page.wait_for_selector("h1")
    page.goto(f"{base}/dashboard")
    assert page.inner_text("#iqs .stat-value") == "77.5"
    assert page.locator("svg#chart-agents rect").count() >= 2
    if keep:
        shot(page, "dashboard")
