"""Identity validation before a sensitive action, within the same session (and owner)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from auditkit.checks.results import CheckContext, RuleOutcome
from auditkit.checks.rules.base import (
    ActionMatcher,
    Rule,
    describe_action,
    each,
    failed,
    not_applicable,
    passed,
)
from auditkit.checks.spec import Spec
from auditkit.checks.timeline import Timeline
from auditkit.checks.wording import PhraseSet
from auditkit.ledger.records import RecordKind


class MissingOutcome(StrEnum):
    """How to read a validation action that records no outcome (ABCD records none)."""

    SUCCESS = "success"
    FAILURE = "failure"


@dataclass(frozen=True)
class ValidationSteps:
    """What counts as an identity validation and which of its outcomes count as success."""

    action: ActionMatcher
    success_outcomes: frozenset[str]
    missing_outcome: MissingOutcome

    @classmethod
    def read(cls, spec: Spec) -> ValidationSteps:
        """Read the ``validation`` mapping of a rule."""
        child = spec.child("validation", required=True, what="'validation' settings")
        if child is None:
            return cls(
                ActionMatcher(frozenset(), PhraseSet.of(())), frozenset(), MissingOutcome.FAILURE
            )
        action = ActionMatcher.read(child)
        outcomes = child.labels("success_outcomes") or ("success",)
        missing = child.choice("missing_outcome", MissingOutcome, default=MissingOutcome.FAILURE)
        child.finish()
        assert missing is not None  # a default was given
        return cls(action, frozenset(outcomes), missing)

    def succeeded(self, timeline: Timeline, index: int) -> bool:
        """Whether the validation at ``index`` succeeded (a recognised phrase always does)."""
        event = timeline.events[index]
        if event.kind != RecordKind.ACTION:
            return True
        outcome = event.body.get("outcome")
        if outcome is None:
            return self.missing_outcome is MissingOutcome.SUCCESS
        return outcome in self.success_outcomes


@dataclass(frozen=True)
class ValidationBeforeSensitiveAction(Rule):
    """Every sensitive action follows a successful identity validation in the same session.

    Sensitive actions are the listed ``actions`` (or, with no action events, staff
    messages matching ``phrases``); in a conversation with one of the listed
    ``intents``, every action except the ``exempt_actions`` is sensitive too, and a
    conversation of such an intent needs at least one successful validation even if
    no action followed. The latest validation before the action decides: a failed one
    is a violation even when an earlier one succeeded. Unless ``survives_transfer``,
    a change of owner (assignment to someone else) voids earlier validations.
    """

    type_name = "validation_before_sensitive_action"
    fields = (
        "actions",
        "phrases",
        "intents",
        "exempt_actions",
        "validation",
        "same_session",
        "survives_transfer",
    )

    sensitive: ActionMatcher
    intents: frozenset[str]
    exempt_actions: frozenset[str]
    validation: ValidationSteps
    same_session: bool
    survives_transfer: bool

    @classmethod
    def from_spec(cls, rule_id: str, spec: Spec) -> Self:
        """Read the sensitive actions and intents, the validation steps and the scope settings."""
        sensitive = ActionMatcher.read(spec, required=False)
        intents = frozenset(spec.labels("intents"))
        if not sensitive.names and not sensitive.phrases and not intents:
            spec.problem("actions", "give sensitive actions, phrases, intents or a mix")
        return cls(
            rule_id=rule_id,
            sensitive=sensitive,
            intents=intents,
            exempt_actions=frozenset(spec.labels("exempt_actions")),
            validation=ValidationSteps.read(spec),
            same_session=spec.boolean("same_session", default=True),
            survives_transfer=spec.boolean("survives_transfer", default=False),
        )

    def evaluate(self, timeline: Timeline, context: CheckContext) -> RuleOutcome:
        """Judge each sensitive action by the latest identity validation before it."""
        validations = self.validation.action.find(timeline)
        checks = set(validations)
        sensitive = {i for i in self.sensitive.find(timeline) if i not in checks}
        intent = next((i for i in timeline.conversation.intents if i in self.intents), None)
        if intent is not None:
            events = timeline.events
            names = self.validation.action.names
            for index in timeline.indices("action"):
                name = events[index].body.get("name")
                if name not in self.exempt_actions and name not in names:
                    sensitive.add(index)
        if not sensitive:
            if intent is None:
                return not_applicable("No sensitive action happened.")
            return self._intent_only(timeline, intent, validations)

        violations: list[str] = []
        proof: list[int] = []
        against: list[int] = []
        cursor = 0
        latest: int | None = None
        for index in sorted(sensitive):
            while cursor < len(validations) and validations[cursor] < index:
                latest = validations[cursor]
                cursor += 1
            seqs = (
                [timeline.seq(index)]
                if latest is None
                else [timeline.seq(index), timeline.seq(latest)]
            )
            problem = self._problem(timeline, latest, index)
            if problem is None:
                proof.extend(seqs)
                continue
            violations.append(f"{describe_action(timeline, index)} {problem}")
            against.extend(seqs)
            transfer = timeline.transfer_between(latest, index) if latest is not None else None
            if transfer is not None and not self.survives_transfer:
                against.append(timeline.seq(transfer))
        if violations:
            return failed(violations, against)
        where = "in the same session" if self.same_session else "earlier"
        return passed(
            f"Identity was validated {where} before {each(len(sensitive), 'sensitive action')}.",
            proof,
        )

    def _problem(self, timeline: Timeline, latest: int | None, index: int) -> str | None:
        """Why the validation ``latest`` does not cover the action at ``index``, or None."""
        if latest is None:
            return "happened with no identity validation before it"
        seq = timeline.seq(latest)
        if self.same_session and timeline.sessions[latest] != timeline.sessions[index]:
            return (
                f"happened in a later session than the last identity validation (seq {seq}),"
                " and none was done in its own session"
            )
        if not self.survives_transfer:
            transfer = timeline.transfer_between(latest, index)
            if transfer is not None:
                return (
                    f"happened after the conversation was transferred (seq {timeline.seq(transfer)})"
                    f" since the last identity validation (seq {seq}), and the new owner did not"
                    " validate again"
                )
        if not self.validation.succeeded(timeline, latest):
            outcome = timeline.events[latest].body.get("outcome")
            said = f"outcome {outcome!r}" if outcome is not None else "no outcome recorded"
            return f"followed an identity validation that did not succeed (seq {seq}, {said})"
        return None

    def _intent_only(self, timeline: Timeline, intent: str, validations: list[int]) -> RuleOutcome:
        """A conversation of a listed intent with no sensitive action: one success is needed."""
        good = [i for i in validations if self.validation.succeeded(timeline, i)]
        if good:
            return passed(
                f"The conversation's intent {intent!r} needs identity validation, and it"
                f" succeeded (seq {timeline.seq(good[0])}).",
                [timeline.seq(i) for i in good],
            )
        return failed(
            [f"the conversation's intent {intent!r} needs identity validation, and none succeeded"],
            [timeline.seq(i) for i in validations],
        )
