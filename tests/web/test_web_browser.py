"""The reviewer's loop in a real browser (Playwright driving Debian's chromium).

Also keeps screenshots of the main screens under docs/screens/.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from auditkit.ledger import store as ledger_store
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from tests.conftest import IN_CI
from tests.web.conftest import PASSWORD, World

CHROMIUM = Path(os.environ.get("AUDITKIT_TEST_CHROMIUM", "/usr/bin/chromium"))
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
SCRATCH = Path(tempfile.gettempdir()) / "auditkit-screens"
CONVERSATION = "nb-2024-10431"

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page() -> Iterator[Any]:
    """A chromium page; skipped locally (failed in CI) when chromium or Playwright is missing."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright package is not installed"
    if reason:
        if IN_CI:
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


@pytest.fixture
def live_app(app: Flask) -> Iterator[str]:
    """The app served by waitress on a free loopback port (what `auditkit serve` runs)."""
    import waitress

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


def shot(page: Any, name: str) -> None:
    """Screenshot the whole page: into docs/screens/ when AUDITKIT_UPDATE_SCREENS=1 (so a
    normal run leaves the checkout alone), else into a scratch folder."""
    folder = SCREENS if os.environ.get("AUDITKIT_UPDATE_SCREENS") == "1" else SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_reviewer_scores_a_conversation_end_to_end(
    browser_page: Any, live_app: str, world: World, database_url: str
) -> None:
    page, base = browser_page, live_app
    keep = database_url.startswith("sqlite")
    world.assign("rita", size=12)

    page.goto(f"{base}/login")
    if keep:
        shot(page, "login")
    sign_in(page, base, "rita")
    page.wait_for_selector("h1:text('My queue')")
    assert page.locator("tbody tr").count() == 12
    if keep:
        shot(page, "queue")

    # Work the queue: open the conversation with known personal data.
    page.locator("tr", has_text=CONVERSATION).get_by_role("link").click()
    page.wait_for_selector("#review-form")
    transcript = page.inner_text("#transcript")
    assert "María" not in transcript and "maria.gonzalez@example.com" not in transcript
    assert "[NAME]" in transcript
    assert "Handoff" in transcript and "Consent" in transcript and "Validation" in transcript

    # Reveal with a reason: the clear text appears and the reveal is on record.
    page.click("details.reveal summary")
    page.fill("input[name=reason]", "check the agent verified the right customer")
    page.click("button:text('Reveal for 15 minutes')")
    page.wait_for_selector(".reveal-on")
    assert "María" in page.inner_text("#transcript")
    if keep:
        shot(page, "reveal")

    # Comment on a message.
    first_agent_message = page.locator("article.msg-agent").first
    first_agent_message.locator("summary").click()
    first_agent_message.locator("textarea").fill("Good: verification before any account detail.")
    first_agent_message.get_by_role("button", name="Add comment").click()
    page.wait_for_selector(".comment")
    assert "Good: verification" in page.inner_text(".comment")

    # Score every criterion; the draft autosaves.
    choices = {
        "problem-understanding": "5",
        "guidance-effectiveness": "4",
        "tone-consistency": "3",
        "proactive-information": "2",
        "closure-confirmation": "pass",
        "identity-verified": "pass",
        "consent-recorded": "pass",
        "sensitive-data-handling": "pass",
    }
    for criterion, value in choices.items():
        page.locator(
            f"#criterion-{criterion} label.level", has=page.locator(f"input[value='{value}']")
        ).click()
    page.wait_for_selector("#autosave-status.saved")
    page.fill("textarea[name=summary]", "Clear, compliant handling of a duplicate payment.")
    page.select_option("select[name=new-example-criterion]", "problem-understanding")
    page.click("button:text('Add example')")
    page.wait_for_selector(".example-exemplary")
    if keep:
        page.evaluate("document.querySelector('.workspace-form').scrollTop = 0")
        shot(page, "workspace")

    page.click("#submit-review")
    page.wait_for_selector("text=review score")
    # (100*25 + 75*30 + 100*15 + 66.67*15 + 100*15) / 100; the gates carry no weight
    assert page.inner_text(".stat-value") == "87.5"
    if keep:
        shot(page, "review")

    # The review is in the conversation's history, signed into the ledger.
    page.goto(f"{base}/conversations/{CONVERSATION}")
    history = page.inner_text("#history")
    assert "rita" in history and "v1" in history and "87.5" in history
    if keep:
        shot(page, "conversation")
    with world.installation.engine.connect() as conn:
        kinds = [e.kind for e in ledger_store.entries_by_seq(conn, list(range(0, 10_000)))]
    assert kinds.count("review") == 1 and kinds.count("review.comment") == 1
    assert kinds.count("access") == 1


def test_manager_screens(browser_page: Any, live_app: str, world: World, database_url: str) -> None:
    page, base = browser_page, live_app
    submit_examples(world)
    sign_in(page, base, "ada")
    page.goto(f"{base}/queue/manage")
    page.wait_for_selector("h1:text('Review queue')")
    row = page.locator("tbody tr").first
    row.locator("input[name=reason]").fill("rita is on leave this week")
    row.get_by_role("button", name="Reassign").click()
    page.wait_for_selector(".flash-success")
    assert "reassigned" in page.inner_text(".flash-success")
    page.goto(f"{base}/agents")
    assert "agent-lucas" in page.inner_text("table")
    page.goto(f"{base}/coaching")
    assert "Needs work" in page.inner_text("main")
    assert "Ahmed" not in page.inner_text("main")  # examples stay redacted
    if database_url.startswith("sqlite"):
        shot(page, "coaching")
        page.goto(f"{base}/agents/agent-lucas")
        shot(page, "agent")
        page.goto(f"{base}/queue/manage")
        shot(page, "manage")
        page.goto(f"{base}/rubrics/{world.rubric_hash}")
        shot(page, "rubric")


def submit_examples(world: World) -> None:
    """Two submitted reviews by rob, with coaching examples, for the agents and coaching screens."""
    items = world.assign("rob", size=12, seed="examples")
    for key, level, label in (
        ("nb-2024-10447", "4", "exemplary"),
        ("nb-2024-10533", "2", "needs_work"),
    ):
        item = next(a for a in items if a.conversation_key == key)
        space = workspaces.workspace(world.installation, world.users["rob"], item.id)
        seqs = [seq for _number, seq in space.page.message_seqs]
        ratings = {
            c.id: level if c.scale.levels[-1] == "5" else c.scale.levels[-1]
            for _s, c in space.rubric.criteria()
        }
        submissions.submit_review(
            world.installation,
            world.users["rob"],
            item.id,
            workspaces.DraftInput(
                ratings=ratings,
                examples=(
                    workspaces.ExampleInput(
                        first_seq=str(seqs[1]),
                        last_seq=str(seqs[3]),
                        label=label,
                        criterion="problem-understanding",
                        note="the customer had to repeat the card number"
                        if label == "needs_work"
                        else "confirmed the new address back in one message",
                    ),
                ),
            ),
        )
