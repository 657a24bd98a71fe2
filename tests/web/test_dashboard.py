"""The quality dashboard (IQS by agent, team, criterion, week; queue; policy failures; SVG
charts) and grading the grader."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from auditkit.checks import store as check_store
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from tests.web.conftest import Web, World, text
from tests.web.test_web_review import KEY, TOP, records


@pytest.fixture
def submitted(world: World) -> submissions.SubmittedReview:
    """Rita's review of KEY (87.50); eleven more assignments stay open."""
    items = world.assign("rita", size=12)
    item = next(a for a in items if a.conversation_key == KEY)
    ratings = {k.split(".", 1)[1]: v for k, v in TOP.items()}
    return submissions.submit_review(
        world.installation, world.users["rita"], item.id, workspaces.DraftInput(ratings=ratings)
    )


def add_check_results(world: World) -> None:
    row = {
        "policy_version": "1",
        "policy_hash": "0" * 64,
        "input_key": "1",
        "severity": "high",
        "explanation": "",
        "evidence": "[]",
        "record_seq": 0,
        "evaluated_at": "2026-01-01T00:00:00.000000Z",
    }
    with world.installation.engine.begin() as conn:
        # Through the checks' store, as the checks record them (it keeps the policy counts).
        check_store.replace_results(
            conn,
            [
                {**row, "conversation_key": "a", "policy_id": "consent", "outcome": "fail"},
                {**row, "conversation_key": "b", "policy_id": "consent", "outcome": "pass"},
                {**row, "conversation_key": "c", "policy_id": "consent", "outcome": "fail"},
                {**row, "conversation_key": "a", "policy_id": "identity", "outcome": "pass"},
                {
                    **row,
                    "conversation_key": "b",
                    "policy_id": "identity",
                    "outcome": "not_applicable",
                },
            ],
        )


def test_the_dashboard_shows_iqs_by_agent_team_criterion_and_week_as_svg(
    web: Callable[[str | None], Web], world: World, submitted: submissions.SubmittedReview
) -> None:
    response = web("cole").get("/dashboard")
    assert response.status_code == 200
    page = text(response)
    for heading in ("IQS by agent", "IQS by team", "IQS by criterion", "IQS by week"):
        assert heading in page
    for chart in ("chart-agents", "chart-teams", "chart-criteria", "chart-weeks", "queue-chart"):
        assert f'<svg class="chart" id="{chart}"' in page
    assert "87.5" in page
    assert "1 submitted of 12" in page  # queue progress
    assert "<script" not in page and "style=" not in page  # CSP: no inline script or style


def test_policy_failures_come_from_check_results(
    web: Callable[[str | None], Web], world: World
) -> None:
    add_check_results(world)
    page = text(web("cora").get("/dashboard"))
    assert "consent" in page and "identity" in page
    consent = page.split("consent</a></td>", 1)[1].split("</tr>", 1)[0]
    assert ">2<" in consent and ">3<" in consent
    assert 'href="/findings?policy=consent"' in page  # each number opens the findings


def test_the_period_filter_leaves_out_reviews_outside_it(
    web: Callable[[str | None], Web], world: World, submitted: submissions.SubmittedReview
) -> None:
    page = text(web("ada").get("/dashboard?since=2000-01-01&until=2000-01-31"))
    assert "No reviews in this period." in page
    assert web("ada").get("/dashboard?since=nope").status_code == 400


@pytest.mark.parametrize(
    ("name", "status"), [("ada", 200), ("cora", 200), ("cole", 200), ("rita", 403)]
)
def test_who_sees_the_dashboard(
    web: Callable[[str | None], Web], world: World, name: str, status: int
) -> None:
    assert web(name).get("/dashboard").status_code == status


def test_an_admin_spot_checks_a_review(
    web: Callable[[str | None], Web], world: World, submitted: submissions.SubmittedReview
) -> None:
    ada = web("ada")
    assert f"/review-records/{submitted.seq}/grader-check" in text(ada.get("/graders"))
    page = text(ada.get(f"/review-records/{submitted.seq}/grader-check"))
    assert "Score too high" in page and "Root cause" in page
    refused = ada.post(
        f"/review-records/{submitted.seq}/grader-check",
        {"verdict": "too_high", "root_cause": "none"},
    )
    assert refused.status_code == 400 and "say why the score was off" in text(refused)
    response = ada.post(
        f"/review-records/{submitted.seq}/grader-check",
        {"verdict": "too_high", "root_cause": "missed_evidence", "note": "tone was cold"},
    )
    assert response.status_code == 302
    page = text(ada.get("/graders"))
    row = page.split("<td>rita</td>", 1)[1].split("</tr>", 1)[0]
    assert [cell.split("<")[0] for cell in row.split('class="num">')[1:6]] == [
        "1",
        "1",
        "1",
        "0",
        "0",
    ]
    assert "tone was cold" in page
    ((_seq, body),) = records(world, "review.grader_check")
    assert body["verdict"] == "too_high" and body["checker"] == "ada"
    assert web("cole").get("/graders").status_code == 403
    assert web("rita").get(f"/review-records/{submitted.seq}/grader-check").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard?until=9999-12-31",
        "/agents?until=9999-12-31",
        "/agents/agent-amara?until=9999-12-31",
        "/coaching?until=9999-12-31",
    ],
)
def test_a_period_ending_on_the_last_representable_day_is_a_400_with_its_reason(
    web: Callable[[str | None], Web], world: World, url: str
) -> None:
    response = web("ada").get(url)
    assert response.status_code == 400, response.status_code
    assert "is past the last date auditkit holds" in text(response)
