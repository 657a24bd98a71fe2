"""Rubric values: sections of criteria, each with a scale, levels, weight and critical flag."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from functools import cached_property
from typing import Any

from auditkit.errors import AuditkitError
from auditkit.ledger.records import canonical_json
from auditkit.rubric.autoscoring import AutoScorer

NOT_APPLICABLE = "na"


class Scale(StrEnum):
    """The rating scales a criterion may use."""

    PASS_FAIL = "pass_fail"  # noqa: S105 (a scale name, not a secret)
    ONE_TO_FIVE = "1-5"
    ZERO_TO_THREE = "0-3"

    @property
    def levels(self) -> tuple[str, ...]:
        """The scale's level values, lowest first."""
        return SCALE_LEVELS[self]

    def normalise(self, level: str) -> Fraction:
        """A level's score on 0-100: its rank over the scale's span (lowest 0, highest 100)."""
        levels = self.levels
        return Fraction(100 * levels.index(level), len(levels) - 1)


SCALE_LEVELS: dict[Scale, tuple[str, ...]] = {
    Scale.PASS_FAIL: ("fail", "pass"),
    Scale.ONE_TO_FIVE: ("1", "2", "3", "4", "5"),
    Scale.ZERO_TO_THREE: ("0", "1", "2", "3"),
}


class CriticalRule(StrEnum):
    """What a failed critical criterion zeroes."""

    REVIEW = "review"
    SECTION = "section"


@dataclass(frozen=True)
class Level:
    """One level of a criterion's scale and what it means for this criterion."""

    value: str
    description: str


@dataclass(frozen=True)
class Criterion:
    """One thing a reviewer rates."""

    id: str
    label: str
    scale: Scale
    levels: tuple[Level, ...]
    weight: int
    guidance: str = ""
    na_allowed: bool = False
    critical: bool = False
    on_critical_failure: CriticalRule = CriticalRule.REVIEW
    policy: str | None = None
    # Not part of the rubric's identity (``document``): see ``Rubric.autoqa_document``.
    autoqa: AutoScorer | None = field(default=None, compare=False)

    def level(self, value: str) -> Level:
        """The level with ``value`` (KeyError if the scale has none)."""
        for level in self.levels:
            if level.value == value:
                return level
        raise KeyError(value)

    @property
    def lowest(self) -> str:
        """The lowest level: a critical criterion rated here has failed."""
        return self.scale.levels[0]


@dataclass(frozen=True)
class Section:
    """A titled group of criteria."""

    id: str
    title: str
    criteria: tuple[Criterion, ...]
    description: str = ""


@dataclass(frozen=True)
class AppliesTo:
    """Which conversations a rubric is for; an empty tuple means any."""

    channels: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()

    def matches(self, channel: str, intents: Sequence[str]) -> bool:
        """Whether a conversation with this channel and these intents is in scope."""
        if self.channels and channel not in self.channels:
            return False
        return not self.intents or any(intent in self.intents for intent in intents)


@dataclass(frozen=True)
class Rubric:
    """A validated rubric; ``content_hash`` (SHA-256 of its canonical JSON) is its identity."""

    id: str
    version: int
    title: str
    sections: tuple[Section, ...]
    description: str = ""
    applies_to: AppliesTo = field(default_factory=AppliesTo)

    def criteria(self) -> Iterator[tuple[Section, Criterion]]:
        """Every criterion with its section, in rubric order."""
        for section in self.sections:
            for criterion in section.criteria:
                yield section, criterion

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id (KeyError if none)."""
        for _section, criterion in self.criteria():
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def document(self) -> dict[str, Any]:
        """The rubric as a plain JSON document, every default filled in."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "applies_to": {
                "channels": list(self.applies_to.channels),
                "intents": list(self.applies_to.intents),
            },
            "sections": [
                {
                    "id": s.id,
                    "title": s.title,
                    "description": s.description,
                    "criteria": [
                        {
                            "id": c.id,
                            "label": c.label,
                            "guidance": c.guidance,
                            "scale": str(c.scale),
                            "levels": {lv.value: lv.description for lv in c.levels},
                            "weight": c.weight,
                            "na_allowed": c.na_allowed,
                            "critical": c.critical,
                            "on_critical_failure": (
                                str(c.on_critical_failure) if c.critical else None
                            ),
                            "policy": c.policy,
                        }
                        for c in s.criteria
                    ],
                }
                for s in self.sections
            ],
        }

    def autoqa_document(self) -> dict[str, Any]:
        """Each auto-scored criterion's scorer as plain JSON (what the scorer version hashes).

        The auto-scorers are kept out of :meth:`document`, and so out of the content hash:
        a rubric's identity is what people rate against, and tuning how the machine guesses
        a level must not turn the reviewers' rubric into another one (docs/scoring.md).
        """
        return {c.id: c.autoqa.document() for _s, c in self.criteria() if c.autoqa is not None}

    def canonical_bytes(self) -> bytes:
        """RFC 8785 canonical JSON of :meth:`document`: what the content hash covers."""
        return canonical_json(self.document())

    @cached_property  # the rubric is immutable; AutoQA asks once per conversation
    def content_hash(self) -> str:
        """Hex SHA-256 of the canonical document: the rubric's identity in every review."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()


@dataclass(frozen=True)
class RubricProblem:
    """One thing wrong with a rubric file: where, which field, and why."""

    source: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.reason}"


class RubricInvalid(AuditkitError):
    """A rubric was refused; ``problems`` lists every problem found, not only the first."""

    def __init__(self, problems: Sequence[RubricProblem]) -> None:
        self.problems = list(problems)
        super().__init__(
            "invalid rubric:\n  - " + "\n  - ".join(str(problem) for problem in self.problems)
        )
