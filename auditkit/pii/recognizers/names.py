"""People's names introduced in chat: "my name is …", "Mr. …", "Hi …", "call me …"."""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

from auditkit.pii.entities import EntityType
from auditkit.pii.recognizers.base import GroupPattern, GroupPatternRecognizer, pattern

# Name words: letters (any script), inner apostrophes and hyphens; capitalised when the
# cue is weak, any case after an explicit "my name is".
_ANY_WORD = r"[^\W\d_][\w'’-]*"
_CAP_WORD = r"(?:[A-Z]|[À-ÖØ-Þ])[\w'’-]*"
_NOT_FUNCTION = r"(?!(?i:and|but|or|so|because|from|with|to|for|is|was|i|im|i'm|here|speaking|please|thanks|thank)\b)"
_ANY_NAME = rf"{_ANY_WORD}(?:[ \t]+{_NOT_FUNCTION}{_ANY_WORD}){{0,2}}"
_CAP_NAME = rf"{_CAP_WORD}(?:[ \t]+{_NOT_FUNCTION}{_CAP_WORD}){{0,2}}"

GREETING_NOT_NAMES = frozenset(
    {
        "there",
        "team",
        "all",
        "everyone",
        "everybody",
        "again",
        "sir",
        "madam",
        "maam",
        "ma'am",
        "guys",
        "folks",
        "friend",
        "so",
        "very",
        "for",
        "support",
        "agent",
        "customer",
        "bot",
        "you",
        "yes",
        "no",
        "ok",
        "okay",
        "good",
        "great",
        "morning",
        "afternoon",
        "evening",
        "a",
        "lot",
        "much",
        "in",
        "advance",
        "mr",
        "mrs",
        "ms",
        "mx",
        "dr",
        "prof",
        "mister",
    }
)


class PersonContextRecognizer(GroupPatternRecognizer):
    """Finds a person's name from the words that introduce it, where the NER model may miss it."""

    PATTERNS = (
        pattern(
            "my name is",
            EntityType.PERSON,
            r"(?i:\b(?:(?:full|first|last|middle|sur|given|family|maiden)\s*)?name(?:'s|\s+is|\s+was|\s*:)"
            r"(?:\s+is)?)\s+(?P<value>" + _ANY_NAME + r")",
            0.75,
            flags=0,
        ),
        pattern(
            "name (weak cue)",
            EntityType.PERSON,
            r"(?i:\bname\??)\s+(?P<value>" + _CAP_NAME + r")",
            0.6,
            flags=0,
        ),
        pattern(
            "title",
            EntityType.PERSON,
            r"(?i:\b(?:mr|mrs|ms|miss|mx|dr|prof|mister|madam)\b\.?)\s+(?P<value>"
            + _CAP_NAME
            + r")",
            0.7,
            flags=0,
        ),
        pattern(
            "call me",
            EntityType.PERSON,
            r"(?i:\b(?:call(?:s|ed)?\s+me|i\s+am|i'm|this\s+is|it's|soy|sou|je\s+suis|ich\s+bin"
            r"|me\s+llamo|mi\s+chiamo|je\s+m'appelle|chamo-me)\b)\s+(?P<value>" + _CAP_NAME + r")"
            r"(?=\s*(?:[.,!?]|$|\s(?i:from|with|at|here|speaking|and|but)\b))",
            0.6,
            flags=0,
        ),
        pattern(
            "greeting",
            EntityType.PERSON,
            r"(?i:\b(?:hi|hello|hey|dear|thanks|thank\s+you|bye|goodbye|welcome"
            r"|good\s+(?:morning|afternoon|evening)|hola|hallo|ol[aá]|bonjour|salut|ciao|danke"
            r"|merci|gracias|obrigad[oa]|grazie|bom\s+dia|buenos\s+d[ií]as|guten\s+tag)\b,?)"
            r"\s+(?P<value>" + _CAP_WORD + r")(?=\s*(?:[.,!?:]|$))",
            0.6,
            flags=0,
        ),
    )

    def __init__(self) -> None:
        super().__init__(name="PersonContextRecognizer")

    def accept(self, value: str, pattern: GroupPattern, text: str, start: int) -> bool:
        """Reject greetings of no one ("Hi there") and stop words read as names."""
        first = re.split(r"\s+", value)[0].lower()
        if first in STOP_WORDS or first in GREETING_NOT_NAMES:
            return False
        if pattern.name == "greeting" and len(value) < 3:
            return False
        return not (
            pattern.name == "my name is" and first in {"not", "wrong", "spelled", "misspelled"}
        )
