"""Tolerant text matching: normalised text, phrase patterns and fuzzy approved wordings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

# Apostrophes vanish rather than split words, so "I've" and "Ive" read the same.
_APOSTROPHES = str.maketrans("", "", "'\u2019\u2018`\u00b4")
_SEPARATORS = re.compile(r"[\W_]+")
# ASCII text (most chat) takes a bytes fast path, four times quicker than the regex,
# with the same result: every ASCII character that is not a letter or digit is a separator.
_ASCII_DROPPED = b"'`"
_ASCII_SEPARATORS = bytes(
    c for c in range(128) if not chr(c).isalnum() and bytes([c]) not in (b"'", b"`")
)
_ASCII_TABLE = bytes.maketrans(_ASCII_SEPARATORS, b" " * len(_ASCII_SEPARATORS))


def normalise(text: str) -> str:
    """Lower-case ``text``, drop apostrophes, turn other punctuation into spaces, collapse spaces."""
    if text.isascii():
        cleaned = text.lower().encode("ascii").translate(_ASCII_TABLE, _ASCII_DROPPED)
        return " ".join(cleaned.decode("ascii").split())
    return _SEPARATORS.sub(" ", text.casefold().translate(_APOSTROPHES)).strip()


@dataclass(frozen=True)
class PhraseSet:
    """Regular expressions matched against normalised message text, compiled into one."""

    patterns: tuple[str, ...]
    compiled: re.Pattern[str] | None

    @classmethod
    def of(cls, patterns: tuple[str, ...]) -> PhraseSet:
        """Compile ``patterns`` (already checked one by one) into a single alternation."""
        if not patterns:
            return cls((), None)
        return cls(patterns, re.compile("|".join(f"(?:{p})" for p in patterns)))

    def __bool__(self) -> bool:
        return self.compiled is not None

    def search(self, normalised_text: str) -> bool:
        """True when any pattern occurs in the already normalised text."""
        return self.compiled is not None and self.compiled.search(normalised_text) is not None


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used as a phrase pattern, or None when it can."""
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        return f"invalid regular expression: {error}"
    if compiled.groups and re.search(r"\\[1-9]|\(\?P=", pattern):
        # Patterns are joined into one alternation, which renumbers groups.
        return "back-references are not supported in phrase patterns"
    if compiled.search(""):
        return "the pattern matches empty text, so it would match every message"
    return None


@dataclass(frozen=True)
class Wording:
    """An approved wording, normalised, matched exactly or fuzzily inside a message."""

    text: str
    words: tuple[str, ...]
    distinct: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Wording:
        """Prepare an approved wording for matching."""
        normalised = normalise(text)
        words = tuple(normalised.split())
        return cls(normalised, words, frozenset(words))

    def found_in(self, normalised_text: str, threshold: float) -> bool:
        """True when the wording, or a window of words at least ``threshold`` similar, occurs.

        Similarity is difflib's ratio over characters of a window of message words of
        about the wording's length. A cheap word-overlap test runs first: a window
        is only tried when at least half the wording's distinct words appear,
        which keeps unrelated messages (the common case) fast.
        """
        if not self.text:
            return False
        if self.text in normalised_text:
            return True
        if threshold >= 1.0:
            return False
        words = normalised_text.split()
        if not words:
            return False
        if len(self.distinct.intersection(words)) * 2 < len(self.distinct):
            return False
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(self.text)
        size = len(self.words)
        slack = max(1, size // 5)
        for length in range(max(1, size - slack), size + slack + 1):
            for start in range(max(1, len(words) - length + 1)):
                matcher.set_seq1(" ".join(words[start : start + length]))
                if (
                    matcher.real_quick_ratio() >= threshold
                    and matcher.quick_ratio() >= threshold
                    and matcher.ratio() >= threshold
                ):
                    return True
        return False
