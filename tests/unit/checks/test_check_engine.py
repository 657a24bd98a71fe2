"""The engine: one deterministic result per policy, scoped by applies_to, rules combined."""

from __future__ import annotations

import pytest

from auditkit.checks import (
    CheckContext,
    CheckResult,
    Outcome,
    Policy,
    Severity,
    evaluate,
    load_default_policies,
    parse_policy,
)
from auditkit.checks.timeline import Timeline
from tests.unit.checks.builders import (
    AGENT,
    CUSTOMER,
    action,
    assign,
    code,
    conversation,
    msg,
    policy_text,
    status,
    verify,
)

VALIDATION = "type: validation_before_sensitive_action\nactions: [issue-refund]\nvalidation:\n  actions: [verify-identity]"
HYGIENE = "type: resolution_hygiene\nid: hygiene"


def _policy(*rules: str, extra: str = "") -> Policy:
    return parse_policy(policy_text(*rules, extra=extra), source="p.yaml")


def test_a_result_records_the_policy_identity_and_the_conversation() -> None:
    policy = _policy(VALIDATION)
    conv = conversation(verify(), action("issue-refund"), key="conv-7")
    (result,) = evaluate([policy], conv)
    assert result == CheckResult(
        conversation_key="conv-7",
        conversation_last_seq=2,
        policy_id="test-policy",
        policy_version="1",
        policy_hash=policy.content_hash,
        outcome=Outcome.PASS,
        severity=Severity.HIGH,
        explanation="Identity was validated in the same session before the sensitive action.",
        evidence_seqs=(1, 2),
        rule_results=result.rule_results,
    )
    (rule,) = result.rule_results
    assert (rule.rule_id, rule.rule_type, rule.outcome) == (
        "validation_before_sensitive_action-1",
        "validation_before_sensitive_action",
        Outcome.PASS,
    )


@pytest.mark.parametrize(
    ("steps", "intents", "outcome", "evidence", "failing"),
    [
        (
            (action("issue-refund"), code("x"), status("resolved")),
            ("a",),
            Outcome.FAIL,
            (1,),
            ["validation_before_sensitive_action-1"],
        ),
        (
            (action("issue-refund"), status("resolved")),
            (),
            Outcome.FAIL,
            (1, 2),
            ["validation_before_sensitive_action-1", "hygiene"],
        ),
        (
            (verify(), action("issue-refund"), code("x"), status("resolved")),
            ("a",),
            Outcome.PASS,
            (1, 2, 3, 4),
            [],
        ),
        ((verify(), action("issue-refund")), (), Outcome.PASS, (1, 2), []),
        ((msg(CUSTOMER, "hi"),), (), Outcome.NOT_APPLICABLE, (), []),
    ],
    ids=[
        "one-rule-fails",
        "both-fail",
        "both-pass",
        "one-passes-one-not-applicable",
        "nothing-applies",
    ],
)
def test_a_policy_fails_when_any_rule_fails_and_passes_when_one_passes(
    steps: tuple,
    intents: tuple[str, ...],
    outcome: Outcome,
    evidence: tuple[int, ...],
    failing: list[str],
) -> None:
    policy = _policy(VALIDATION, HYGIENE)
    (result,) = evaluate([policy], conversation(*steps, intents=intents))
    assert result.outcome is outcome, result.explanation
    assert result.evidence_seqs == evidence
    assert [r.rule_id for r in result.rule_results if r.outcome is Outcome.FAIL] == failing
    assert len(result.rule_results) == 2


@pytest.mark.parametrize(
    ("extra", "channel", "intents", "applies"),
    [
        ("applies_to:\n  channels: [whatsapp]\n", "web_chat", (), False),
        ("applies_to:\n  channels: [whatsapp, web_chat]\n", "web_chat", (), True),
        ("applies_to:\n  intents: [refund]\n", "web_chat", ("address-change",), False),
        ("applies_to:\n  intents: [refund]\n", "web_chat", ("address-change", "refund"), True),
        ("", "sms", (), True),
    ],
    ids=["other-channel", "listed-channel", "other-intent", "listed-intent", "unrestricted"],
)
def test_applies_to_limits_the_conversations_a_policy_judges(
    extra: str, channel: str, intents: tuple[str, ...], applies: bool
) -> None:
    policy = _policy(VALIDATION, extra=extra)
    conv = conversation(action("issue-refund"), channel=channel, intents=intents)
    (result,) = evaluate([policy], conv)
    if applies:
        assert result.outcome is Outcome.FAIL
    else:
        assert result.outcome is Outcome.NOT_APPLICABLE
        assert result.rule_results == ()
        assert "applies to" in result.explanation


def test_results_follow_the_order_of_the_policies_and_are_deterministic() -> None:
    first = _policy(VALIDATION)
    second = parse_policy(
        policy_text(HYGIENE).replace(b"id: test-policy", b"id: second"), source="q.yaml"
    )
    conv = conversation(
        assign(AGENT), verify("failure"), action("issue-refund"), status("resolved")
    )
    results = evaluate([second, first], conv, CheckContext(pii={}))
    assert [r.policy_id for r in results] == ["second", "test-policy"]
    assert results == evaluate([second, first], conv, CheckContext(pii={}))


def test_an_empty_conversation_is_not_applicable_everywhere() -> None:
    results = evaluate(load_default_policies(), conversation())
    assert {r.outcome for r in results} == {Outcome.NOT_APPLICABLE}


@pytest.mark.parametrize(
    ("statuses", "sessions"),
    [
        (["session_started", "m", "session_ended", "session_started", "m"], [0, 0, 0, 1, 1]),
        (["m", "session_started", "m"], [0, 1, 1]),
        (["opened", "session_started", "m"], [0, 0, 0]),
        (["m", "session_ended", "m", "m"], [0, 0, 1, 1]),
        (["m", "resolved", "reopened", "m"], [0, 0, 1, 1]),
        (
            ["m", "resolved", "session_ended", "reopened", "session_started", "m"],
            [0, 0, 0, 1, 1, 1],
        ),
    ],
    ids=[
        "started-ended-started",
        "started-after-content",
        "opened-then-started",
        "after-ended",
        "reopened",
        "ended-reopened-started",
    ],
)
def test_sessions_are_split_by_status_events(statuses: list[str], sessions: list[int]) -> None:
    steps = [msg(CUSTOMER, "hi") if s == "m" else status(s) for s in statuses]
    assert Timeline.build(conversation(*steps)).sessions == sessions
