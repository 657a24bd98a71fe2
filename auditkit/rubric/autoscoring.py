"""A criterion's auto-scorer as the rubric YAML declares it: which scorer, and the rules from
signals to levels (docs/scoring.md, "Auto-scorers"). Pure: the signals themselves are computed
by ``auditkit.autoqa``; this module only names them, so a rubric can be validated without it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class SignalType(StrEnum):
    """What kind of value a signal holds, which chooses the comparisons a rule may make."""

    NUMBER = "number"  # a real number; None when it does not apply (no customer text, ...)
    COUNT = "count"  # a whole number >= 0
    FLAG = "flag"  # true or false


SIGNALS: dict[str, tuple[SignalType, str]] = {
    "sentiment_start": (SignalType.NUMBER, "customer sentiment of the first messages, -1..1"),
    "sentiment_end": (SignalType.NUMBER, "customer sentiment of the last messages, -1..1"),
    "sentiment_change": (SignalType.NUMBER, "sentiment_end - sentiment_start, -2..2"),
    "greeting": (SignalType.FLAG, "the staff greeted the customer in their first messages"),
    "closing": (SignalType.FLAG, "the staff closed politely in their last messages"),
    "apologies": (SignalType.COUNT, "staff messages that apologise"),
    "empathy": (SignalType.COUNT, "staff messages with an empathy statement"),
    "customer_questions": (SignalType.COUNT, "questions the customer asked"),
    "unanswered_questions": (SignalType.COUNT, "customer questions that got no answer"),
    "resolution_confirmed": (SignalType.FLAG, "the staff asked and the customer confirmed"),
    "next_steps": (SignalType.COUNT, "staff messages saying what happens next"),
    "timescale": (SignalType.FLAG, "the staff gave a timescale (days, hours, a date)"),
    "agent_messages": (SignalType.COUNT, "messages written by human staff"),
    "agent_words": (SignalType.COUNT, "words written by human staff"),
    "spelling_errors_per_100_words": (SignalType.NUMBER, "staff spelling errors per 100 words"),
    "grammar_errors_per_100_words": (SignalType.NUMBER, "staff grammar errors per 100 words"),
    "language_errors_per_100_words": (SignalType.NUMBER, "spelling + grammar per 100 words"),
    "readability": (SignalType.NUMBER, "Flesch reading ease of the staff text (0-100+)"),
    "first_response_seconds": (SignalType.NUMBER, "first meaningful response (metrics)"),
    "longest_agent_gap_seconds": (SignalType.NUMBER, "longest wait for a staff reply"),
    "repeated_questions": (SignalType.COUNT, "staff asked for what the customer already gave"),
    "policy_failures": (SignalType.COUNT, "policies the checks failed"),
}
"""Every signal a rule may name, with its type and meaning (computed by auditkit.autoqa)."""


class ScorerName(StrEnum):
    """The auto-scorers a criterion may name."""

    SIGNALS = "signals"  # the first rule whose condition holds gives the level
    POLICY = "policy"  # the level follows the checks' results of named policies


OPERATORS = ("<=", ">=", "==", "!=", "<", ">")
_TERM = re.compile(
    r"^\s*(?:(?P<neg>not)\s+)?(?P<name>[a-z_0-9]+)\s*"
    r"(?:(?P<op><=|>=|==|!=|<|>)\s*(?P<value>-?\d+(?:\.\d+)?|true|false))?\s*$"
)


@dataclass(frozen=True)
class Condition:
    """One comparison of a signal with a constant: ``name op value``."""

    signal: str
    op: str
    value: float | bool

    def holds(self, value: float | int | bool | None) -> bool:
        """Whether the signal's ``value`` meets the condition (a missing value never does)."""
        if value is None:
            return False
        wanted = self.value
        if self.op == "==":
            return value == wanted
        if self.op == "!=":
            return value != wanted
        number, bound = float(value), float(wanted)
        if self.op == "<":
            return number < bound
        if self.op == "<=":
            return number <= bound
        if self.op == ">":
            return number > bound
        return number >= bound

    def __str__(self) -> str:
        value = str(self.value).lower() if isinstance(self.value, bool) else f"{self.value:g}"
        return f"{self.signal} {self.op} {value}"


@dataclass(frozen=True)
class AutoRule:
    """A level given when every condition holds; ``when`` is the rule as written."""

    level: str
    conditions: tuple[Condition, ...]
    when: str
    confidence: float


@dataclass(frozen=True)
class AutoScorer:
    """A criterion's auto-scorer: the named scorer and its rules or policies."""

    scorer: ScorerName
    rules: tuple[AutoRule, ...] = ()
    otherwise: str | None = None
    otherwise_confidence: float = 0.4
    policies: tuple[str, ...] = ()
    confidence: float = 0.9

    def document(self) -> dict[str, Any]:
        """The scorer as plain JSON: what the scorer version hashes."""
        return {
            "scorer": str(self.scorer),
            "rules": [
                {"level": r.level, "when": r.when, "confidence": r.confidence} for r in self.rules
            ],
            "otherwise": self.otherwise,
            "otherwise_confidence": self.otherwise_confidence,
            "policies": list(self.policies),
            "confidence": self.confidence,
        }


class ConditionInvalid(ValueError):
    """A ``when`` that does not parse or names an unknown signal; the message says why."""


