"""Reading one mapping of a policy file field by field, recording every problem found."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from difflib import get_close_matches
from enum import StrEnum
from typing import Any, TypeVar

from auditkit.checks.wording import PhraseSet, pattern_problem

E = TypeVar("E", bound=StrEnum)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_LABEL = 200
_VISIBLE = re.compile(r"[^\s\u200b-\u200d\u2060\ufeff]")


class Problems:
    """The problems found in one policy file, each a (field path, reason) pair, in order."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, field: str, reason: str) -> None:
        """Record that ``field`` is wrong, and why."""
        self.items.append((field, reason))

    def __bool__(self) -> bool:
        return bool(self.items)


def join_path(parent: str, key: str | int) -> str:
    """The field path of ``key`` under ``parent``: ``rules[2].validation.actions``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


class Spec:
    """A mapping read from a policy file; every accessor records problems instead of raising.

    Call :meth:`finish` once all fields are read: it reports the keys nobody asked for,
    so a misspelt field is refused rather than silently ignored.
    """

    def __init__(self, data: object, path: str, problems: Problems, *, what: str) -> None:
        self.path = path
        self.problems = problems
        self.what = what
        self._used: set[str] = set()
        self.is_mapping = isinstance(data, dict)
        if isinstance(data, dict):
            self.data: dict[Any, Any] = data
        else:
            self.data = {}
            problems.add(path or "(document)", f"expected a mapping, got {_kind(data)}")

    def field(self, key: str) -> str:
        """The full path of one of this mapping's fields, for error messages."""
        return join_path(self.path, key)

    def has(self, key: str) -> bool:
        """Whether the mapping gives ``key`` at all (marks it as read)."""
        self._used.add(key)
        return key in self.data

    def raw(self, key: str) -> Any:
        """The value of ``key`` as written, or None (marks it as read)."""
        self._used.add(key)
        return self.data.get(key)

    def problem(self, key: str, reason: str) -> None:
        """Record a problem with one of this mapping's fields."""
        self.problems.add(self.field(key), reason)

    def label(self, key: str, *, required: bool = False) -> str | None:
        """A short identifier-like string: 1 to 200 characters, no control characters."""
        if not self.has(key):
            if required:
                self.problem(key, "is required")
            return None
        return self._label(self.data[key], self.field(key))

    def text(self, key: str, *, required: bool = False) -> str | None:
        """A free text string (a description or a wording): non-empty."""
        if not self.has(key):
            if required:
                self.problem(key, "is required")
            return None
        value = self.data[key]
        if not isinstance(value, str):
            self.problem(key, f"expected a string, got {_kind(value)}")
            return None
        if not value.strip():
            self.problem(key, "must not be empty")
            return None
        return value

    def labels(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        """A list of labels (may be empty unless ``required``)."""
        values = self._list(key, required=required)
        found: list[str] = []
        for index, value in enumerate(values):
            label = self._label(value, join_path(self.field(key), index))
            if label is not None and label not in found:
                found.append(label)
        return tuple(found)

    def texts(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        """A list of non-empty free text strings."""
        values = self._list(key, required=required)
        found: list[str] = []
        for index, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                self.problems.add(
                    join_path(self.field(key), index),
                    f"expected a non-empty string, got {_kind(value)}",
                )
            else:
                found.append(value)
        return tuple(found)

    def phrases(self, key: str, *, required: bool = False) -> PhraseSet:
        """A list of regular expressions over normalised text, compiled into one."""
        values = self._list(key, required=required)
        found: list[str] = []
        for index, value in enumerate(values):
            where = join_path(self.field(key), index)
            if not isinstance(value, str) or not value:
                self.problems.add(
                    where, f"expected a regular expression string, got {_kind(value)}"
                )
                continue
            reason = pattern_problem(value)
            if reason:
                self.problems.add(where, reason)
            else:
                found.append(value)
        return PhraseSet.of(tuple(found))

    def number(
        self, key: str, *, default: float, minimum: float, maximum: float | None = None
    ) -> float:
        """A finite number within bounds (integers are accepted)."""
        if not self.has(key):
            return default
        value = self.data[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.problem(key, f"expected a number, got {_kind(value)}")
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            self.problem(key, f"{value} is out of range: expected a number {bounds}")
            return default
        return float(value)

    def boolean(self, key: str, *, default: bool) -> bool:
        """``true`` or ``false``."""
        if not self.has(key):
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            self.problem(key, f"expected true or false, got {_kind(value)}")
            return default
        return value

    def choice(self, key: str, kind: type[E], *, default: E | None = None) -> E | None:
        """One of an enumeration's values; required when there is no default."""
        if not self.has(key):
            if default is None:
                self.problem(key, f"is required: one of {_options(kind)}")
            return default
        value = self.data[key]
        try:
            return kind(value)
        except ValueError:
            self.problem(key, f"{value!r} is not one of {_options(kind)}")
            return default

    def child(self, key: str, *, required: bool = False, what: str) -> Spec | None:
        """A nested mapping, read with its own :class:`Spec`."""
        if not self.has(key):
            if required:
                self.problem(key, "is required")
            return None
        return Spec(self.data[key], self.field(key), self.problems, what=what)

    def items(self, key: str, *, required: bool = False) -> list[tuple[str, Any]]:
        """The (path, value) pairs of a list field, for callers that read each item."""
        return [
            (join_path(self.field(key), index), value)
            for index, value in enumerate(self._list(key, required=required))
        ]

    def finish(self, allowed: Iterable[str] = ()) -> None:
        """Report every key this mapping has that nobody read (a misspelt or unknown field)."""
        known = self._used | set(allowed)
        for key in self.data:
            if isinstance(key, bool):
                self.problems.add(
                    self.path or "(document)",
                    f"key {key!r} is not a string (YAML reads a bare yes/no/on/off as a"
                    " boolean: quote it)",
                )
            elif not isinstance(key, str):
                self.problems.add(self.path or "(document)", f"key {key!r} is not a string")
            elif key not in known:
                close = get_close_matches(key, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.problem(key, f"is not a field of {self.what}{hint}")

    def _list(self, key: str, *, required: bool) -> list[Any]:
        if not self.has(key):
            if required:
                self.problem(key, "is required")
            return []
        value = self.data[key]
        if not isinstance(value, list):
            self.problem(key, f"expected a list, got {_kind(value)}")
            return []
        if required and not value:
            self.problem(key, "must not be empty")
        return value

    def _label(self, value: object, where: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problems.add(where, f"expected a string, got {_kind(value)}")
            return None
        label = str(value)
        if label and not _VISIBLE.search(label):
            self.problems.add(where, f"{label!r} must contain a visible character, not only spaces")
            return None
        if not label or len(label) > _MAX_LABEL or _CONTROL.search(label):
            self.problems.add(
                where, f"{label!r} must be 1 to {_MAX_LABEL} characters without control characters"
            )
            return None
        return label


def _options(kind: type[StrEnum]) -> str:
    return ", ".join(member.value for member in kind)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return f"the number {value}"
    return type(value).__name__
