"""Spotlight sampling's pure parts: the AutoQA focus from form values (each bad field named),
the signals a draw can require, the most informative draw and a draw's coverage."""

from __future__ import annotations

import json

import pytest

from auditkit.autoqa.spotlight import AutoqaFocus, AutoqaSignal, focus_from_values, signals_hold
from auditkit.errors import InputRefused
from auditkit.review.sampling import Candidate, SamplingMethod, coverage_of, draw


def _signals(**values: object) -> dict[str, object]:
    return {"signals": {name: {"value": value, "seqs": []} for name, value in values.items()}}


@pytest.mark.parametrize(
    ("signal", "document", "holds"),
    [
        (AutoqaSignal.NEGATIVE_SWING, _signals(sentiment_change="-0.45"), True),
        (AutoqaSignal.NEGATIVE_SWING, _signals(sentiment_change="-0.3"), True),
        (AutoqaSignal.NEGATIVE_SWING, _signals(sentiment_change="-0.2"), False),
        (AutoqaSignal.NEGATIVE_SWING, _signals(sentiment_change=None), False),
        (AutoqaSignal.UNANSWERED_QUESTION, _signals(unanswered_questions=1), True),
        (AutoqaSignal.UNANSWERED_QUESTION, _signals(unanswered_questions=0), False),
        (AutoqaSignal.LONG_SILENCE, _signals(longest_agent_gap_seconds="1800"), True),
        (AutoqaSignal.LONG_SILENCE, _signals(longest_agent_gap_seconds="1799.5"), False),
        (AutoqaSignal.LONG_SILENCE, _signals(longest_agent_gap_seconds=None), False),
        (AutoqaSignal.FAILED_POLICY, _signals(policy_failures=2), True),
        (AutoqaSignal.FAILED_POLICY, _signals(policy_failures=0), False),
        (AutoqaSignal.FAILED_POLICY, {"signals": {}}, False),
    ],
)
def test_each_signal_holds_on_what_the_stored_score_says(
    signal: AutoqaSignal, document: dict[str, object], holds: bool
) -> None:
    assert signals_hold(document, AutoqaFocus(signals=frozenset({signal}))) is holds


def test_every_chosen_signal_must_hold() -> None:
    both = AutoqaFocus(
        signals=frozenset({AutoqaSignal.UNANSWERED_QUESTION, AutoqaSignal.FAILED_POLICY})
    )
    assert signals_hold(_signals(unanswered_questions=1, policy_failures=1), both)
    assert not signals_hold(_signals(unanswered_questions=1, policy_failures=0), both)


def test_the_silence_threshold_is_the_focus_minutes() -> None:
    focus = focus_from_values(signals=["long_silence"], silence_minutes="5")
    assert focus.silence_minutes == 5
    assert signals_hold(_signals(longest_agent_gap_seconds="301"), focus)


def test_a_focus_reads_the_form_values() -> None:
    focus = focus_from_values(score_min="10", score_max="60.5", signals=["negative_swing"])
    assert (focus.score_min, focus.score_max) == (10.0, 60.5)
    assert focus.signals == {AutoqaSignal.NEGATIVE_SWING} and focus.active
    assert focus.text() == "AutoQA score 10-60.5, signals: negative_swing"
    assert not focus_from_values().active and focus_from_values().text() == ""


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"signals": ["rudeness"]}, "AutoQA signals: unknown signal 'rudeness'"),
        ({"score_min": "abc"}, "AutoQA score from: 'abc' is not a number"),
        ({"score_max": "120"}, "AutoQA score to: 120 is not between 0 and 100"),
        ({"score_min": "70", "score_max": "20"}, "AutoQA score range: from 70 is above to 20"),
        ({"silence_minutes": "0"}, "long silence: '0' is not a whole number of minutes"),
    ],
)
def test_bad_focus_values_are_refused_naming_the_field(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(InputRefused) as refused:
        focus_from_values(**values)  # type: ignore[arg-type]
    assert any(message in p for p in refused.value.problems), refused.value.problems


def _candidate(key: str, agent: str = "a") -> Candidate:
    return Candidate(key=key, channel="web", primary_agent=agent, intent=None, staff=frozenset())


def test_the_most_informative_draw_takes_the_least_confident_first() -> None:
    candidates = [_candidate(k) for k in ("a", "b", "c", "d", "e")]
    priority = {"a": 0.9, "b": 0.4, "c": 0.7, "d": 0.41, "e": 0.95}
    drawn = draw(
        candidates, method=SamplingMethod.MOST_INFORMATIVE, size=3, seed="x", priority=priority
    )
    assert [c.key for c in drawn] == ["b", "c", "d"]
    # a candidate without a priority (no automatic score) is never drawn this way
    only = draw(
        candidates, method=SamplingMethod.MOST_INFORMATIVE, size=9, seed="x", priority={"e": 0.1}
    )
    assert [c.key for c in only] == ["e"]


def test_a_draws_coverage_counts_conversations_agents_and_intents_of_the_period() -> None:
    period = [
        {
            "conversation_key": "k1",
            "agents": json.dumps(["ann"]),
            "intents": json.dumps(["refund"]),
        },
        {"conversation_key": "k2", "agents": json.dumps(["bob"]), "intents": json.dumps(["card"])},
        {"conversation_key": "k3", "agents": json.dumps(["ann", "cy"]), "intents": "[]"},
        {"conversation_key": "k4", "agents": "[]", "intents": json.dumps(["refund"])},
    ]
    coverage = coverage_of(["k1", "k3"], period)
    assert coverage.document() == {
        "conversations": 2,
        "conversations_total": 4,
        "agents": 2,
        "agents_total": 3,
        "intents": 1,
        "intents_total": 2,
    }
    assert coverage.text() == (
        "2 of 4 conversations (50%), 2 of 3 agents (66.7%), 1 of 2 intents (50%)"
    )
    assert coverage_of([], []).text().startswith("0 of 0 conversations (—)")