def parse_condition(text: str) -> tuple[Condition, ...]:
    """Parse ``term and term ...``; a term is ``signal op value``, ``signal`` or ``not signal``.

    A bare count or number means ``> 0``, a bare flag means ``== true``; comparisons must
    suit the signal's type (flags only ``==``/``!=`` with true/false, others with numbers).
    """
    if not isinstance(text, str) or not text.strip():
        raise ConditionInvalid("must be a condition such as 'unanswered_questions >= 1'")
    conditions: list[Condition] = []
    for part in re.split(r"\s+and\s+", text.strip()):
        match = _TERM.match(part)
        if match is None:
            raise ConditionInvalid(
                f"cannot read {part.strip()!r}: write 'signal', 'not signal' or "
                f"'signal OP value' (OP one of {', '.join(OPERATORS)}), joined by 'and'"
            )
        name = match["name"]
        if name not in SIGNALS:
            raise ConditionInvalid(f"unknown signal {name!r} (known: {', '.join(sorted(SIGNALS))})")
        kind = SIGNALS[name][0]
        op, raw = match["op"], match["value"]
        if op is None:
            value: float | bool = True if kind is SignalType.FLAG else 0.0
            op = "==" if kind is SignalType.FLAG else ">"
            if match["neg"]:
                op = "!=" if kind is SignalType.FLAG else "<="
        else:
            if match["neg"]:
                raise ConditionInvalid(f"{part.strip()!r}: use the opposite operator, not 'not'")
            if kind is SignalType.FLAG:
                if raw not in ("true", "false") or op not in ("==", "!="):
                    raise ConditionInvalid(f"{name} is a flag: compare it with == or != true/false")
                value = raw == "true"
            else:
                if raw in ("true", "false"):
                    raise ConditionInvalid(f"{name} is a {kind}: compare it with a number")
                value = float(raw)
        conditions.append(Condition(name, op, value))
    return tuple(conditions)


def scorer_problems(
    raw: Any, *, scale_levels: tuple[str, ...], na_allowed: bool, policy: str | None
) -> tuple[AutoScorer | None, list[tuple[str, str]]]:
    """Validate a criterion's ``autoqa`` block: the scorer, or None, and (field, reason) problems.

    ``field`` is relative to the block (``rules[0].when``); levels must be on the criterion's
    scale (or ``na`` where the criterion allows N/A).
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(raw, Mapping):
        return None, [("", "must be a mapping with scorer and rules (or policies)")]
    known = {"scorer", "rules", "otherwise", "otherwise_confidence", "policies", "confidence"}
    for key in raw:
        if key not in known:
            problems.append((str(key), f"unknown field (allowed: {', '.join(sorted(known))})"))
    try:
        scorer = ScorerName(str(raw.get("scorer")))
    except ValueError:
        problems.append(("scorer", f"{raw.get('scorer')!r} is not one of {', '.join(ScorerName)}"))
        return None, problems
    allowed = (*scale_levels, "na") if na_allowed else scale_levels

    def level(value: Any, where: str) -> str:
        text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
        if text is None or text not in allowed:
            problems.append(
                (where, f"{value!r} is not a level of this criterion ({', '.join(allowed)})")
            )
            return ""
        return text

    def confidence(value: Any, where: str, default: float) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            problems.append((where, f"{value!r} must be a number from 0 to 1"))
            return default
        return float(value)

    if scorer is ScorerName.POLICY:
        for key in ("rules", "otherwise", "otherwise_confidence"):
            if key in raw:
                problems.append((key, "the policy scorer takes policies, not rules"))
        if scale_levels != ("fail", "pass"):
            problems.append(("scorer", "the policy scorer scores pass_fail criteria only"))
        names = raw.get("policies", [policy] if policy else None)
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) and n for n in names)
        ):
            problems.append(
                ("policies", "name one or more policy ids (or give the criterion a policy)")
            )
            names = []
        return (
            AutoScorer(
                scorer=scorer,
                policies=tuple(names),
                confidence=confidence(raw.get("confidence"), "confidence", 0.9),
            ),
            problems,
        )
    if "policies" in raw:
        problems.append(("policies", "only the policy scorer reads policies"))
    raw_rules = raw.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(("rules", "must be a non-empty list of {level, when} rules"))
        raw_rules = []
    rules: list[AutoRule] = []
    for index, item in enumerate(raw_rules):
        where = f"rules[{index}]"
        if not isinstance(item, Mapping):
            problems.append((where, "a rule is a mapping with level and when"))
            continue
        for key in item:
            if key not in ("level", "when", "confidence"):
                problems.append(
                    (f"{where}.{key}", "unknown field (allowed: confidence, level, when)")
                )
        value = level(item.get("level"), f"{where}.level")
        try:
            conditions = parse_condition(item.get("when"))  # type: ignore[arg-type]
        except ConditionInvalid as exc:
            problems.append((f"{where}.when", str(exc)))
            conditions = ()
        rules.append(
            AutoRule(
                level=value,
                conditions=conditions,
                when=str(item.get("when", "")).strip(),
                confidence=confidence(item.get("confidence"), f"{where}.confidence", 0.7),
            )
        )
    otherwise = None
    if raw.get("otherwise") is None:
        problems.append(("otherwise", "required: the level when no rule holds"))
    else:
        otherwise = level(raw["otherwise"], "otherwise")
    return (
        AutoScorer(
            scorer=scorer,
            rules=tuple(rules),
            otherwise=otherwise,
            otherwise_confidence=confidence(
                raw.get("otherwise_confidence"), "otherwise_confidence", 0.4
            ),
        ),
        problems,
    )
