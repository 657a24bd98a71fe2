"""Spotlight sampling on the queue screen and in saved rules: draws by AutoQA score range, by
signal and where AutoQA is least confident, each reporting its coverage of the period."""

from __future__ import annotations

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
