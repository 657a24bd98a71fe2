"""Spotlight sampling on the queue screen and in saved rules: draws by AutoQA score range, by
signal and where AutoQA is least confident, each reporting its coverage of the period."""

from __future__ import annotations

import re
from collections.abc import Callable

from auditkit.autoqa import service as autoqa_service
from auditkit.autoqa.results import autoqa_results
from tests.conftest import Cli
from tests.web.conftest import Web, World, text
from tests.web.test_web_queue import assignment_rows, sample


def _scores(world: World) -> dict[str, tuple[float | None, float, dict[str, object]]]:
    return {
        r.conversation_id: (r.score, r.confidence, r.signals["signals"])
        for r in autoqa_results(world.installation)
        if r.rubric_hash == world.rubric_hash
    }


def _assigned(world: World) -> set[str]:
    return {str(r["conversation_key"]) for r in assignment_rows(world)}


def test_a_draw_by_autoqa_score_range_takes_only_conversations_in_it_and_reports_coverage(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    scores = _scores(world)
    known = sorted(s for s, _c, _g in scores.values() if s is not None)
    cut = known[len(known) // 2]
    expected = {k for k, (s, _c, _g) in scores.items() if s is not None and s <= cut}
    ada = web("ada")
    drawn = sample(ada, world, size="1000", autoqa_max=str(cut))
    assert drawn.status_code == 302  # type: ignore[attr-defined]
    assert _assigned(world) == expected and 0 < len(expected) < len(scores)
    page = text(ada.get("/queue/manage"))
    assert f"{len(expected)} of {len(expected)} eligible" in page
    assert "Coverage of the period:" in page
    assert f"{len(expected)} of {len(scores)} conversations" in page  # the demo's whole period
    assert 'class="coverage"' in page and f"score 0–{cut:g}" in page.replace(".0–", "–")


def test_a_draw_by_signal_takes_only_conversations_where_it_holds(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    expected = {
        k
        for k, (_s, _c, g) in _scores(world).items()
        if float(g["sentiment_change"]["value"]) <= -0.3  # type: ignore[index]
    }
    assert expected, "the demo data has a conversation whose customer's sentiment fell"
    sample(web("ada"), world, size="1000", autoqa_signals=["negative_swing"])
    assert _assigned(world) == expected


def test_the_most_informative_draw_takes_the_least_confident(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    scores = _scores(world)
    confidence = {k: c for k, (_s, c, _g) in scores.items()}
    assert len(set(confidence.values())) > 1
    sample(web("ada"), world, size="2", method="informative")
    drawn = _assigned(world)
    assert len(drawn) == 2
    rest = set(confidence) - drawn
    assert max(confidence[k] for k in drawn) <= min(confidence[k] for k in rest)
    assert min(confidence[k] for k in drawn) == min(confidence.values())


def test_bad_spotlight_input_is_refused_naming_the_field_and_nothing_is_drawn(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    ada = web("ada")
    unknown = sample(ada, world, autoqa_signals=["rudeness"])
    assert unknown.status_code == 400  # type: ignore[attr-defined]
    assert "AutoQA signals: unknown signal 'rudeness'" in text(unknown)  # type: ignore[arg-type]
    reversed_range = sample(ada, world, autoqa_min="80", autoqa_max="20")
    assert "AutoQA score range: from 80 is above to 20" in text(reversed_range)  # type: ignore[arg-type]
    out_of_range = sample(ada, world, autoqa_min="-5")
    assert out_of_range.status_code == 400  # type: ignore[attr-defined]
    assert "AutoQA score from: -5 is not between 0 and 100" in text(out_of_range)  # type: ignore[arg-type]
    assert assignment_rows(world) == []


def test_most_informative_without_automatic_scores_is_refused(
    web: Callable[[str | None], Web], world: World
) -> None:
    refused = sample(web("ada"), world, method="informative")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "method: most informative" in text(refused)  # type: ignore[arg-type]
    assert assignment_rows(world) == []


def test_a_saved_spotlight_rule_draws_daily_and_keeps_its_coverage(
    web: Callable[[str | None], Web], world: World, run: Cli
) -> None:
    autoqa_service.run_autoqa(world.installation)
    expected = {
        k
        for k, (_s, _c, g) in _scores(world).items()
        if float(g["longest_agent_gap_seconds"]["value"]) >= 3600  # type: ignore[index]
    }
    assert expected, "the demo data has a conversation where the customer waited an hour"
    ada = web("ada")
    form = {
        "method": "random",
        "size": "1000",
        "rubric": world.rubric_hash,
        "reviewers": [str(world.users["rita"].id)],
        "due_on": "2999-01-01",
        "autoqa_signals": ["long_silence"],
        "silence_minutes": "60",
        "rule_name": "silences",
    }
    assert ada.post("/queue/rules", form).status_code == 302
    bad = ada.post("/queue/rules", {**form, "rule_name": "x", "autoqa_signals": ["nope"]})
    assert bad.status_code == 400 and "AutoQA signals: unknown signal" in text(bad)
    out = run("sample", "run-rules").output
    assert f"silences: drawn: {len(expected)} of {len(expected)} eligible assigned" in out
    assert "coverage: " in out and f"{len(expected)} of " in out
    assert _assigned(world) == expected
    history = run("sample", "rules").output
    assert "signals: long_silence, silence at least 60 min" in history
    assert "; coverage: " in history
    page = text(ada.get("/queue/manage"))
    rules = page[page.index('id="rules"') :]
    assert "signals: long_silence" in rules and "coverage:" in rules


def _listed(page: str) -> set[str]:
    table = page[page.index('id="conversation-list"') :]
    return set(re.findall(r'href="/conversations/([^"#]+)"', table[: table.index("</table>")]))


def test_the_conversation_list_filters_by_autoqa_score_and_the_filter_is_in_the_address(
    web: Callable[[str | None], Web], world: World
) -> None:
    rita = web("rita")
    before = text(rita.get("/conversations?autoqa=unscored&per_page=500"))
    everyone = _listed(before)
    assert everyone and not _listed(text(rita.get("/conversations?autoqa=scored&per_page=500")))
    autoqa_service.run_autoqa(world.installation)
    scores = _scores(world)
    assert _listed(text(rita.get("/conversations?autoqa=scored&per_page=500"))) == set(scores)
    assert _listed(text(rita.get("/conversations?autoqa=unscored&per_page=500"))) == (
        everyone - set(scores)
    )
    known = sorted(s for s, _c, _g in scores.values() if s is not None)
    low, high = known[1], known[-2]
    expected = {k for k, (s, _c, _g) in scores.items() if s is not None and low <= s <= high}
    page = text(rita.get(f"/conversations?autoqa_min={low}&autoqa_max={high}&per_page=2"))
    assert f"{len(expected)} conversation" in page
    assert f'name="autoqa_min" min="0" max="100" step="any" value="{low}"' in page
    shared = re.search(r'href="(/conversations\?[^"]*page=2[^"]*)"', page)
    assert shared and f"autoqa_min={low}" in shared.group(1).replace("&amp;", "&")
    every = _listed(
        text(rita.get(f"/conversations?autoqa_min={low}&autoqa_max={high}&per_page=500"))
    )
    assert every == expected and len(expected) < len(scores)
    csv = rita.get(f"/conversations?autoqa_min={low}&autoqa_max={high}&format=csv").get_data(
        as_text=True
    )
    assert {line.split(",")[0] for line in csv.splitlines()[1:]} == expected


def test_bad_autoqa_list_filters_are_refused_naming_the_field(
    web: Callable[[str | None], Web], world: World
) -> None:
    rita = web("rita")
    bad = rita.get("/conversations?autoqa_min=abc&autoqa=maybe")
    assert bad.status_code == 400
    page = text(bad)
    assert "autoqa_min: 'abc' is not a number" in page
    assert "autoqa: 'maybe' is not scored or unscored" in page
    reversed_range = rita.get("/conversations?autoqa_min=80&autoqa_max=10")
    assert reversed_range.status_code == 400
    assert "autoqa_min: 80 is above autoqa_max 10" in text(reversed_range)
    assert rita.get("/conversations?autoqa_max=101").status_code == 400


def test_the_queue_shows_the_automatic_score_muted_and_never_in_the_form(
    web: Callable[[str | None], Web], world: World
) -> None:
    autoqa_service.run_autoqa(world.installation)
    items = world.assign("rita", size=3)
    scores = _scores(world)
    page = text(web("rita").get("/queue"))
    assert "AutoQA" in page and "not a review" in page
    for item in items:
        cell = re.search(rf'data-autoqa="{item.id}">([^<]*)<', page)
        assert cell is not None
        score = scores[item.conversation_key][0]
        assert cell.group(1) == ("—" if score is None else f"{score:.1f}")
    space = text(web("rita").get(f"/reviews/{items[0].id}"))
    form = space[space.index('id="review-form"') : space.index("</form>")]
    assert "checked" not in form
