"""Consent and identity-validation checks: declarative policies judged over whole conversations.

Pure domain code: policies are loaded from YAML (:func:`load_policies`), and
:func:`evaluate` turns a :class:`~auditkit.ledger.conversation.LedgerConversation`
into one :class:`CheckResult` per policy. Storage, the CLI and the service that
records ``check.result`` records live elsewhere.
"""

from auditkit.checks.engine import evaluate
from auditkit.checks.policy import (
    AppliesTo,
    Policy,
    PolicyInvalid,
    PolicyLoadError,
    default_policy_dir,
    load_default_policies,
    load_policies,
    parse_policy,
)
from auditkit.checks.results import (
    CheckContext,
    CheckResult,
    Outcome,
    RuleOutcome,
    RuleResult,
    Severity,
)
from auditkit.checks.rules import RULE_TYPES, Rule
from auditkit.checks.timeline import Timeline

__all__ = [
    "RULE_TYPES",
    "AppliesTo",
    "CheckContext",
    "CheckResult",
    "Outcome",
    "Policy",
    "PolicyInvalid",
    "PolicyLoadError",
    "Rule",
    "RuleOutcome",
    "RuleResult",
    "Severity",
    "Timeline",
    "default_policy_dir",
    "evaluate",
    "load_default_policies",
    "load_policies",
    "parse_policy",
]
