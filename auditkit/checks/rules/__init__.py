"""The rule types a policy can use, by the ``type:`` name written in policy files."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from auditkit.checks.rules.base import ActionMatcher, MessageMatcher, Rule
from auditkit.checks.rules.confirmation import ConfirmationBeforeAction
from auditkit.checks.rules.consent import (
    ConsentBeforeAction,
    ConsentDisclosure,
    WithdrawalRespected,
)
from auditkit.checks.rules.handoff import HandoffDocumented
from auditkit.checks.rules.hygiene import ResolutionHygiene
from auditkit.checks.rules.restricted_data import RestrictedData
from auditkit.checks.rules.validation import ValidationBeforeSensitiveAction

RULE_TYPES: Mapping[str, type[Rule]] = MappingProxyType(
    {
        rule.type_name: rule
        for rule in (
            ConsentDisclosure,
            ConsentBeforeAction,
            WithdrawalRespected,
            ValidationBeforeSensitiveAction,
            ConfirmationBeforeAction,
            RestrictedData,
            HandoffDocumented,
            ResolutionHygiene,
        )
    }
)
"""Every rule type, by name; policy files may use exactly these."""

__all__ = [
    "RULE_TYPES",
    "ActionMatcher",
    "ConfirmationBeforeAction",
    "ConsentBeforeAction",
    "ConsentDisclosure",
    "HandoffDocumented",
    "MessageMatcher",
    "ResolutionHygiene",
    "RestrictedData",
    "Rule",
    "ValidationBeforeSensitiveAction",
    "WithdrawalRespected",
]
