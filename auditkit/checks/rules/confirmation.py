"""Explicit confirmation: the agent states what will happen and the customer affirms, first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from auditkit.checks.results import CheckContext, RuleOutcome
from auditkit.checks.rules.base import (
    ActionMatcher,
    MessageMatcher,
    Rule,
    describe_action,
    each,
    failed,
    not_applicable,
    passed,
)
from auditkit.checks.spec import Spec
from auditkit.checks.timeline import Timeline
from auditkit.ledger.records import RecordKind

DEFAULT_FAILED_OUTCOMES = ("failure", "failed", "error")
"""Outcomes of an action that did not happen, so a retry may use the same confirmation."""


@dataclass(frozen=True)
class ConfirmationBeforeAction(Rule):
    """Each transactional action follows its own confirmation, affirmed by the customer.

    Walking the session in order: a staff message matching ``confirm`` opens a
    confirmation; a customer message matching ``negate`` takes the affirmation back (a
    reply that is both counts as a refusal) and one matching ``affirm`` affirms it; the
    action passes only when the latest confirmation in its session is affirmed and not
    taken back. Each action uses up its confirmation, so a second transfer needs a second
    one, except that an action recorded with one of ``failed_outcomes`` did not happen: a
    retry of the same action right after it (no other transactional action between) is
    covered by the confirmation the failed attempt used.
    """

    type_name = "confirmation_before_action"
    fields = ("actions", "phrases", "confirm", "affirm", "negate", "failed_outcomes")

    action: ActionMatcher
    confirm: MessageMatcher
    affirm: MessageMatcher
    negate: MessageMatcher
    failed_outcomes: frozenset[str] = frozenset(DEFAULT_FAILED_OUTCOMES)

    @classmethod
    def from_spec(cls, rule_id: str, spec: Spec) -> Self:
        """Read the transactional actions and the confirm, affirm and negate matchers."""
        failed = spec.labels("failed_outcomes") if spec.has("failed_outcomes") else None
        return cls(
            rule_id=rule_id,
            action=ActionMatcher.read(spec),
            confirm=MessageMatcher.read(spec, "confirm", required=True),
            affirm=MessageMatcher.read(spec, "affirm", required=True),
            negate=MessageMatcher.read(spec, "negate", required=False),
            failed_outcomes=frozenset(DEFAULT_FAILED_OUTCOMES if failed is None else failed),
        )

    def evaluate(self, timeline: Timeline, context: CheckContext) -> RuleOutcome:
        """Replay confirmations and replies in each session and judge every action."""
        occurrences = self.action.find(timeline)
        if not occurrences:
            return not_applicable("No transactional action happened.")
        targets = set(occurrences)
        events = timeline.events
        sessions = timeline.sessions
        violations: list[str] = []
        proof: list[int] = []
        against: list[int] = []
        session = -1
        confirmed: int | None = None
        affirmed: int | None = None
        negated: int | None = None
        # (failed action's index, its confirmation, its affirmation) while a retry may follow.
        retry: tuple[int, int, int] | None = None
        for index in range(occurrences[-1] + 1):
            if sessions[index] != session:
                session = sessions[index]
                confirmed = affirmed = negated = None
                retry = None
            if index in targets:
                if (
                    confirmed is None
                    and retry is not None
                    and self._same(timeline, retry[0], index)
                ):
                    failed_at, confirmed, affirmed = retry
                    proof.extend(
                        (timeline.seq(failed_at), timeline.seq(confirmed), timeline.seq(affirmed))
                    )
                problem, cited = self._judge(timeline, index, confirmed, affirmed, negated)
                if problem is None:
                    proof.extend(cited)
                else:
                    violations.append(problem)
                    against.extend(cited)
                retry = None
                if (
                    problem is None
                    and confirmed is not None
                    and affirmed is not None
                    and self._failed(timeline, index)
                ):
                    retry = (index, confirmed, affirmed)
                confirmed = affirmed = negated = None
                continue
            if events[index].kind != RecordKind.MESSAGE:
                continue
            if timeline.is_staff(index):
                if self.confirm.matches(timeline, index):
                    confirmed, affirmed, negated = index, None, None
                    retry = None
            elif confirmed is not None and timeline.roles[index] == "customer":
                if self.negate and self.negate.matches(timeline, index):
                    affirmed, negated = None, index
                elif self.affirm.matches(timeline, index):
                    affirmed, negated = index, None
        if violations:
            return failed(violations, against)
        return passed(
            f"A confirmation the customer affirmed came before"
            f" {each(len(occurrences), 'transactional action')}.",
            proof,
        )

    def _failed(self, timeline: Timeline, index: int) -> bool:
        """Whether the action at ``index`` is recorded as not having happened."""
        event = timeline.events[index]
        outcome = event.body.get("outcome") if event.kind == RecordKind.ACTION else None
        return isinstance(outcome, str) and outcome.casefold() in self.failed_outcomes

    @staticmethod
    def _same(timeline: Timeline, earlier: int, later: int) -> bool:
        """Whether ``later`` repeats the action at ``earlier`` (same recorded name)."""
        first, second = timeline.events[earlier], timeline.events[later]
        return first.kind == second.kind == RecordKind.ACTION and first.body.get(
            "name"
        ) == second.body.get("name")

    def _judge(
        self,
        timeline: Timeline,
        index: int,
        confirmed: int | None,
        affirmed: int | None,
        negated: int | None,
    ) -> tuple[str | None, list[int]]:
        """What is wrong with the action at ``index`` (None when fine) and the seqs to cite."""
        action = describe_action(timeline, index)
        seq = timeline.seq(index)
        if confirmed is None:
            return f"{action} came with no confirmation asked before it in its session", [seq]
        if affirmed is None:
            cited = [timeline.seq(confirmed), seq]
            declined = ""
            if negated is not None:
                declined = f"; the customer declined (seq {timeline.seq(negated)})"
                cited.append(timeline.seq(negated))
            return (
                f"{action} came before the customer affirmed the confirmation"
                f" (seq {timeline.seq(confirmed)}){declined}",
                cited,
            )
        return None, [timeline.seq(confirmed), timeline.seq(affirmed), seq]
