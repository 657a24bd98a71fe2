"""AutoQA IQS on the dashboard: by week beside human IQS (an SVG chart and a table), and the
automatic mean of each criterion, with untrusted criteria kept out of AutoQA IQS."""

from __future__ import annotations

import re
from collections.abc import Callable

from auditkit.autoqa import service as autoqa_service
from auditkit.autoqa.agreement import measure_agreement, week_of
from auditkit.ledger.records import format_time
from auditkit.periods import utc_now
from tests.web.conftest import Web, World, text
from tests.web.test_autoqa_web import review_some


def test_the_dashboard_shows_autoqa_iqs_by_week_beside_human_iqs(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    review_some(world)
    (found,) = measure_agreement(world.installation)
    board = text(web("ada").get("/dashboard"))
    card = board[board.index(f'id="autoqa-weeks-{found.rubric_id}"') :]
    card = card[: card.index("</section>")]
    assert "AutoQA IQS by week" in card and "automatic" in card
    rows = re.findall(
        r'<tr><td class="nowrap">([\d-]+)</td><td class="num">([^<]+) <span class="muted">\((\d+)\)'
        r'</span></td><td class="num autoqa-col">([^<]+) <span class="muted">\((\d+)\)',
        card,
    )
    assert len(rows) == len(found.by_week) >= 2  # the demo's weeks and this week's reviews
    shown = {
        week: (human, int(n_human), auto, int(n_auto))
        for week, human, n_human, auto, n_auto in rows
    }
    this_week = shown[week_of(format_time(utc_now()))]
    assert this_week[1] == found.human_reviews  # every review was submitted this week
    assert sum(n for _h, _n, _a, n in shown.values()) == found.auto_conversations
    for w in found.by_week:
        assert shown[w.key][2] == ("—" if w.value is None else f"{w.value:.1f}")
    assert any(w.value is not None for w in found.by_week), "agreeing reviews trust criteria"
    assert f'id="chart-autoqa-weeks-{found.rubric_id}"' in card and "<rect" in card
    table = board[board.index('id="autoqa-agreement"') :]
    for c in found.criteria:
        row = table[table.index(f'id="agreement-{c.criterion}"') :]
        row = row[: row.index("</tr>")]
        assert ("not in AutoQA IQS" in row) is (not c.trusted)
        mean = "—" if c.auto_mean is None else f"{c.auto_mean:.1f}"
        assert f'<td class="num autoqa-col">{mean} <span class="muted">({c.scored})' in row
