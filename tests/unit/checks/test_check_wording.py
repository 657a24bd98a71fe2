"""Tolerant wording matching: normalisation, fuzzy approved wordings and phrase patterns."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.checks.wording import PhraseSet, Wording, normalise, pattern_problem

WORDING = Wording.of("This chat is recorded and your details are used only to help you.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello,   World!", "hello world"),
        ("I've got it — thanks…", "ive got it thanks"),
        ("It\u2019s SW9 8QT.", "its sw9 8qt"),
        ("snake_case\tand\nlines", "snake case and lines"),
        ("", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("message", "threshold", "found"),
    [
        ("this chat is recorded and your details are used only to help you", 0.85, True),
        (
            "Hi! THIS CHAT is recorded, and your details are used only to help you. How can I help?",
            0.85,
            True,
        ),
        ("This chat is recordd and your detials are used only to help u.", 0.85, True),
        ("This chat is recordd and your detials are used only to help u.", 1.0, False),
        ("This chat is recorded.", 0.85, False),
        ("Your details help us, this chat is recorded and used.", 0.85, False),
        ("", 0.85, False),
    ],
    ids=[
        "exact",
        "inside-a-longer-message",
        "typos",
        "typos-with-exact-threshold",
        "partial",
        "reordered",
        "empty",
    ],
)
def test_wordings_match_tolerantly(message: str, threshold: float, found: bool) -> None:
    assert WORDING.found_in(normalise(message), threshold) is found


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        (r"\bplease confirm\b", None),
        ("(unclosed", "invalid regular expression"),
        ("a*", "matches empty text"),
        (r"(a)\1", "back-references"),
        (r"(?P<x>a)(?P=x)", "back-references"),
    ],
)
def test_phrase_patterns_are_checked(pattern: str, problem: str | None) -> None:
    found = pattern_problem(pattern)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_phrase_sets_search_normalised_text() -> None:
    phrases = PhraseSet.of((r"\bplease confirm\b", r"^yes\b"))
    assert phrases.search(normalise("Please, CONFIRM!"))
    assert phrases.search(normalise("Yes."))
    assert not phrases.search(normalise("yesterday"))
    assert not PhraseSet.of(())


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_the_ascii_fast_path_normalises_like_the_general_one(text: str) -> None:
    general = re.sub(r"[\W_]+", " ", text.casefold().replace("'", "").replace("`", "")).strip()
    assert normalise(text) == general
