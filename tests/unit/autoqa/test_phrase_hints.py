"""The phrase patterns' hints (``language.HINTS``) only skip searches that cannot match.

A hint list is right when every match of its pattern holds one of the hints, lower-cased.
Three checks: the characters for which lower-casing is not IGNORECASE's match (``_UNFOLDED``)
are found over all of Unicode; every alternative of every hinted pattern has an example here
that its hints let through; and on a corpus of real support messages (the shared data sets,
the snippets, generated conversations) and their upper-case, title-case and odd-letter
variants, the hinted search answers as the plain search does.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.autoqa import language
from auditkit.autoqa.language import HINTS, SLOTS, hint_text, phrase_in

DATA = Path(__file__).resolve().parents[2] / "data"
ROOT = Path(__file__).resolve().parents[3]

# At least one example per alternative of each hinted pattern, in its order.
EXAMPLES: dict[re.Pattern[str], tuple[str, ...]] = {
    language.APOLOGY: (
        "So sorry about that",
        "I apologise",
        "We apologize.",
        "Our apologies!",
        "my bad",
        "We regret the inconvenience",
    ),
    language.EMPATHY: (
        "I completely understand",
        "I can imagine",
        "That must be frustrating",
        "really frustrating",
        "I hear you",
        "I know how it is",
        "Thanks for your patience",
        "I'd be happy to help",
        "No worries!",
        "I appreciate it",
    ),
    language.NEXT_STEPS: (
        "You'll receive an email",
        "We will refund you",
        "I have escalated it",
        "Your ticket number is 4",
        "The next step is this",
        "I'll follow-up",
        "It should arrive soon",
        "It will be shipped",
        "They'll call you",
        "They will reach out",
    ),
    language.TIMESCALE: (
        "within 3-5 business days",
        "in a few hours",
        "over the next two weeks",
        "less than 24 hrs",
        "by Monday",
        "on tomorrow",
        "by the end of the week",
        "allow 3-5 days",
    ),
    language.OFFER: ("If you need anything", "Feel free", "Let me know", "let us know"),
    language.CONFIRMATION_ASK: (
        "Does that solve it?",
        "Has everything worked?",
        "Is there anything else?",
        "Any other questions?",
        "Do you need further assistance?",
        "Anything more?",
        "Anything you need?",
        "Is everything okay now?",
    ),
    language.INDIRECT_QUESTION: (
        "I want to know when",
        "I was wondering if it ships",
        "Could you tell me why",
    ),
    language.CLOSING: (
        "Is there anything else I can help with?",
        "Have a great day!",
        "Thank you for contacting us",
        "Take care",
        "Goodbye",
        "Glad I could help",
        "Feel free to reach out",
        "Happy to have helped",
        "Take it easy",
        "Have a safe trip",
        "Of course, any time!",
    ),
    SLOTS["email"][0]: ("your e-mail address",),
    SLOTS["order number"][0]: ("the order number",),
    SLOTS["account number"][0]: ("your account id",),
    SLOTS["phone"][0]: ("phone", "mobile number", "cell"),
    SLOTS["name"][0]: ("your full name",),
    SLOTS["card"][0]: ("which card", "what kind of card"),
    SLOTS["zip code"][0]: ("zip code", "postal code"),
    SLOTS["email"][1]: ("it is jo.doe+x@mail.example.com",),
    SLOTS["account number"][1]: ("my account is 1234567",),
    SLOTS["name"][1]: ("my name is Jo Doe", "this is Jo", "I am Jo", "I'm Jo"),
    SLOTS["card"][1]: ("my credit card", "a debit card"),
}


def test_every_hinted_pattern_has_examples_and_each_example_is_let_through() -> None:
    assert set(EXAMPLES) == set(HINTS)
    for pattern, examples in EXAMPLES.items():
        for example in examples:
            assert pattern.search(example), (pattern.pattern[:40], example)
            assert phrase_in(pattern, example, hint_text(example)), (pattern.pattern[:40], example)


def test_hints_are_lower_case_and_the_unfolded_characters_are_all_of_them() -> None:
    """Every character IGNORECASE matches to a hint's character lower-cases to that character,
    except the ones ``hint_text`` refuses to lower-case for (checked over all of Unicode)."""
    hint_chars = {char for hints in HINTS.values() for hint in hints for char in hint}
    assert all(hint == hint.lower() for hints in HINTS.values() for hint in hints)
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    matching = set(re.findall(f"[{re.escape(''.join(sorted(hint_chars)))}]", every, re.I))
    unfolded = {
        char
        for char in matching
        if not any(
            char.lower() == hint and re.fullmatch(re.escape(hint), char, re.I)
            for hint in hint_chars
        )
    }
    assert unfolded == set(language._UNFOLDED)
    for char in language._UNFOLDED:
        assert hint_text(f"Sorry {char}") is None  # such a text is always searched


def _generated_texts() -> list[str]:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate", module)
    spec.loader.exec_module(module)
    return [
        str(event["text"])
        for conversation in module.conversations(300, 3)
        for event in conversation["events"]
        if isinstance(event.get("text"), str)
    ]


def _corpus() -> list[str]:
    texts = [
        t["text"]
        for s in json.loads((DATA / "autoqa" / "snippets.json").read_text())["snippets"]
        for t in s["turns"]
    ]
    for dialogue in json.loads((DATA / "sgd" / "dialogues_039.json").read_text()):
        texts += [turn["utterance"] for turn in dialogue["turns"]]
    for conversation in json.loads((DATA / "abcd" / "abcd_sample.json").read_text()):
        texts += [text for _speaker, text in conversation["original"]]
    texts += _generated_texts()
    return [example for examples in EXAMPLES.values() for example in examples] + texts


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    texts = _corpus()
    assert len(texts) > 2000
    variants = [t.upper() for t in texts] + [t.title() for t in texts]
    odd = [t.replace("s", "ſ").replace("i", "ı") for t in texts[:300]]  # IGNORECASE matches
    return texts + variants + odd + [t.replace("I", "İ") for t in texts[:300]]


def test_the_hinted_search_answers_as_the_search_on_real_messages(corpus: list[str]) -> None:
    hits = dict.fromkeys(HINTS, 0)
    for text in corpus:
        lowered = hint_text(text)
        for pattern in HINTS:
            expected = pattern.search(text) is not None
            assert phrase_in(pattern, text, lowered) is expected, (pattern.pattern[:40], text)
            hits[pattern] += expected
    assert all(hits.values()), "each pattern matches somewhere in the corpus"


def test_the_language_check_and_questions_are_those_of_the_plain_searches(
    corpus: list[str],
) -> None:
    """The checks that skip a search by a hint (links, "of", punctuation, indirect questions)
    give what the unskipped searches give."""
    for text in corpus[:4000] + [t + " i" for t in corpus[:300]] + [t + "!?" for t in corpus[:300]]:
        check = language.check_language(text)
        plain = PLAIN_LINKS.sub(" ", text)
        assert language._WITHOUT_LINKS.sub(" ", text) == plain
        words = language.WORD.findall(plain)
        assert check.words == len(words)
        assert check.sentences == (max(1, len(language.sentences(plain))) if words else 0)
        assert check.syllables == sum(language.syllables(w) for w in words)
        candidates = [
            w.strip("-")
            for w in words
            if w.islower() and "'" not in w and "’" not in w and len(w.strip("-")) > 1
        ]
        known = language._known_words()
        assert check.spelling == tuple(
            w for w in candidates if w not in known and w not in language.SUPPORT_WORDS
        )
        grammar = list(check.grammar)
        for rule, pattern in (
            ("could/should/would of", language._MODAL_OF),
            ("missing space after punctuation", language._NO_SPACE),
            ("lower-case i", language._LOWER_I),
            ("repeated ! or ?", language._REPEATED_MARK),
        ):
            assert grammar.count(rule) == len(pattern.findall(text)), (rule, text)
        doubled = [w for w in PLAIN_DOUBLED.findall(text) if w.lower() not in language.DOUBLE_OK]
        assert grammar.count("doubled word") == len(doubled), text
        asked = [
            s
            for s in language.sentences(text)
            if s.endswith("?")
            or language.QUESTION_START.match(s)
            or language.INDIRECT_QUESTION.search(s)
        ]
        assert language.questions(text) == asked


# The patterns as written before they were made faster (the same matches, tested here).
PLAIN_LINKS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\S*\d\S*")
PLAIN_DOUBLED = re.compile(r"\b([A-Za-z]+) \1\b", re.IGNORECASE)


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                "Ab",
                "1",
                "@",
                "http://",
                "https://",
                "www.",
                ".",
                ":",
                "-",
                " ",
                "  ",
                "\n",
                "\t",
                "\u00a0",
                "\u2003",
                "\x1c",
                "é",
                "x@y",
                "i",
                "I",
                "the",
                "The",
                "!",
                "?",
            ]
        ),
        max_size=24,
    ).map("".join)
)
def test_the_faster_patterns_match_as_the_plain_ones(text: str) -> None:
    assert language._WITHOUT_LINKS.sub(" ", text) == PLAIN_LINKS.sub(" ", text)
    assert language._DOUBLED.findall(text) == PLAIN_DOUBLED.findall(text)
    if not language._may_have_lower_i(text):
        assert not language._LOWER_I.search(text)
