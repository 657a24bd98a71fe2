"""Evaluating policies over one whole conversation: every rule, every session, with evidence."""

from __future__ import annotations

from collections.abc import Iterable

from auditkit.checks.policy import Policy
from auditkit.checks.results import CheckContext, CheckResult, Outcome, RuleResult
from auditkit.checks.timeline import Timeline
from auditkit.ledger.conversation import LedgerConversation

_EMPTY_CONTEXT = CheckContext()


def evaluate(
    policies: Iterable[Policy],
    conversation: LedgerConversation,
    context: CheckContext | None = None,
) -> list[CheckResult]:
    """One result per policy, in the order given, for ``conversation``.

    Deterministic: the same policies, conversation and context always give equal
    results. The conversation is indexed once and shared by every rule.
    """
    timeline = Timeline.build(conversation)
    context = context or _EMPTY_CONTEXT
    return [_judge(policy, timeline, context) for policy in policies]


def _judge(policy: Policy, timeline: Timeline, context: CheckContext) -> CheckResult:
    skipped = policy.applies_to.skip_reason(timeline.conversation)
    if skipped is not None:
        return _result(policy, timeline, Outcome.NOT_APPLICABLE, skipped, (), ())

    results = []
    for rule in policy.rules:
        outcome = rule.evaluate(timeline, context)
        results.append(
            RuleResult(
                rule_id=rule.rule_id,
                rule_type=rule.type_name,
                outcome=outcome.status,
                explanation=outcome.explanation,
                evidence_seqs=outcome.evidence_seqs,
            )
        )
    failures = [r for r in results if r.outcome is Outcome.FAIL]
    if failures:
        chosen, verdict = failures, Outcome.FAIL
    else:
        chosen = [r for r in results if r.outcome is Outcome.PASS]
        verdict = Outcome.PASS if chosen else Outcome.NOT_APPLICABLE
        if not chosen:
            chosen = results
    explanation = " ".join(dict.fromkeys(r.explanation for r in chosen))
    evidence = tuple(sorted({seq for r in chosen for seq in r.evidence_seqs}))
    return _result(policy, timeline, verdict, explanation, evidence, tuple(results))


def _result(
    policy: Policy,
    timeline: Timeline,
    outcome: Outcome,
    explanation: str,
    evidence: tuple[int, ...],
    rule_results: tuple[RuleResult, ...],
) -> CheckResult:
    conversation = timeline.conversation
    return CheckResult(
        conversation_key=conversation.key,
        conversation_last_seq=conversation.last_seq,
        policy_id=policy.id,
        policy_version=policy.version,
        policy_hash=policy.content_hash,
        outcome=outcome,
        severity=policy.severity,
        explanation=explanation,
        evidence_seqs=evidence,
        rule_results=rule_results,
    )
