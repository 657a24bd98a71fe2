"""Restricted personal data in chat, judged from the PII findings of each message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from auditkit.checks.results import CheckContext, RuleOutcome
from auditkit.checks.rules.base import Rule, failed, not_applicable, passed, plural
from auditkit.checks.spec import Spec, join_path
from auditkit.checks.timeline import Timeline
from auditkit.ledger.conversation import STAFF_ROLES

ROLES = ("customer", "agent", "bot", "supervisor")


@dataclass(frozen=True)
class RestrictedData(Rule):
    """Listed entity types never appear in messages from listed roles, and staff never echo them.

    Reads ``context.pii`` (message seq → entity types, from the PII scan). Without it
    the rule is not applicable: a conversation nobody scanned proves nothing either way.
    Echo is judged by type: a staff message holding an entity type (of ``no_echo_entities``)
    that the customer sent earlier is a violation.
    """

    type_name = "restricted_data"
    fields = ("forbidden_entities", "forbidden_from", "no_echo_entities")

    forbidden_entities: frozenset[str]
    forbidden_from: frozenset[str]
    no_echo_entities: frozenset[str]

    @classmethod
    def from_spec(cls, rule_id: str, spec: Spec) -> Self:
        """Read the forbidden entity types, the roles they are forbidden from and the no-echo types."""
        forbidden = frozenset(spec.labels("forbidden_entities"))
        roles = spec.labels("forbidden_from") or ROLES
        for index, role in enumerate(roles):
            if role not in ROLES:
                spec.problems.add(
                    join_path(spec.field("forbidden_from"), index),
                    f"{role!r} is not one of {', '.join(ROLES)}",
                )
        no_echo = frozenset(spec.labels("no_echo_entities"))
        if not forbidden and not no_echo:
            spec.problem("forbidden_entities", "give forbidden_entities, no_echo_entities or both")
        return cls(
            rule_id=rule_id,
            forbidden_entities=forbidden,
            forbidden_from=frozenset(roles),
            no_echo_entities=no_echo,
        )

    def evaluate(self, timeline: Timeline, context: CheckContext) -> RuleOutcome:
        """Walk the messages with findings, in order."""
        pii = context.pii
        if pii is None:
            return not_applicable("No PII findings were supplied for this conversation.")
        violations: list[str] = []
        evidence: list[int] = []
        customer_sent: dict[str, int] = {}
        checked = 0
        for index in timeline.indices("message"):
            seq = timeline.seq(index)
            checked += 1
            found = pii.get(seq)
            if not found:
                continue
            types = frozenset(found)
            role = timeline.roles[index]
            bad = types & self.forbidden_entities
            if bad and role in self.forbidden_from:
                violations.append(
                    f"the {role or 'unknown participant'}'s message at seq {seq} contains"
                    f" {', '.join(sorted(bad))}"
                )
                evidence.append(seq)
            if role == "customer":
                for entity in types & self.no_echo_entities:
                    customer_sent.setdefault(entity, seq)
            elif role in STAFF_ROLES:
                for entity in sorted(types & customer_sent.keys()):
                    violations.append(
                        f"the {role}'s message at seq {seq} repeats a {entity} the customer"
                        f" sent (seq {customer_sent[entity]})"
                    )
                    evidence.extend((seq, customer_sent[entity]))
        if violations:
            return failed(violations, evidence)
        return passed(f"No restricted personal data in {plural(checked, 'message')}.")
