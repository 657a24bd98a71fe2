"""Post-conversation hygiene: a resolved conversation has an approved resolution code and an intent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from auditkit.checks.results import CheckContext, RuleOutcome
from auditkit.checks.rules.base import Rule, failed, not_applicable, passed
from auditkit.checks.spec import Spec
from auditkit.checks.timeline import Timeline


@dataclass(frozen=True)
class ResolutionHygiene(Rule):
    """A conversation whose latest lifecycle status is ``resolved`` carries a code and an intent.

    The latest ``resolution_code`` counts; with ``codes`` listed it must be one of them.
    A conversation reopened and not resolved again is not applicable.
    """

    type_name = "resolution_hygiene"
    fields = ("codes", "require_code", "require_intent")

    codes: frozenset[str]
    require_code: bool
    require_intent: bool

    @classmethod
    def from_spec(cls, rule_id: str, spec: Spec) -> Self:
        """Read the approved codes and what a resolved conversation must carry."""
        return cls(
            rule_id=rule_id,
            codes=frozenset(spec.labels("codes")),
            require_code=spec.boolean("require_code", default=True),
            require_intent=spec.boolean("require_intent", default=True),
        )

    def evaluate(self, timeline: Timeline, context: CheckContext) -> RuleOutcome:
        """Judge the final resolution."""
        events = timeline.events
        resolved: int | None = None
        for index in timeline.indices("status"):
            status = events[index].body.get("status")
            if status == "resolved":
                resolved = index
            elif status == "reopened":
                resolved = None
        if resolved is None:
            return not_applicable("The conversation is not resolved.")
        evidence = [events[resolved].seq]
        violations: list[str] = []
        codes = timeline.indices("resolution_code")
        if self.require_code:
            if not codes:
                violations.append(
                    f"it was resolved (seq {events[resolved].seq}) with no resolution code"
                )
            else:
                latest = events[codes[-1]]
                evidence.append(latest.seq)
                code = latest.body.get("code")
                if self.codes and code not in self.codes:
                    violations.append(
                        f"its resolution code {code!r} (seq {latest.seq}) is not on the approved list"
                    )
        if self.require_intent and not timeline.conversation.intents:
            violations.append("it was resolved with no intent recorded")
        if violations:
            return failed(violations, evidence)
        carries = []
        if self.require_code:
            carries.append("an approved resolution code" if self.codes else "a resolution code")
        if self.require_intent:
            carries.append("an intent")
        what = " and ".join(carries) or "what it needs"
        return passed(f"The resolved conversation carries {what}.", evidence)
