"""People's names introduced in chat: "my name is …", "Mr. …", "Hi …", "call me …"."""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

from auditkit.pii.entities import EntityType
from auditkit.pii.recognizers.base import GroupPattern, GroupPatternRecognizer, pattern
from auditkit.pii.recognizers.vocabulary import NOT_NAMES

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


INTERJECTIONS = frozenset(
    {
        "sure",
        "ok",
        "okay",
        "yes",
        "yeah",
        "yep",
        "no",
        "nope",
        "sorry",
        "well",
        "hello",
        "hi",
        "hey",
        "thanks",
        "great",
        "actually",
        "anyway",
        "perfect",
        "cool",
        "alright",
        "right",
        "now",
        "please",
        "also",
        "fine",
        "hmm",
        "oh",
        "um",
        "listen",
        "look",
        "wait",
        "again",
        "otherwise",
        "finally",
        "lastly",
        "first",
        "second",
        "then",
        "however",
        "meanwhile",
        "excellent",
        "wonderful",
        "awesome",
        "brilliant",
        "lovely",
        "understood",
        "noted",
        "agent",
        "bot",
        "customer",
        "support",
        "sir",
        "madam",
        "guys",
        "folks",
        "everyone",
    }
)
"""Words that open a sentence with a comma and are no one's name ("Sure, can I …")."""


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
            "relation",
            EntityType.PERSON,
            r"(?i:\b(?:my|our|his|her|their)\s+(?:son|daughter|kid|child|baby|wife|husband|partner"
            r"|spouse|mother|mom|mum|father|dad|brother|sister|friend|boss|colleague|grandmother"
            r"|grandma|grandfather|grandpa|aunt|uncle|cousin|nephew|niece|fianc[eé]e?|girlfriend"
            r"|boyfriend|neighbou?r|flatmate|roommate|landlord|landlady|tenant|carer|caregiver)"
            r"(?:'s)?,?)\s+(?P<value>" + _CAP_NAME + r")",
            0.6,
            flags=0,
        ),
        pattern(
            "named",
            EntityType.PERSON,
            r"(?i:\b(?:named|called)(?:\s+(?:him|her|them|me|it))?)\s+(?P<value>"
            + _CAP_NAME
            + r")",
            0.6,
            flags=0,
        ),
        pattern(
            "spoke with",
            EntityType.PERSON,
            r"(?i:\b(?:spoke|speak|speaking|talked|talk|talking|chatted|follow(?:ed)?\s+up)\s+"
            r"(?:to|with))\s+(?P<value>" + _CAP_NAME + r")",
            0.6,
            flags=0,
        ),
        pattern(
            "beneficiary",
            EntityType.PERSON,
            r"(?i:\b(?:add(?:ed|ing)?|remov(?:e|ed|ing)|includ(?:e|ed|ing)|list(?:ed)?|nam(?:e|ed|ing)"
            r"|mak(?:e|ing)|made|set\s+up|appoint(?:ed)?)\s+)(?P<value>" + _ANY_NAME + r")"
            r"(?=\s+(?i:as\s+(?:a\s+|an\s+|the\s+|my\s+|our\s+|joint\s+)*(?:beneficiary|beneficiaries"
            r"|payee|authori[sz]ed\s+user|account\s+holder|holder|signatory|dependant|dependent"
            r"|nominee|power\s+of\s+attorney|executor|guardian|trustee|next\s+of\s+kin)\b))",
            0.7,
            flags=0,
        ),
        pattern(
            "vocative",
            EntityType.PERSON,
            r"(?:^|(?<=[.!?\n]\s)|(?<=\n))[ \t]*(?P<value>" + _CAP_WORD + r"),[ \t]+"
            r"(?=(?i:(?:can|could|would|will|please|do|did|are|have)\s+(?:i|you|we|he|she|they)\b))",
            0.5,
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
        if pattern.name in {"relation", "named", "spoke with", "vocative"} and (
            first in NOT_NAMES or first in INTERJECTIONS or first.endswith("ly")
        ):
            return False  # "Sure, can I …", "spoke to Support", "my son Really …"
        if pattern.name == "greeting" and len(value) < 3:
            return False
        return not (
            pattern.name == "my name is" and first in {"not", "wrong", "spelled", "misspelled"}
        )
