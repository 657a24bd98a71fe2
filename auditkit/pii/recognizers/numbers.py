"""Partial card numbers, account and order numbers, usernames: patterns read from YAML."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from auditkit.pii.errors import PatternFileInvalid
from auditkit.pii.recognizers.base import GroupPattern, GroupPatternRecognizer

PATTERN_FILE_VERSION = 1
_FIELDS = {"name", "entity_type", "regex", "score", "context", "case_sensitive"}
_ENTITY_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class NumberPattern:
    """One configured pattern with the context words that raise its score."""

    pattern: GroupPattern
    context: tuple[str, ...] = ()


def load_number_patterns(path: Path) -> tuple[NumberPattern, ...]:
    """Read and check a number-pattern YAML file, reporting every problem at once."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PatternFileInvalid(str(path), [f"cannot read: {exc}"]) from exc
    problems: list[str] = []
    if not isinstance(document, dict):
        raise PatternFileInvalid(str(path), ["expected a mapping with `version` and `patterns`"])
    if document.get("version") != PATTERN_FILE_VERSION:
        problems.append(
            f"version: expected {PATTERN_FILE_VERSION}, got {document.get('version')!r}"
        )
    items = document.get("patterns")
    if not isinstance(items, list) or not items:
        problems.append("patterns: expected a non-empty list")
        items = []
    found = [_parse(item, index, problems) for index, item in enumerate(items)]
    if problems:
        raise PatternFileInvalid(str(path), problems)
    return tuple(item for item in found if item is not None)


def _parse(item: Any, index: int, problems: list[str]) -> NumberPattern | None:
    where = f"patterns[{index}]"
    if not isinstance(item, dict):
        problems.append(f"{where}: expected a mapping")
        return None
    before = len(problems)
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}.name: expected a non-empty string")
    entity_type = item.get("entity_type")
    if not isinstance(entity_type, str) or not _ENTITY_NAME.fullmatch(entity_type):
        problems.append(
            f"{where}.entity_type: expected an UPPER_SNAKE_CASE name, got {entity_type!r}"
        )
    score = item.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 < score <= 1:
        problems.append(f"{where}.score: expected a number in (0, 1], got {score!r}")
        score = 0.0
    context = item.get("context", [])
    if not isinstance(context, list) or not all(isinstance(word, str) and word for word in context):
        problems.append(f"{where}.context: expected a list of words")
        context = []
    case_sensitive = item.get("case_sensitive", False)
    if not isinstance(case_sensitive, bool):
        problems.append(f"{where}.case_sensitive: expected true or false")
    compiled: re.Pattern[str] | None = None
    regex = item.get("regex")
    if not isinstance(regex, str) or not regex:
        problems.append(f"{where}.regex: expected a non-empty string")
    else:
        try:
            compiled = re.compile(regex, 0 if case_sensitive is True else re.IGNORECASE)
        except re.error as exc:
            problems.append(f"{where}.regex: not a valid regular expression ({exc})")
    if len(problems) > before or compiled is None:
        return None
    return NumberPattern(
        pattern=GroupPattern(
            name=str(name), entity_type=str(entity_type), regex=compiled, score=float(score)
        ),
        context=tuple(context),
    )


class NumberPatternRecognizer(GroupPatternRecognizer):
    """Finds one configured entity type (e.g. ``ORDER_NUMBER``) by its YAML patterns."""

    def __init__(self, entity_type: str, patterns: Sequence[NumberPattern]) -> None:
        words = sorted({word for item in patterns for word in item.context})
        super().__init__(
            [item.pattern for item in patterns],
            name=f"NumberPatternRecognizer:{entity_type}",
            context=words,
        )


def number_recognizers(patterns: Sequence[NumberPattern]) -> list[NumberPatternRecognizer]:
    """One recognizer per configured entity type, in the order types first appear."""
    by_type: dict[str, list[NumberPattern]] = {}
    for item in patterns:
        by_type.setdefault(item.pattern.entity_type, []).append(item)
    return [NumberPatternRecognizer(entity_type, items) for entity_type, items in by_type.items()]
