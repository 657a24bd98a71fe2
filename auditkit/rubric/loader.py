"""Read rubric YAML and validate it, reporting every problem with its file and field."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from auditkit.rubric.autoscoring import AutoScorer, scorer_problems
from auditkit.rubric.model import (
    AppliesTo,
    Criterion,
    CriticalRule,
    Level,
    Rubric,
    RubricInvalid,
    RubricProblem,
    Scale,
    Section,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
MAX_TEXT = 4000
RUBRIC_KEYS = {"id", "version", "title", "description", "applies_to", "sections"}
SECTION_KEYS = {"id", "title", "description", "criteria"}
CRITERION_KEYS = {
    "id",
    "label",
    "guidance",
    "scale",
    "levels",
    "weight",
    "na_allowed",
    "critical",
    "on_critical_failure",
    "policy",
    "autoqa",
}


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that notes duplicate keys instead of silently keeping the last."""

    duplicates: list[tuple[str, int]]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int) and key in seen:
                self.duplicates.append((str(key), key_node.start_mark.line + 1))
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _StrictLoader.construct_mapping,
)


def load_rubric_file(path: Path) -> Rubric:
    """Load and validate one rubric file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricInvalid([RubricProblem(str(path), "(file)", f"cannot read: {exc}")]) from None
    return load_rubric_text(text, source=str(path))


@functools.lru_cache(maxsize=256)
def load_rubric_text(text: str, *, source: str) -> Rubric:
    """Parse and validate rubric YAML; ``source`` names it in problems.

    Memoized by the text and source (a Rubric is frozen): the rubric files are read on every
    page that shows a rubric, and a changed file has another text, so it is parsed again.
    """
    loader = _StrictLoader(text)
    loader.duplicates = []
    try:
        document = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise RubricInvalid([RubricProblem(source, "(file)", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    duplicates = [
        RubricProblem(source, key, f"duplicate key on line {line}")
        for key, line in loader.duplicates
    ]
    return _Validator(source, duplicates).rubric(document)


def rubric_from_document(document: Mapping[str, Any], *, source: str = "(stored)") -> Rubric:
    """Validate a rubric given as a JSON document (e.g. a stored snapshot)."""
    return _Validator(source, []).rubric(document)


@functools.lru_cache(maxsize=256)
def rubric_from_snapshot(document: str, *, source: str = "(stored)") -> Rubric:
    """A rubric from its stored snapshot (canonical JSON text), memoized by that text: a
    snapshot never changes for its content hash, and reviews read it on every page."""
    return rubric_from_document(json.loads(document), source=source)


class _Validator:
    def __init__(self, source: str, problems: list[RubricProblem]) -> None:
        self.source = source
        self.problems = problems

    def problem(self, field: str, reason: str) -> None:
        self.problems.append(RubricProblem(self.source, field, reason))

    def rubric(self, document: Any) -> Rubric:
        if not isinstance(document, Mapping):
            self.problem("(file)", "a rubric must be a mapping with id, version, title, sections")
            raise RubricInvalid(self.problems)
        self.unknown(document, RUBRIC_KEYS, "")
        rubric_id = self.slug(document, "id", "")
        version = self.integer(document, "version", "", low=1, high=1_000_000)
        title = self.text(document, "title", "", required=True, limit=200)
        description = self.text(document, "description", "", required=False, limit=MAX_TEXT)
        applies_to = self.applies_to(document.get("applies_to"))
        sections: list[Section] = []
        raw_sections = document.get("sections")
        if not isinstance(raw_sections, list) or not raw_sections:
            self.problem("sections", "must be a non-empty list of sections")
            raw_sections = []
        section_ids: set[str] = set()
        criterion_ids: set[str] = set()
        for index, raw in enumerate(raw_sections):
            section = self.section(raw, f"sections[{index}]", criterion_ids)
            if section is None:
                continue
            if section.id in section_ids:
                self.problem(f"sections[{index}].id", f"duplicate section id {section.id!r}")
            section_ids.add(section.id)
            sections.append(section)
        all_criteria = [c for s in sections for c in s.criteria]
        if all_criteria and sum(c.weight for c in all_criteria) == 0:
            self.problem("sections", "the weights of all criteria add up to 0: nothing is scored")
        if self.problems:
            raise RubricInvalid(self.problems)
        return Rubric(
            id=rubric_id,
            version=version,
            title=title,
            description=description,
            applies_to=applies_to,
            sections=tuple(sections),
        )

    def applies_to(self, value: Any) -> AppliesTo:
        if value is None:
            return AppliesTo()
        if not isinstance(value, Mapping):
            self.problem("applies_to", "must be a mapping with channels and/or intents")
            return AppliesTo()
        self.unknown(value, {"channels", "intents"}, "applies_to.")
        return AppliesTo(
            channels=self.labels(value.get("channels"), "applies_to.channels"),
            intents=self.labels(value.get("intents"), "applies_to.intents"),
        )

    def labels(self, value: Any, where: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(
            isinstance(item, str) and 0 < len(item) <= 200 for item in value
        ):
            self.problem(where, "must be a list of labels (1-200 characters each)")
            return ()
        return tuple(value)

    def section(self, raw: Any, where: str, criterion_ids: set[str]) -> Section | None:
        if not isinstance(raw, Mapping):
            self.problem(where, "a section must be a mapping with id, title, criteria")
            return None
        self.unknown(raw, SECTION_KEYS, f"{where}.")
        section_id = self.slug(raw, "id", f"{where}.")
        title = self.text(raw, "title", f"{where}.", required=True, limit=200)
        description = self.text(raw, "description", f"{where}.", required=False, limit=MAX_TEXT)
        raw_criteria = raw.get("criteria")
        if not isinstance(raw_criteria, list) or not raw_criteria:
            self.problem(f"{where}.criteria", "must be a non-empty list of criteria")
            raw_criteria = []
        criteria: list[Criterion] = []
        for index, item in enumerate(raw_criteria):
            criterion = self.criterion(item, f"{where}.criteria[{index}]")
            if criterion is None:
                continue
            if criterion.id in criterion_ids:
                self.problem(
                    f"{where}.criteria[{index}].id",
                    f"duplicate criterion id {criterion.id!r} (ids are unique across the rubric)",
                )
            criterion_ids.add(criterion.id)
            criteria.append(criterion)
        return Section(
            id=section_id, title=title, description=description, criteria=tuple(criteria)
        )

    def criterion(self, raw: Any, where: str) -> Criterion | None:
        if not isinstance(raw, Mapping):
            self.problem(where, "a criterion must be a mapping with id, label, scale, levels")
            return None
        prefix = f"{where}."
        self.unknown(raw, CRITERION_KEYS, prefix)
        criterion_id = self.slug(raw, "id", prefix)
        label = self.text(raw, "label", prefix, required=True, limit=200)
        guidance = self.text(raw, "guidance", prefix, required=False, limit=MAX_TEXT)
        scale = self.choice(raw, "scale", prefix, Scale, default=None)
        levels = self.levels(raw.get("levels"), f"{prefix}levels", scale)
        weight = self.integer(raw, "weight", prefix, low=0, high=100)
        na_allowed = self.flag(raw, "na_allowed", prefix)
        critical = self.flag(raw, "critical", prefix)
        rule = self.choice(raw, "on_critical_failure", prefix, CriticalRule, CriticalRule.REVIEW)
        if raw.get("on_critical_failure") is not None and not critical:
            self.problem(f"{prefix}on_critical_failure", "only a critical criterion can fail")
        policy = None
        if raw.get("policy") is not None:
            policy = self.slug(raw, "policy", prefix)
        autoqa: AutoScorer | None = None
        if raw.get("autoqa") is not None and scale is not None:
            autoqa, problems = scorer_problems(
                raw["autoqa"], scale_levels=scale.levels, na_allowed=na_allowed, policy=policy
            )
            for field, reason in problems:
                self.problem(f"{prefix}autoqa{'.' + field if field else ''}", reason)
        return Criterion(
            id=criterion_id,
            label=label,
            guidance=guidance,
            scale=scale or Scale.PASS_FAIL,
            levels=levels,
            weight=weight,
            na_allowed=na_allowed,
            critical=critical,
            on_critical_failure=rule or CriticalRule.REVIEW,
            policy=policy,
            autoqa=autoqa,
        )

    def levels(self, value: Any, where: str, scale: Scale | None) -> tuple[Level, ...]:
        if not isinstance(value, Mapping):
            self.problem(where, "must map each level of the scale to its description")
            return ()
        if scale is None:
            return ()
        given = {str(key): description for key, description in value.items()}
        expected = scale.levels
        missing = [level for level in expected if level not in given]
        extra = [key for key in given if key not in expected]
        if missing:
            self.problem(where, f"missing a description for level(s) {', '.join(missing)}")
        if extra:
            self.problem(
                where,
                f"level(s) {', '.join(extra)} are not on the {scale} scale "
                f"(its levels: {', '.join(expected)})",
            )
        levels: list[Level] = []
        for level in expected:
            description = given.get(level)
            if level in given and (not isinstance(description, str) or not description.strip()):
                self.problem(f"{where}.{level}", "must be a non-empty description")
            levels.append(Level(level, description if isinstance(description, str) else ""))
        return tuple(levels)

    def unknown(self, value: Mapping[str, Any], known: set[str], prefix: str) -> None:
        for key in value:
            if key not in known:
                self.problem(
                    f"{prefix}{key}", f"unknown field (allowed: {', '.join(sorted(known))})"
                )

    def slug(self, value: Mapping[str, Any], key: str, prefix: str) -> str:
        item = value.get(key)
        if not isinstance(item, str) or not SLUG.match(item):
            self.problem(
                f"{prefix}{key}",
                "required: lower-case letters, digits, '.', '_' or '-', up to 100 characters"
                if item is None
                else f"{item!r} must be lower-case letters, digits, '.', '_' or '-' "
                "(up to 100 characters)",
            )
            return ""
        return item

    def text(
        self, value: Mapping[str, Any], key: str, prefix: str, *, required: bool, limit: int
    ) -> str:
        item = value.get(key)
        if item is None:
            if required:
                self.problem(f"{prefix}{key}", "required")
            return ""
        if not isinstance(item, str) or (required and not item.strip()):
            self.problem(f"{prefix}{key}", "must be non-empty text")
            return ""
        if len(item) > limit:
            self.problem(f"{prefix}{key}", f"longer than {limit} characters")
        return item.strip()

    def integer(
        self, value: Mapping[str, Any], key: str, prefix: str, *, low: int, high: int
    ) -> int:
        item = value.get(key)
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            self.problem(
                f"{prefix}{key}",
                f"required: a whole number from {low} to {high}"
                if item is None
                else f"{item!r} is not a whole number from {low} to {high}",
            )
            return low
        return item

    def flag(self, value: Mapping[str, Any], key: str, prefix: str) -> bool:
        item = value.get(key, False)
        if not isinstance(item, bool):
            self.problem(f"{prefix}{key}", f"{item!r} must be true or false")
            return False
        return item

    def choice(
        self, value: Mapping[str, Any], key: str, prefix: str, kind: Any, default: Any
    ) -> Any:
        if value.get(key) is None:
            if default is None:
                self.problem(f"{prefix}{key}", f"required: one of {', '.join(kind)}")
            return default
        item = value[key]
        try:
            return kind(str(item))
        except ValueError:
            self.problem(f"{prefix}{key}", f"{item!r} is not one of {', '.join(kind)}")
            return default
