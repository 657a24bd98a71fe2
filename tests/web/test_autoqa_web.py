"""AutoQA on screen: the automatic score and its evidence beside (never in) the human
scorecard, a reviewer's "mark wrong", and the agreement table on the dashboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from auditkit.autoqa import service as autoqa_service
from auditkit.autoqa.results import autoqa_results
from auditkit.review import queue as review_queue
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from tests.web.conftest import Web, World, text
from tests.web.test_web_browser import browser_page, live_app, sign_in  # noqa: F401
from tests.web.test_web_review import KEY

REVIEWED = ("nb-2024-10447", "nb-2024-10502", "nb-2024-10533", "nb-2024-10611")


def review_some(world: World) -> None:
    """Rita reviews a few conversations, rating each criterion at its automatic level where it
    has one (so every pair agrees) and at the top level otherwise."""
    items = world.assign("rita", size=12, seed="autoqa")
    auto = {r.conversation_id: r for r in autoqa_results(world.installation)}
    for key in REVIEWED:
        item = next((a for a in items if a.conversation_key == key), None)
        if item is None:
            continue
        space = workspaces.workspace(world.installation, world.users["rita"], item.id)
        levels = {c.criterion: c.level for c in auto[key].criteria}
        ratings = {}
        for _s, c in space.rubric.criteria():
            level = levels.get(c.id)
            if level is None or (level == "na" and not c.na_allowed):
                level = c.scale.levels[-1]
            ratings[c.id] = level
        submissions.submit_review(
            world.installation, world.users["rita"], item.id, workspaces.DraftInput(ratings=ratings)
        )


def test_the_conversation_page_shows_the_automatic_score_apart_with_its_evidence(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    page = text(web("rita").get(f"/conversations/{KEY}"))
    card = page[page.index('id="autoqa"') :]
    assert "Automatic score" in card and "not a review" in card and "AutoQA" in card
    assert "not trusted yet" in card  # no reviews yet: no agreement, so nothing is trusted
    evidence = re.findall(r'href="#m-(\d+)"', card)
    assert evidence, "each automatic level links the messages it rests on"
    assert all(f'id="m-{seq}"' in page for seq in evidence)


def test_the_workspace_shows_autoqa_beside_an_empty_scorecard(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    items = world.assign("rita", size=12)
    item = next(a for a in items if a.conversation_key == KEY)
    page = text(web("rita").get(f"/reviews/{item.id}"))
    form = page[page.index('id="review-form"') : page.index("</form>")]
    assert "checked" not in form  # the automatic levels never pre-fill the human's choice
    assert page.index('id="autoqa"') > page.index('id="review-form"')


def test_a_page_without_scores_says_so_and_a_coach_sees_but_cannot_flag(
    web: Callable[[str | None], Web], world: World
) -> None:
    assert "Not scored yet" in text(web("rita").get(f"/conversations/{KEY}"))
    autoqa_service.run_autoqa(world.installation)
    coach = web("cole")
    page = text(coach.get(f"/conversations/{KEY}"))
    assert 'id="autoqa"' in page and "Mark wrong" not in page
    (result,) = autoqa_results(world.installation, conversation_ids=[KEY])
    refused = coach.post(
        f"/autoqa/{KEY}/flag",
        {"rubric_hash": result.rubric_hash, "criterion": "tone-consistency", "note": "x"},
    )
    assert refused.status_code == 403


def test_a_reviewer_marks_an_automatic_level_wrong_and_it_is_counted(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    (result,) = autoqa_results(world.installation, conversation_ids=[KEY])
    rita = web("rita")
    rita.get(f"/conversations/{KEY}")
    response = rita.post(
        f"/autoqa/{KEY}/flag",
        {"rubric_hash": result.rubric_hash, "criterion": "tone-consistency", "note": "warm"},
    )
    assert response.status_code == 302
    page = text(rita.get(f"/conversations/{KEY}"))
    assert "Marked wrong: tone-consistency" in page and "by rita" in page
    board = text(web("ada").get("/dashboard"))
    row = board[board.index('id="agreement-tone-consistency"') :]
    assert re.search(r'<td class="num">1</td>\s*<td class="num autoqa-col">', row[:600])  # 1 flag
    bad = rita.post(f"/autoqa/{KEY}/flag", {"rubric_hash": result.rubric_hash, "criterion": "x"})
    assert bad.status_code == 302
    assert "has no automatic level" in text(rita.get(f"/conversations/{KEY}"))


def test_the_dashboard_shows_agreement_per_criterion_and_autoqa_iqs_apart_from_iqs(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    review_some(world)
    board = text(web("ada").get("/dashboard"))
    table = board[board.index('id="autoqa-agreement"') :]
    assert "Human IQS" in table and "AutoQA IQS" in table
    closure = table[table.index('id="agreement-closure-confirmation"') :]
    pairs = int(re.search(r'<td class="num">(\d+)</td>', closure).group(1))  # type: ignore[union-attr]
    assert pairs >= 2
    headline = board[board.index('id="iqs"') : board.index('id="autoqa-agreement"')]
    assert "AutoQA" not in headline  # the human IQS stands alone at the top


@pytest.mark.browser
def test_in_a_browser_autoqa_stands_beside_the_scorecard_and_agreement_on_the_dashboard(
    browser_page: Any,  # noqa: F811
    live_app: str,  # noqa: F811
    world: World,
) -> None:
    page, base = browser_page, live_app
    autoqa_service.run_autoqa(world.installation)
    review_some(world)
    items = review_queue.my_queue(world.installation, world.users["rita"])
    item = next(a for a in items if a.conversation_key == KEY)
    sign_in(page, base, "rita")
    page.wait_for_selector("h1:text('My queue')")
    page.goto(f"{base}/reviews/{item.id}")
    page.wait_for_selector("#review-form")
    card = page.locator("#autoqa")
    assert card.is_visible() and "Automatic score" in card.inner_text()
    form_box, card_box = page.locator("#review-form").bounding_box(), card.bounding_box()
    assert card_box["y"] > form_box["y"]  # in the side column, under the human scorecard
    evidence = card.locator("a[href^='#m-']")
    if evidence.count():
        target = evidence.first.get_attribute("href")
        evidence.first.click()
        assert page.locator(target).is_visible()
    assert page.locator("#review-form input[type=radio]:checked").count() == 0
    page.screenshot(path="/tmp/auditkit-autoqa-workspace.png", full_page=True)
    page.goto(f"{base}/conversations/{KEY}")
    page.wait_for_selector("#autoqa")
    assert "not a review" in page.inner_text("#autoqa")
    page.locator("#autoqa").screenshot(path="/tmp/auditkit-autoqa-card.png")
    page.context.clear_cookies()  # sign out
    sign_in(page, base, "ada")
    page.goto(f"{base}/dashboard")
    page.wait_for_selector("#autoqa-agreement")
    table = page.inner_text("#autoqa-agreement")
    assert "Krippendorff" in table and "Closure confirmation" in table
    page.screenshot(path="/tmp/auditkit-autoqa-dashboard.png", full_page=True)


def test_the_reviewer_may_ask_for_the_automatic_levels_and_keeps_their_own(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    items = world.assign("rita", size=12)
    item = next(a for a in items if a.conversation_key == KEY)
    workspaces.save_draft(
        world.installation,
        world.users["rita"],
        item.id,
        workspaces.DraftInput(ratings={"tone-consistency": "3"}, summary="my summary"),
    )
    rita = web("rita")
    rita.get(f"/reviews/{item.id}")
    assert rita.post(f"/reviews/{item.id}/autoqa-prefill").status_code == 302
    space = workspaces.workspace(world.installation, world.users["rita"], item.id)
    (result,) = autoqa_results(world.installation, conversation_ids=[KEY])
    auto = {c.criterion: c.level for c in result.criteria if c.level is not None}
    assert space.draft.ratings["tone-consistency"] == "3"  # the reviewer's own choice stays
    assert space.draft.summary == "my summary"
    for criterion, level in auto.items():
        if criterion != "tone-consistency":
            assert space.draft.ratings.get(criterion) == level
    assert "Filled" in text(rita.get(f"/reviews/{item.id}"))


def test_the_conversation_list_shows_the_automatic_score_in_its_own_column(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    (result,) = autoqa_results(world.installation, conversation_ids=[KEY])
    page = text(web("rita").get("/conversations?per_page=100"))
    assert 'title="Automatic score (AutoQA): not a review">AutoQA</th>' in page
    row = page[page.index(f">{KEY}</a>") :]
    row = row[: row.index("</tr>")]
    assert f'<td class="num autoqa-col">{result.score:.1f}</td>' in row  # one decimal, as Score
