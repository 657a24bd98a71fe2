"""Auto-scorers in the rubric YAML: validated like the rest, scored like a human review."""

from __future__ import annotations

from fractions import Fraction
from importlib import resources
from pathlib import Path

import pytest

from auditkit.autoqa.scorers import auto_score, scorer_version
from auditkit.autoqa.signals import ConversationSignals, PolicyOutcome, Signal, compute_signals
from auditkit.rubric import RubricInvalid, load_rubric_file, load_rubric_text
from auditkit.rubric.autoscoring import SIGNALS, ConditionInvalid, parse_condition
from tests.unit.autoqa.test_signals import BY_ID, conversation_of

DEFAULT = Path(str(resources.files("auditkit.rubrics"))) / "messaging-quality.yaml"

SMALL = """
id: small
version: 1
title: Small
sections:
  - id: main
    title: Main
    criteria:
      - id: closure
        label: Closure
        scale: pass_fail
        weight: 60
        na_allowed: true
        levels: {pass: confirmed, fail: not confirmed}
        autoqa:
          scorer: signals
          rules:
            - {level: na, when: agent_messages == 0}
            - {level: pass, when: resolution_confirmed, confidence: 0.8}
          otherwise: fail
      - id: tone
        label: Tone
        scale: 0-3
        weight: 40
        levels: {0: rude, 1: cold, 2: polite, 3: warm}
        AUTOQA
      - id: verified
        label: Verified
        scale: pass_fail
        weight: 0
        critical: true
        levels: {pass: verified, fail: not verified}
        autoqa:
          scorer: policy
          policies: [identity-validation]
"""
TONE = """autoqa:
          scorer: signals
          rules:
            - {level: 3, when: greeting and closing and empathy >= 1}
            - {level: 2, when: greeting and closing}
          otherwise: 1"""


def small(tone: str = TONE) -> str:
    return SMALL.replace("AUTOQA", tone)


def signals(**values: object) -> ConversationSignals:
    policies = values.pop("policies", {})
    found = {name: Signal(None) for name in SIGNALS}
    for name, value in values.items():
        found[name] = Signal(value, (7,))  # type: ignore[arg-type]
    return ConversationSignals(signals=found, policies=policies)  # type: ignore[arg-type]


def test_the_default_rubric_maps_its_five_messaging_criteria_and_its_gates() -> None:
    rubric = load_rubric_file(DEFAULT)
    scorers = {c.id: c.autoqa for _s, c in rubric.criteria()}
    assert all(scorer is not None for scorer in scorers.values())
    assert {c.id for s, c in rubric.criteria() if s.id == "compliance"} == {
        cid for cid, scorer in scorers.items() if scorer and scorer.scorer == "policy"
    }


def test_auto_scorers_are_not_part_of_the_rubrics_identity() -> None:
    with_scorers = load_rubric_text(small(), source="a.yaml")
    other_tone = load_rubric_text(small(TONE.replace("otherwise: 1", "otherwise: 2")), source="b")
    assert with_scorers.content_hash == other_tone.content_hash  # reviewers' rubric unchanged
    assert scorer_version(with_scorers) != scorer_version(other_tone)  # the scorer is new


def test_the_first_rule_that_holds_gives_the_level_and_its_signals_evidence() -> None:
    rubric = load_rubric_text(small(), source="a.yaml")
    result = auto_score(
        rubric,
        signals(
            agent_messages=3, resolution_confirmed=True, greeting=True, closing=True, empathy=0
        ),
    )
    by_id = {c.criterion: c for c in result.criteria}
    assert (by_id["closure"].level, by_id["closure"].confidence) == ("pass", 0.8)
    assert by_id["closure"].evidence == (7,)
    assert by_id["tone"].level == "2" and by_id["tone"].reason == "when greeting and closing"
    assert by_id["verified"].level is None  # no check result: left unscored, not guessed
    # Same rules as a human review over what was rated: (60*100 + 40*66.67) / 100.
    assert result.score == Fraction(60 * 100 + 40 * Fraction(200, 3), 100)


def test_a_failed_policy_gate_zeroes_the_automatic_score_like_a_review() -> None:
    rubric = load_rubric_text(small(), source="a.yaml")
    result = auto_score(
        rubric,
        signals(
            agent_messages=3,
            resolution_confirmed=True,
            policies={"identity-validation": PolicyOutcome("fail", (4, 5))},
        ),
    )
    verified = next(c for c in result.criteria if c.criterion == "verified")
    assert (verified.level, verified.evidence) == ("fail", (4, 5))
    assert result.score == 0 and result.critical_failures == ("verified",)


