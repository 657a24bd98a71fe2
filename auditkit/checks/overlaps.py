"""Warnings about a set of policies: packs that judge the same actions, links to no policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from itertools import combinations

from auditkit.checks.policy import Policy
from auditkit.checks.rules import ActionMatcher, Rule
from auditkit.rubric.model import Rubric


def judged_actions(rule: Rule) -> frozenset[str]:
    """The action names a rule judges (its ``ActionMatcher`` fields; validations excluded)."""
    names: set[str] = set()
    for item in dataclasses.fields(rule):
        value = getattr(rule, item.name)
        if isinstance(value, ActionMatcher):
            names |= value.names
    return frozenset(names)


def overlap_warnings(policies: Sequence[Policy]) -> list[str]:
    """One warning per pair of policies whose same-type rules judge a shared action in
    scopes that one conversation could fall in (see ``AppliesTo.may_share``)."""
    warnings: list[str] = []
    for first, second in combinations(sorted(policies, key=lambda p: p.id), 2):
        shared: dict[str, set[str]] = {}
        for mine in first.rules:
            for theirs in second.rules:
                if mine.type_name != theirs.type_name:
                    continue
                for action in judged_actions(mine) & judged_actions(theirs):
                    if first.applies_to.may_share(second.applies_to, action):
                        shared.setdefault(mine.type_name, set()).add(action)
        for type_name, actions in sorted(shared.items()):
            listed = ", ".join(sorted(actions)[:5])
            more = f" and {len(actions) - 5} more" if len(actions) > 5 else ""
            warnings.append(
                f"policies {first.id} and {second.id} both judge {listed}{more} ({type_name})"
                " and their applies_to does not tell their conversations apart: declare"
                " channels, segments, sources or a tools namespace"
            )
    return warnings


def rubric_link_warnings(policies: Iterable[Policy], rubrics: Iterable[Rubric]) -> list[str]:
    """One warning per rubric criterion whose ``policy`` names no loaded policy."""
    known = {policy.id for policy in policies}
    warnings: list[str] = []
    for rubric in rubrics:
        for section in rubric.sections:
            for criterion in section.criteria:
                if criterion.policy is None or criterion.policy in known:
                    continue
                gate = " (a critical gate)" if criterion.critical else ""
                warnings.append(
                    f"rubric {rubric.id}: criterion {criterion.id}{gate} names policy"
                    f" {criterion.policy!r}, which no loaded policy has"
                )
    return warnings
