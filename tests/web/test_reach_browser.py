"""Each role's day with the policy results, search, drill-down and admin screens, in a real
browser (Playwright driving Debian's chromium). Keeps screenshots under docs/screens/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditkit.checks.service import run_checks
from auditkit.privacy import erasure
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.workspace import DraftInput
from tests.conftest import Cli
from tests.web.conftest import World
from tests.web.test_web_browser import browser_page, live_app, shot, sign_in  # noqa: F401
from tests.web.test_web_review import records

pytestmark = pytest.mark.browser
FAILED_IDENTITY = "nb-2024-10611"
RATINGS = {
    "problem-understanding": "4",
    "guidance-effectiveness": "4",
    "tone-consistency": "3",
    "proactive-information": "2",
    "closure-confirmation": "pass",
    "identity-verified": "pass",  # the identity-validation policy failed here
    "consent-recorded": "na",
    "sensitive-data-handling": "pass",
}


def test_the_reviewer_sees_a_failed_check_and_the_disagreement_is_recorded(
    browser_page: Any,  # noqa: F811
    live_app: str,  # noqa: F811
    world: World,
    database_url: str,
) -> None:
    page, base, keep = browser_page, live_app, database_url.startswith("sqlite")
    run_checks(world.installation)
    world.assign("rita", size=12)
    sign_in(page, base, "rita")
    page.wait_for_selector("h1:text('My queue')")
    page.locator("tr", has_text=FAILED_IDENTITY).get_by_role("link").click()
    page.wait_for_selector("#review-form")
    card = page.inner_text("#checks")
    assert "identity-validation" in card and "Failed" in card
    gate = page.locator("#gate-identity-verified")
    assert "Failed" in gate.inner_text()

    # Highlight-to-comment: selecting words in a message opens its comment box, quoted.
    message = page.locator("article.msg-agent").first
    message.locator(".msg-text").evaluate(
        """text => {
            const range = document.createRange();
            range.setStart(text.firstChild, 0);
            range.setEnd(text.firstChild, 12);
            window.getSelection().removeAllRanges();
            window.getSelection().addRange(range);
            text.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
        }"""
    )  # what a reader's drag over the first words does
    box = message.locator("details.comment-box textarea")
    box.wait_for(state="visible")
    assert box.input_value().startswith("\u201c")
    box.fill(box.input_value() + "asked before verifying")
    message.get_by_role("button", name="Add comment").click()
    page.wait_for_selector(".comment")
    assert "asked before verifying" in page.inner_text(".comment")
    for criterion, value in RATINGS.items():
        page.locator(
            f"#criterion-{criterion} label.level", has=page.locator(f"input[value='{value}']")
        ).click()
    page.wait_for_selector("#gate-identity-verified.gate-disagrees")  # as the reviewer rates
    assert page.locator("#gate-identity-verified .gate-note").is_visible()
    if keep:
        shot(page, "workspace-policy-gate")
    page.click("#submit-review")
    page.wait_for_selector("text=disagree with the automated check of identity-validation")
    ((_seq, body),) = records(world, "review")
    (gate_record,) = [g for g in body["policy_checks"] if g["criterion"] == "identity-verified"]  # type: ignore[union-attr]
    assert gate_record["disagrees"] is True and gate_record["outcome"] == "fail"


def test_the_compliance_officer_filters_by_failed_policy_and_downloads_the_findings(
    browser_page: Any,  # noqa: F811
    live_app: str,  # noqa: F811
    world: World,
    database_url: str,
    run: Cli,
    tmp_path: Path,
) -> None:
    page, base, keep = browser_page, live_app, database_url.startswith("sqlite")
    run_checks(world.installation)
    sign_in(page, base, "cora")
    page.goto(f"{base}/conversations")
    page.select_option("select[name=failed_policy]", "identity-validation")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**failed_policy=identity-validation**")
    rows = page.locator("#conversation-list tbody tr")
    assert rows.count() == 2 and FAILED_IDENTITY in page.inner_text("#conversation-list")
    assert "2 conversations · page 1 of 1" in page.inner_text("main")
    if keep:
        shot(page, "conversations-filtered")
    page.goto(f"{base}/findings")
    page.select_option("select[name=policy]", "identity-validation")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**policy=identity-validation**")
    if keep:
        shot(page, "findings")
    with page.expect_download() as waiting:
        page.click("text=Download CSV")
    saved = tmp_path / "findings.csv"
    waiting.value.save_as(saved)
    printed = run("findings", "--policy", "identity-validation", "--format", "csv").output
    assert saved.read_text(encoding="utf-8") == printed
    assert FAILED_IDENTITY in printed


def test_the_coach_generates_a_coaching_report_from_the_agent_page(
    browser_page: Any,  # noqa: F811
    live_app: str,  # noqa: F811
    world: World,
    database_url: str,
    tmp_path: Path,
) -> None:
    page, base, keep = browser_page, live_app, database_url.startswith("sqlite")
    items = world.assign("rita", size=12)
    rubric = workspaces.workspace(world.installation, world.users["rita"], items[0].id).rubric
    ratings = {c.id: c.scale.levels[-1] for _s, c in rubric.criteria()}
    for item in items[:4]:
        submissions.submit_review(
            world.installation, world.users["rita"], item.id, DraftInput(ratings=ratings)
        )
    sign_in(page, base, "cole")
    page.goto(f"{base}/agents")
    page.locator("tbody tr").first.get_by_role("link").first.click()
    page.wait_for_selector("#chart-agent-weeks")
    if keep:
        shot(page, "agent")
    with page.expect_download() as waiting:
        page.click("#coaching-report")
    pdf = tmp_path / "coaching.pdf"
    waiting.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    # The coaching library (linked from the agent page) fits a 1,366 px window.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.click("text=Coaching library")
    page.wait_for_selector("form[aria-label^='Filter']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_the_admin_adds_a_user_and_places_a_hold(
    browser_page: Any,  # noqa: F811
    live_app: str,  # noqa: F811
    world: World,
    database_url: str,
) -> None:
    page, base, keep = browser_page, live_app, database_url.startswith("sqlite")
    sign_in(page, base, "ada")
    page.goto(f"{base}/admin/users")
    form = page.locator("#add-user form")
    form.locator("input[name=username]").fill("nina")
    form.locator("input[name=display_name]").fill("Nina N")
    form.locator("select[name=role]").select_option("coach")
    form.locator("input[name=password]").fill("a-long-enough-passphrase")
    form.get_by_role("button", name="Add user").click()
    page.wait_for_selector("#user-nina")
    if keep:
        shot(page, "admin-users")
    page.goto(f"{base}/admin/holds")
    form = page.locator("#place-hold form")
    form.locator("input[name=value]").fill("nb-2024-10431")
    form.locator("input[name=reason]").fill("litigation hold 2024-17")
    form.get_by_role("button", name="Place hold").click()
    page.wait_for_selector("#holds >> text=litigation hold 2024-17")
    if keep:
        shot(page, "admin-holds")
    (hold,) = erasure.list_holds(world.installation)
    assert hold.conversation_key == "nb-2024-10431" and hold.created_by == "ada"
