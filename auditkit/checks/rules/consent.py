"""Consent rules: a disclosure before personal data is asked for, consent before an action, withdrawal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
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
    plural,
)
from auditkit.checks.spec import Spec
from auditkit.checks.timeline import Timeline
from auditkit.checks.wording import Wording
from auditkit.ledger.records import RecordKind

DEFAULT_THRESHOLD = 0.85
"""How similar (difflib ratio, 0 to 1) a message window must be to an approved wording."""


class DisclosureDeadline(StrEnum):
    """What the consent disclosure must come before."""

    PERSONAL_DATA_REQUEST = "personal_data_request"
    FIRST_CUSTOMER_MESSAGE = "first_customer_message"


def _consent_events(timeline: Timeline, scopes: frozenset[str] | None) -> list[int]:
    """The customer's consent events, restricted to ``scopes`` unless it is None."""
    customer = timeline.conversation.customer
    events = timeline.events
    found = []
    for index in timeline.indices("consent"):
        body = events[index].body
        if body.get("subject", customer) != customer:
            continue
        if scopes is None or body.get("scope") in scopes:
            found.append(index)
    return found


def _session_groups(timeline: Timeline, per_session: bool) -> list[range]:
    """Index ranges to judge separately: each session, or the whole conversation."""
    count = len(timeline.events)
    if not per_session or count == 0:
        return [range(count)]
    groups = []
    start = 0
    sessions = timeline.sessions
    for index in range(1, count):
        if sessions[index] != sessions[start]:
            groups.append(range(start, index))
            start = index
    groups.append(range(start, count))
    return groups


@dataclass(frozen=True)
class ConsentDisclosure(Rule):
    """An approved disclosure (or a recorded consent) comes before personal data is asked for."""

    type_name = "consent_disclosure"
    fields = ("wordings", "threshold", "before", "requests", "consent_scopes", "per_session")

    wordings: tuple[Wording, ...]
    threshold: float
    before: DisclosureDeadline
    requests: MessageMatcher
    consent_scopes: frozenset[str] | None
    per_session: bool

    @classmethod
    def from_spec(cls, rule_id: str, spec: Spec) -> Self:
        """Read wordings, threshold, deadline, request matchers, consent scopes and per_session."""
        wordings = tuple(Wording.of(text) for text in spec.texts("wordings", required=True))
        for index, wording in enumerate(wordings):
            if not wording.text:
                spec.problems.add(f"{spec.field('wordings')}[{index}]", "has no letters or digits")
        threshold = spec.number("threshold", default=DEFAULT_THRESHOLD, minimum=0.5, maximum=1.0)
        before = spec.choice(
            "before", DisclosureDeadline, default=DisclosureDeadline.PERSONAL_DATA_REQUEST
        )
        assert before is not None  # a default was given
        requests = MessageMatcher.read(
            spec, "requests", required=before is DisclosureDeadline.PERSONAL_DATA_REQUEST
        )
        scopes = spec.labels("consent_scopes")
        return cls(
            rule_id=rule_id,
            wordings=wordings,
            threshold=threshold,
            before=before,
            requests=requests,
            consent_scopes=frozenset(scopes) if scopes else None,
            per_session=spec.boolean("per_session", default=False),
        )

    def evaluate(self, timeline: Timeline, context: CheckContext) -> RuleOutcome:
        """Find each deadline (per session or once) and a disclosure or consent before it."""
        consents = [
            index
            for index in _consent_events(timeline, self.consent_scopes)
            if timeline.events[index].body.get("decision") == "given"
        ]
        violations: list[str] = []
        proof: list[int] = []
        against: list[int] = []
        deadlines = 0
        for group in _session_groups(timeline, self.per_session):
            deadline = self._deadline(timeline, group)
            if deadline is None:
                continue
            deadlines += 1
            seq = timeline.seq(deadline)
            disclosure = self._disclosure(timeline, group, deadline, consents)
            if disclosure is None:
                what = (
                    "the first request for personal data"
                    if self.before is DisclosureDeadline.PERSONAL_DATA_REQUEST
                    else "the first reply to the customer"
                )
                where = f" in session {timeline.sessions[deadline] + 1}" if self.per_session else ""
                violations.append(
                    f"no approved disclosure was sent and no consent recorded before {what}"
                    f" (seq {seq}){where}"
                )
                against.append(seq)
            else:
                proof.extend((timeline.seq(disclosure), seq))
        if deadlines == 0:
            if self.before is DisclosureDeadline.PERSONAL_DATA_REQUEST:
                return not_applicable("No agent or bot asked for personal data.")
            return not_applicable("No customer message was answered.")
        if violations:
            return failed(violations, against)
        return passed(
            f"A disclosure or consent came first ({plural(deadlines, 'time')} it was needed).",
            proof,
        )

    def _deadline(self, timeline: Timeline, group: range) -> int | None:
        events = timeline.events
        if self.before is DisclosureDeadline.PERSONAL_DATA_REQUEST:
            for index in group:
                if (
                    events[index].kind == RecordKind.MESSAGE
                    and timeline.is_staff(index)
                    and self.requests.matches(timeline, index)
                ):
                    return index
            return None
        customer_spoke = False
        for index in group:
            kind = events[index].kind
            if kind == RecordKind.MESSAGE and timeline.roles[index] == "customer":
                customer_spoke = True
            elif (
                customer_spoke
                and kind in (RecordKind.MESSAGE, RecordKind.ACTION)
                and timeline.is_staff(index)
            ):
                return index
        return None

    def _disclosure(
        self, timeline: Timeline, group: range, deadline: int, consents: list[int]
    ) -> int | None:
        for index in consents:
            if group.start <= index < deadline:
                return index
        events = timeline.events
        # The deadline message itself may carry the disclosure ("This chat is recorded… May I have…").
        for index in range(group.start, deadline + 1):
            if events[index].kind != RecordKind.MESSAGE or not timeline.is_staff(index):
                continue
            text = timeline.normalised(index)
            if any(wording.found_in(text, self.threshold) for wording in self.wordings):
                return index
        return None


