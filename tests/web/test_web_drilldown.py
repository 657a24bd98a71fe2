"""Drill-down: every number on the dashboard, the agents list and the agent page links to
the reviews (or findings) behind it, and the list behind a link holds exactly those."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest

from auditkit.checks.service import run_checks
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.listing import week_of
from auditkit.review.workspace import DraftInput
from tests.web.conftest import Web, World, text

REVIEW_ROW = re.compile(r'<tr>\s*<td><a href="/review-records/(\d+)">')


@pytest.fixture
def reviewed(world: World) -> dict[int, tuple[str | None, float | None]]:
    """Six demo conversations reviewed by rita (levels vary), checks run: seq -> (agent, score)."""
    run_checks(world.installation)
    items = world.assign("rita", size=6, seed="drill")
    rubric = workspaces.workspace(world.installation, world.users["rita"], items[0].id).rubric
    done = {}
    for index, item in enumerate(items):
        ratings = {
            c.id: c.scale.levels[min(index, len(c.scale.levels) - 1)] for _s, c in rubric.criteria()
        }
        result = submissions.submit_review(
            world.installation, world.users["rita"], item.id, DraftInput(ratings=ratings)
        )
        done[result.seq] = result
    from auditkit.review import history

    rows = history.agents_overview(world.installation, world.users["ada"])
    assert rows
    out: dict[int, tuple[str | None, float | None]] = {}
    for seq in done:
        detail = history.review_detail(world.installation, world.users["ada"], seq)
        out[seq] = (detail.summary.agent_id, detail.summary.score)
    return out


def hrefs(page: str, prefix: str) -> list[str]:
    """Every link starting with ``prefix``, entities decoded."""
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page) if h.startswith(prefix)]


def seqs(page: str) -> set[int]:
    return {int(s) for s in REVIEW_ROW.findall(page)}


def test_dashboard_numbers_open_the_reviews_behind_them(
    web: Callable[[str | None], Web], reviewed: dict[int, tuple[str | None, float | None]]
) -> None:
    cole = web("cole")
    board = cole.get("/dashboard").get_data(as_text=True)
    links = hrefs(board, "/review-records")
    assert "/review-records" in links  # IQS and the review count
    everything = text(cole.get("/review-records"))
    assert seqs(everything) == set(reviewed)
    agent = next(a for a, _ in reviewed.values() if a)
    by_agent = f"/review-records?agent={agent}"
    assert by_agent in links
    assert seqs(text(cole.get(by_agent))) == {s for s, (a, _) in reviewed.items() if a == agent}
    criterion = next(h for h in links if "criterion=" in h)
    listed = text(cole.get(criterion))
    assert seqs(listed) == set(reviewed) and "Rating" in listed
    week = next(h for h in links if "since=" in h and "until=" in h)
    assert seqs(text(cole.get(week))) == set(reviewed)  # all were submitted this week
    critical = text(cole.get("/review-records?critical=1"))
    assert all("critical" in row for row in critical.split("<tr>")[2:] if "review-records/" in row)
    assert "/findings?policy=identity-validation" in hrefs(board, "/findings")
    assert "/disputes?status=open" in hrefs(board, "/disputes")


def test_the_weeks_of_a_trend_are_mondays() -> None:
    assert week_of("2024-03-21T15:37:19Z") == "2024-03-18"
    assert week_of("2024-03-18T00:00:00Z") == "2024-03-18"


def test_agents_list_and_agent_page_link_their_numbers(
    web: Callable[[str | None], Web], reviewed: dict[int, tuple[str | None, float | None]]
) -> None:
    cole = web("cole")
    agent = next(a for a, _ in reviewed.values() if a)
    mine = {s for s, (a, _) in reviewed.items() if a == agent}
    agents = cole.get("/agents").get_data(as_text=True)
    assert f"/review-records?agent={agent}" in hrefs(agents, "/review-records")
    page = cole.get(f"/agents/{agent}").get_data(as_text=True)
    assert 'id="chart-agent-weeks"' in page  # IQS by week as SVG
    assert 'id="coaching-report"' in page and 'action="/reports/coaching"' in page
    assert f'href="/coaching?agent={agent}"' in page
    by_criterion = [h for h in hrefs(page, "/review-records") if "criterion=" in h]
    assert by_criterion
    assert seqs(text(cole.get(by_criterion[0]))) == mine


def test_the_review_list_needs_agent_scores_and_refuses_unknown_values(
    web: Callable[[str | None], Web], reviewed: dict[int, tuple[str | None, float | None]]
) -> None:
    assert web("rita").get("/review-records").status_code == 403
    cora = web("cora")
    refused = cora.get("/review-records?agent=agent-nobody&criterion=nope&critical=yes")
    assert refused.status_code == 400
    body = text(refused)
    assert "agent: no agent 'agent-nobody' is known" in body
    assert "criterion: no criterion 'nope' is known" in body
    assert "critical: 'yes' is not 1" in body
