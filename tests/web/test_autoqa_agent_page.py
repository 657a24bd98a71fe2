"""AutoQA on the agent page: AutoQA IQS beside human IQS, per criterion and by week, over
the trusted criteria only (the dashboard's rule), labelled automatic."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from auditkit.accounts.users import Permission
from auditkit.autoqa import service as autoqa_service
from auditkit.autoqa.agreement import agent_autoqa, measure_agreement
from auditkit.errors import AccessDenied
from auditkit.review.queue import refresh_facts
from tests.web.conftest import Web, World, text
from tests.web.test_autoqa_web import review_some


def _card(page: str, rubric_id: str) -> str:
    card = page[page.index(f'id="agent-autoqa-{rubric_id}"') :]
    return card[: card.index("</section>")]


def _agent(world: World) -> str:
    """The primary agent of the most auto-scored conversations (the conversation facts, which
    hold the primary agent, are refreshed as the queue, search and findings do)."""
    refresh_facts(world.installation)
    (found,) = measure_agreement(world.installation)
    return max(found.by_agent, key=lambda item: item[2])[0]


def test_the_agent_page_shows_autoqa_iqs_per_criterion_and_week_beside_human_iqs(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    agent = _agent(world)
    before = agent_autoqa(world.installation, world.users["ada"], agent)
    (rubric,) = before
    assert rubric.conversations > 0
    assert not any(c.trusted for c in rubric.criteria)  # no reviews: nothing is trusted yet
    assert rubric.iqs is None and rubric.scored == 0
    page = text(web("ada").get(f"/agents/{agent}"))
    card = _card(page, rubric.rubric_id)
    assert "AutoQA beside human scores" in card and "automatic, not reviews" in card
    assert card.count("not trusted yet") == len(rubric.criteria)
    assert "No AutoQA IQS yet" in card
    assert f'id="agent-autoqa-iqs-{rubric.rubric_id}"' not in page

    review_some(world)  # agreeing reviews: criteria become trusted
    (after,) = agent_autoqa(world.installation, world.users["ada"], agent)
    (dashboard,) = measure_agreement(world.installation)
    trusted = {c.criterion for c in dashboard.criteria if c.trusted}
    assert trusted and {c.criterion for c in after.criteria if c.trusted} == trusted
    assert dict((a, (s, n)) for a, s, n in dashboard.by_agent)[agent] == (after.iqs, after.scored)
    page = text(web("ada").get(f"/agents/{agent}"))
    stat = page[page.index(f'id="agent-autoqa-iqs-{after.rubric_id}"') :]
    assert f'<span class="stat-value">{float(after.iqs):.1f}</span>' in stat[:200]
    assert "AutoQA IQS · automatic" in stat[:300]
    card = _card(page, after.rubric_id)
    for c in after.criteria:
        row = card[card.index(f'id="agent-autoqa-{after.rubric_id}-{c.criterion}"') :]
        row = row[: row.index("</tr>")]
        assert ("not trusted yet" in row) is (not c.trusted)
        mean = "—" if c.mean is None else f"{c.mean:.1f}"
        assert f'<td class="num autoqa-col">{mean} <span class="muted">({c.scored})' in row
    rows = re.findall(
        r'<tr><td class="nowrap">([\d-]+)</td><td class="num">([^<]+) <span class="muted">\((\d+)\)'
        r'</span></td><td class="num autoqa-col">([^<]+) <span class="muted">\((\d+)\)',
        card,
    )
    assert len(rows) == len(after.by_week) > 0
    assert sum(int(n) for *_r, n in rows) == after.scored
    assert f'id="chart-agent-autoqa-weeks-{after.rubric_id}"' in card and "<rect" in card


def test_an_empty_period_shows_nothing_scored_and_agents_pages_need_the_permission(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    agent = _agent(world)
    (empty,) = agent_autoqa(
        world.installation, world.users["ada"], agent, since="2001-01-01", until="2001-01-08"
    )
    assert empty.conversations == 0 and empty.iqs is None and empty.by_week == ()
    page = text(web("ada").get(f"/agents/{agent}?since=2001-01-01&until=2001-01-07"))
    assert "Nothing scored yet." in _card(page, empty.rubric_id)
    with pytest.raises(AccessDenied):
        agent_autoqa(world.installation, world.users[_no_scores_user(world)], agent)


def _no_scores_user(world: World) -> str:
    return next(name for name, u in world.users.items() if not u.can(Permission.AGENT_SCORES_READ))