def test_a_policy_with_nothing_to_judge_passes_a_gate_that_cannot_be_na() -> None:
    rubric = load_rubric_text(small(), source="a.yaml")
    result = auto_score(
        rubric,
        signals(
            agent_messages=1, policies={"identity-validation": PolicyOutcome("not_applicable")}
        ),
    )
    assert next(c for c in result.criteria if c.criterion == "verified").level == "pass"


def test_when_no_rule_holds_the_otherwise_level_says_so() -> None:
    rubric = load_rubric_text(small(), source="a.yaml")
    result = auto_score(rubric, signals(agent_messages=0))
    by_id = {c.criterion: c for c in result.criteria}
    assert by_id["closure"].level == "na"
    assert (
        by_id["tone"].level == "1" and by_id["tone"].reason == "none of its 2 rules held: otherwise"
    )


@pytest.mark.parametrize(
    ("snippet", "criterion", "level"),
    [
        ("tau-retail-0", "closure-confirmation", "pass"),  # "That's all I needed."
        ("abcd-3592", "closure-confirmation", "fail"),  # the return refused, nothing confirmed
        ("hvb-004860b1", "closure-confirmation", "pass"),
        ("hvb-004860b1", "problem-understanding", "3"),  # asked which card after being told
        ("hvb-004860b1", "proactive-information", "2"),  # next step with a timescale
        ("abcd-3592", "proactive-information", "1"),  # a next step, no timescale
    ],
)
def test_the_default_rubric_on_labelled_snippets(snippet: str, criterion: str, level: str) -> None:
    rubric = load_rubric_file(DEFAULT)
    result = auto_score(rubric, compute_signals(conversation_of(BY_ID[snippet])))
    assert next(c for c in result.criteria if c.criterion == criterion).level == level


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("unanswered_questions >= 2", [("unanswered_questions", ">=", 2.0)]),
        ("greeting", [("greeting", "==", True)]),
        ("not closing", [("closing", "!=", True)]),
        ("apologies", [("apologies", ">", 0.0)]),
        (
            "sentiment_change <= -0.5 and resolution_confirmed == false",
            [("sentiment_change", "<=", -0.5), ("resolution_confirmed", "==", False)],
        ),
    ],
)
def test_conditions_parse(text: str, parsed: list[tuple[str, str, object]]) -> None:
    assert [(c.signal, c.op, c.value) for c in parse_condition(text)] == parsed


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("mood > 1", "unknown signal 'mood'"),
        ("greeting > 1", "greeting is a flag"),
        ("apologies == true", "compare it with a number"),
        ("apologies >>= 1", "cannot read"),
        ("", "must be a condition"),
    ],
)
def test_a_bad_condition_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(ConditionInvalid, match=reason):
        parse_condition(text)


@pytest.mark.parametrize(
    ("tone", "field", "reason"),
    [
        (
            TONE.replace("otherwise: 1", "otherwise: 7"),
            "autoqa.otherwise",
            "7 is not a level of this criterion",
        ),
        (TONE.replace("otherwise: 1", ""), "autoqa.otherwise", "required"),
        (TONE.replace("level: 3", "level: na"), "autoqa.rules[0].level", "'na' is not a level"),
        (TONE.replace("greeting and closing and", "grumpy and"), "rules[0].when", "unknown signal"),
        (TONE.replace("scorer: signals", "scorer: magic"), "autoqa.scorer", "not one of"),
        (TONE.replace("scorer: signals", "scorer: policy"), "autoqa.rules", "takes policies"),
        (
            TONE.replace("{level: 2, when: greeting and closing}", "{level: 2, when: x, why: y}"),
            "autoqa.rules[1].why",
            "unknown field",
        ),
        (
            TONE.replace("otherwise: 1", "otherwise: 1\n          otherwise_confidence: 2"),
            "autoqa.otherwise_confidence",
            "from 0 to 1",
        ),
    ],
)
def test_a_bad_auto_scorer_is_refused_naming_file_field_and_reason(
    tone: str, field: str, reason: str
) -> None:
    with pytest.raises(RubricInvalid) as refused:
        load_rubric_text(small(tone), source="team.yaml")
    problems = [str(p) for p in refused.value.problems]
    assert any(
        p.startswith("team.yaml: sections[0].criteria[1].") and field in p and reason in p
        for p in problems
    ), problems


def test_the_policy_scorer_needs_a_pass_fail_criterion() -> None:
    tone = "autoqa:\n          scorer: policy\n          policies: [identity-validation]"
    with pytest.raises(RubricInvalid, match="pass_fail criteria only"):
        load_rubric_text(small(tone), source="team.yaml")