@dataclass(frozen=True)
class ConsentBeforeAction(Rule):
    """Every action of a scope comes after the customer gave consent for that scope."""

    type_name = "consent_before_action"
    fields = ("scope", "actions", "phrases")

    scope: str
    action: ActionMatcher

    @classmethod
    def from_spec(cls, rule_id: str, spec: Spec) -> Self:
        """Read the consent scope and how its actions are recognised."""
        scope = spec.label("scope", required=True) or ""
        return cls(rule_id=rule_id, scope=scope, action=ActionMatcher.read(spec))

    def evaluate(self, timeline: Timeline, context: CheckContext) -> RuleOutcome:
        """Replay consent decisions for the scope and judge each action against the latest."""
        occurrences = self.action.find(timeline)
        if not occurrences:
            return not_applicable(f"No action needing {self.scope!r} consent happened.")
        decisions = _consent_events(timeline, frozenset({self.scope}))
        violations: list[str] = []
        proof: list[int] = []
        against: list[int] = []
        latest: int | None = None
        pending = iter(decisions)
        upcoming = next(pending, None)
        for index in occurrences:
            while upcoming is not None and upcoming < index:
                latest, upcoming = upcoming, next(pending, None)
            decision = timeline.events[latest].body.get("decision") if latest is not None else None
            if decision == "given":
                assert latest is not None
                proof.extend((timeline.seq(latest), timeline.seq(index)))
            elif decision == "withdrawn":
                assert latest is not None
                violations.append(
                    f"{describe_action(timeline, index)} came after consent for {self.scope!r}"
                    f" was withdrawn (seq {timeline.seq(latest)})"
                )
                against.extend((timeline.seq(latest), timeline.seq(index)))
            else:
                violations.append(
                    f"{describe_action(timeline, index)} came with no consent given for {self.scope!r}"
                )
                against.append(timeline.seq(index))
        if violations:
            return failed(violations, against)
        return passed(
            f"Consent for {self.scope!r} was given before {each(len(occurrences), 'action')}"
            " needing it.",
            proof,
        )


@dataclass(frozen=True)
class WithdrawalRespected(Rule):
    """After the customer withdraws consent for a scope, no action of that scope follows."""

    type_name = "withdrawal_respected"
    fields = ("scope", "actions", "phrases")

    scope: str
    action: ActionMatcher

    @classmethod
    def from_spec(cls, rule_id: str, spec: Spec) -> Self:
        """Read the consent scope and how its actions are recognised."""
        scope = spec.label("scope", required=True) or ""
        return cls(rule_id=rule_id, scope=scope, action=ActionMatcher.read(spec))

    def evaluate(self, timeline: Timeline, context: CheckContext) -> RuleOutcome:
        """Find actions of the scope while its consent stands withdrawn."""
        decisions = _consent_events(timeline, frozenset({self.scope}))
        events = timeline.events
        withdrawals = [i for i in decisions if events[i].body.get("decision") == "withdrawn"]
        if not withdrawals:
            return not_applicable(f"Consent for {self.scope!r} was never withdrawn.")
        occurrences = self.action.find(timeline)
        violations: list[str] = []
        against: list[int] = []
        latest: int | None = None
        pending = iter(decisions)
        upcoming = next(pending, None)
        for index in occurrences:
            while upcoming is not None and upcoming < index:
                latest, upcoming = upcoming, next(pending, None)
            if latest is not None and events[latest].body.get("decision") == "withdrawn":
                violations.append(
                    f"{describe_action(timeline, index)} came after consent for {self.scope!r}"
                    f" was withdrawn (seq {timeline.seq(latest)})"
                )
                against.extend((timeline.seq(latest), timeline.seq(index)))
        if violations:
            return failed(violations, against)
        return passed(
            f"Nothing of scope {self.scope!r} happened while its consent stood withdrawn.",
            [timeline.seq(i) for i in withdrawals],
        )
