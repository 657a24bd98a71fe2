"""Agents' review scores (IQS), the coaching example list and the rubric screens."""

from __future__ import annotations

from collections.abc import Callable

from auditkit.review import submission as submissions
from auditkit.review.queue import Assignment
from auditkit.review.workspace import DraftInput
from tests.web.conftest import Web, World, text


def submit(world: World, items: list[Assignment], key: str, ratings: dict[str, str]) -> int:
    item = next(a for a in items if a.conversation_key == key)
    return submissions.submit_review(
        world.installation, world.users["rita"], item.id, DraftInput(ratings=ratings)
    ).seq


def ratings(understand: str, closure: str = "pass", verified: str = "pass") -> dict[str, str]:
    return {
        "problem-understanding": understand,
        "guidance-effectiveness": understand,
        "tone-consistency": "3",
        "proactive-information": "na",
        "closure-confirmation": closure,
        "identity-verified": verified,
        "consent-recorded": "pass",
        "sensitive-data-handling": "pass",
    }


def test_an_agents_iqs_is_the_mean_of_their_latest_review_scores(
    web: Callable[[str | None], Web], world: World
) -> None:
    # Lucas is the primary agent of nb-2024-10447, 10502 and 10611.
    items = world.assign("rita", size=12)
    submit(world, items, "nb-2024-10447", ratings("5"))  # 100
    submit(world, items, "nb-2024-10502", ratings("3", closure="fail"))  # see below
    submit(world, items, "nb-2024-10611", ratings("5", verified="fail"))  # critical: 0
    client = web("cole")
    overview = text(client.get("/agents"))
    assert "agent-lucas" in overview and "Lucas" in overview
    # mean of 100, 50.0 and 0 (the second: (1250 + 1500 + 1500 + 0) / 85 = 50.0)
    page = text(client.get("/agents/agent-lucas"))
    assert "50.0" in page and "3 reviews" in page
    assert page.count("critical") >= 1
    assert "Clarity of problem understanding" in page
    assert "No reviews in this period." in text(client.get("/agents/agent-lucas?until=2000-01-01"))
    assert "No reviews in this period." in text(client.get("/agents?since=2999-01-01"))


def test_a_bad_period_is_refused(web: Callable[[str | None], Web]) -> None:
    response = web("cole").get("/agents?since=yesterday")
    assert response.status_code == 400 and "'yesterday' is not a date" in text(response)


def test_an_unknown_agent_is_not_found(web: Callable[[str | None], Web]) -> None:
    assert web("cole").get("/agents/agent-nobody").status_code == 404


def test_the_coaching_list_starts_empty(web: Callable[[str | None], Web]) -> None:
    assert "No examples yet" in text(web("cole").get("/coaching"))


def test_rubric_screens_show_the_hash_and_every_level(
    web: Callable[[str | None], Web], world: World
) -> None:
    client = web("cora")
    listing = text(client.get("/rubrics"))
    assert "Messaging quality" in listing and world.rubric_hash[:16] in listing
    page = text(client.get(f"/rubrics/{world.rubric_hash}"))
    assert world.rubric_hash in page
    assert "critical: fails the review" in page and "policy identity-validation" in page
    assert "Closed, or let the conversation lapse, without confirming." in page
    assert client.get("/rubrics/" + "0" * 64).status_code == 404


def test_a_rubric_in_the_home_is_offered_and_a_bad_one_is_reported(
    web: Callable[[str | None], Web], world: World
) -> None:
    folder = world.installation.settings.home / "rubrics"
    folder.mkdir()
    (folder / "short.yaml").write_text(
        "id: short\nversion: 1\ntitle: Short check\nsections:\n  - id: s\n    title: S\n"
        "    criteria:\n      - {id: ok, label: OK, scale: pass_fail, weight: 1, "
        "levels: {pass: fine, fail: not fine}}\n",
        encoding="utf-8",
    )
    client = web("ada")
    assert "Short check" in text(client.get("/queue/manage"))
    (folder / "broken.yaml").write_text("id: Broken\n", encoding="utf-8")
    response = client.get("/rubrics")
    assert response.status_code == 500
    assert "broken.yaml: id: 'Broken' must be lower-case" in text(response)
