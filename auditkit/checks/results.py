"""What checking produces: outcomes, severities, per-rule and per-policy results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """The verdict of a rule or a policy on one conversation."""

    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


class Severity(StrEnum):
    """How serious a policy's failure is, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True)
class CheckContext:
    """Facts found outside the conversation's own events that some rules need.

    ``pii`` maps a message's seq to the entity types found in it (``CREDIT_CARD``,
    ``EMAIL_ADDRESS``, …); ``None`` means the conversation was not scanned, which is
    different from an empty mapping (scanned, nothing found).
    """

    pii: Mapping[int, Sequence[str]] | None = None


@dataclass(frozen=True)
class RuleOutcome:
    """One rule's verdict on a conversation, in plain words, with the seqs that prove it."""

    status: Outcome
    explanation: str
    evidence_seqs: tuple[int, ...] = ()


@dataclass(frozen=True)
class RuleResult:
    """A rule's outcome labelled with the rule it came from."""

    rule_id: str
    rule_type: str
    outcome: Outcome
    explanation: str
    evidence_seqs: tuple[int, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """One policy version's verdict on one conversation: what a ``check.result`` record holds."""

    conversation_key: str
    conversation_last_seq: int
    policy_id: str
    policy_version: str
    policy_hash: str
    outcome: Outcome
    severity: Severity
    explanation: str
    evidence_seqs: tuple[int, ...] = ()
    rule_results: tuple[RuleResult, ...] = field(default_factory=tuple)
