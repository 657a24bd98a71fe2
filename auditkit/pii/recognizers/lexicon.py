"""People's names the NER model misses, from a lexicon of given names and surnames.

spaCy's small model misses about one name in three in chat: a name at the start of a
sentence ("Scott is …"), in lower case ("eva kleist lives at …"), in a list
("Kónya, Becker and Vasquez") or in a non-English spelling. This recognizer reads the
text itself (no model), with ``auditkit/pii/data/names.txt.gz``: the US Census 1990
given names and surnames less the words that are ordinary English in support chat
(built by ``bench/builders/pii_name_lexicon.py``; see ``docs/pii.md``).

It reports ``PERSON`` for:

* a run of capitalised words (up to four, initials allowed: "Ravil G Yefimov") with a
  known given name in it, or ending in a known surname after another capitalised word;
* a single capitalised known given name; a single capitalised known surname in the
  middle of a sentence;
* a run of two or three lower-case words that starts with a known given name and ends
  with a known surname ("patricia desrosiers");
* a run of two or three capitalised words with a letter outside ASCII in it
  ("Elínborg Guðmundsdóttir", "Djevad Šušulić"): in English text, a foreign name;
* every member of a list of capitalised words ("A, B and C") of which one is a name.

Words of the support domain, months, weekdays and street words are never names here.
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
from auditkit.pii.recognizers.places import COUNTRIES
from auditkit.pii.recognizers.vocabulary import NOT_NAMES, ORGANISATION_WORDS

RUN_SCORE = 0.6
FIRST_NAME_SCORE = 0.5
SURNAME_SCORE = 0.45
ENDING_SCORE = 0.5
LOWER_SCORE = 0.5
FOREIGN_SCORE = 0.5
LIST_SCORE = 0.5

_COUNTRIES = frozenset(COUNTRIES)
_BRAND = re.compile(r"[a-z]{3,}[A-Z]")
CUED_SCORE = 0.45
_CUED = re.compile(
    r"(?:^|(?<=[.!?\n>]\s)|(?<=\n))[ \t]*(?P<value>(?:[A-Z]|[À-ÖØ-Þ])[^\W\d_]{2,})"
    r"(?=:[ \t]+\S|\s+(?:is|was|spent|lives|lived|has|had|said|says|will|would|went|works"
    r"|worked|told|asked|wants|called|gave|named)\b)"
)
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W\d_])?")
_INITIAL = re.compile(r"[A-Z]\.?")
_INITIAL_WORD = re.compile(r"[A-Z]")
_SENTENCE_END = re.compile(r"(?:[.!?:;\n>]|^)\s*$")


@cache
def lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames), lower case, from the packaged list."""
    data = resources.files("auditkit.pii") / "data" / "names.txt.gz"
    first: set[str] = set()
    last: set[str] = set()
    for line in gzip.decompress(data.read_bytes()).decode("utf-8").splitlines():
        kind, _, name = line.partition("\t")
        (first if kind == "first" else last).add(name)
    return frozenset(first), frozenset(last)


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
        return bool(self.text) and self.text[0].isupper() and not self.text.isupper()

    @property
    def ordinary(self) -> bool:
        return (
            self.key in STOP_WORDS
            or self.key in NOT_NAMES
            or len(self.text) < 2
            or "'" in self.key  # "I'm", "don't"
            or bool(_BRAND.search(self.text))  # "NorthBank", "PayPal"
        )


_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)


def _words(text: str) -> list[_Word]:
    """The words of ``text``; a possessive "'s" is not part of the name ("Nova's")."""
    words = []
    for match in _WORD.finditer(text):
        after = text[match.end() : match.end() + 2]
        before = text[match.start() - 1] if match.start() > 0 else " "
        glued = before in "@._/\\" or (
            bool(after)
            and (
                after[0].isdigit() or after[0] in "@_/" or (after[0] == "." and after[1:].isalnum())
            )
        )
        if glued:  # part of a password, an e-mail, a URL or a code, not a name
            words.append(_Word(match.start(), match.start(), ""))
            continue
        value = _POSSESSIVE.sub("", match.group())
        words.append(_Word(match.start(), match.start() + len(value), value))
    return words


_LIST_GAP = re.compile(r"[ \t]*,[ \t]*")
_AND_GAP = re.compile(r",?[ \t]+")


def _list_members(text: str, words: list[_Word]) -> list[tuple[list[_Word], bool]]:
    """Every run of words joined by commas, "and" or "&": (members, whether "and"/"&" joins)."""
    out: list[tuple[list[_Word], bool]] = []
    index = 0
    while index < len(words):
        members = [words[index]]
        joined = False
        cursor = index
        while cursor + 1 < len(words):
            gap = text[words[cursor].end : words[cursor + 1].start]
            if words[cursor + 1].key == "and" and not joined and cursor + 2 < len(words):
                after = text[words[cursor + 1].end : words[cursor + 2].start]
                if _AND_GAP.fullmatch(gap) and re.fullmatch(r"[ \t]+", after):
                    cursor += 2
                    members.append(words[cursor])
                    joined = True
                    continue
                break
            if not joined and (_LIST_GAP.fullmatch(gap) or re.fullmatch(r",?[ \t]+&[ \t]+", gap)):
                joined = joined or "&" in gap
                cursor += 1
                members.append(words[cursor])
                continue
            break
        out.append((members, joined))
        index = cursor + 1
    return out


_SURNAME_ENDINGS = re.compile(
    r"(?:ovich|evich|ovic|evic|sson|dottir|sen|ski|ska|sky|skaya|skiy|wicz|czyk"
    r"|ova|eva|ov|ev|escu|eanu|oglu|yan|enko|shvili|adze|poulos|opoulou|akis|moto|mura"
    r"|yama|hara|kawa|gawa|shita|saki|zaki|guchi)$"
)
"""Endings of surnames in Slavic, Nordic, Romanian, Turkish, Armenian, Georgian, Greek and
Japanese (romanised) naming, on the folded word ("Šušulić" → "susulic")."""


def _surname_shaped(word: _Word, *, lower: bool = False) -> bool:
    """A capitalised word (any case with ``lower``) of six letters or more that ends like a
    non-English surname."""
    if len(word.text) < 6 or not (word.capitalised or lower):
        return False
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", word.key) if not unicodedata.combining(c)
    )
    folded = folded.replace("ð", "d").replace("þ", "th")
    if not (word.key.endswith("ić") or _SURNAME_ENDINGS.search(folded)):
        return False
    from auditkit.pii.recognizers.gazetteer import known_place  # it imports this module

    return not known_place(word.text)


def _joined(text: str, left: _Word, right: _Word) -> bool:
    """Whether two words are neighbours in one name (a space, or an initial between)."""
    gap = text[left.end : right.start]
    return bool(re.fullmatch(r"[ \t]+(?:[A-Z]\.?[ \t]+)?", gap))


def _sentence_start(text: str, word: _Word) -> bool:
    return bool(_SENTENCE_END.search(text[: word.start]))


class NameLexiconRecognizer(TextRecognizer):
    """Finds names by the given names and surnames it knows; see the module docstring."""

    ENTITY = EntityType.PERSON

    def load(self) -> None:
        """Read the lexicon once per process."""
        lexicon()

    def analyze(
        self, text: str, entities: Any, nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """Every name run the lexicon supports, and the lists they are in."""
        if entities and EntityType.PERSON not in entities:
            return []
        first, last = lexicon()
        words = _words(text)
        spans: list[tuple[int, int, float, str]] = []
        runs: list[list[_Word]] = []
        for word in words:  # maximal runs of words joined by spaces; names are cut out below
            if runs and _joined(text, runs[-1][-1], word):
                runs[-1].append(word)
            else:
                runs.append([word])
        for run in runs:
            spans.extend(self._capitalised(text, run, first, last))
            spans.extend(self._lower(run, first, last))
        spans.extend(self._lists(text, words, spans, first, last))
        spans.extend(self._cued(text, spans))
        return [self._result(start, end, score, why) for start, end, score, why in spans]

    def _capitalised(
        self, text: str, run: list[_Word], first: frozenset[str], last: frozenset[str]
    ) -> list[tuple[int, int, float, str]]:
        found: list[tuple[int, int, float, str]] = []
        piece: list[_Word] = []
        for word in [*run, None]:
            if word is not None and word.capitalised and not word.ordinary:
                piece.append(word)
                continue
            if word is not None and piece and _INITIAL_WORD.fullmatch(word.text):
                piece.append(word)  # a middle initial: "Ravil G Yefimov"
                continue
            while piece and _INITIAL_WORD.fullmatch(piece[-1].text):
                piece.pop()
            # "Aunt Bertha Inc", "Treaty on European Union": an organisation, not a person.
            named_org = word is not None and word.key in ORGANISATION_WORDS
            if piece and not named_org and not any(w.key in ORGANISATION_WORDS for w in piece):
                for at in range(0, len(piece), 4):
                    found.extend(self._judge(text, piece[at : at + 4], first, last))
            piece = []
        return found

    def _judge(
        self, text: str, piece: list[_Word], first: frozenset[str], last: frozenset[str]
    ) -> list[tuple[int, int, float, str]]:
        start, end = piece[0].start, piece[-1].end
        if text[start:end] in _COUNTRIES:
            return []  # "France", "Jordan" alone: the place (a cue still finds "Jordan is …")
        if len(piece) > 1:
            if (
                any(w.key in first for w in piece)
                or piece[-1].key in last
                or _surname_shaped(piece[-1])
            ):
                return [(start, end, RUN_SCORE, "name run")]
            if any(not w.text.isascii() for w in piece) and len(piece) <= 3:
                return [(start, end, FOREIGN_SCORE, "foreign name run")]
            return []
        word = piece[0]
        if word.key in first:
            return [(start, end, FIRST_NAME_SCORE, "given name")]
        if _sentence_start(text, word):
            return []
        if _surname_shaped(word):  # "Petrussen", "Kovalenko": no town the gazetteer knows
            return [(start, end, ENDING_SCORE, "surname ending")]
        if word.key in last:
            return [(start, end, SURNAME_SCORE, "surname")]
        return []

    def _lower(
        self, run: list[_Word], first: frozenset[str], last: frozenset[str]
    ) -> list[tuple[int, int, float, str]]:
        found: list[tuple[int, int, float, str]] = []
        at = 0
        while at < len(run):  # windows of 2-3 lower-case words: given name (initial) surname
            for size in (3, 2):
                window = run[at : at + size]
                middle = window[1:-1]
                if (
                    len(window) == size
                    and all(w.text and w.text == w.key for w in window)
                    and (
                        (window[0].key in first and window[-1].key in last)
                        or (
                            (window[0].key in first or not window[0].key.isascii())
                            and _surname_shaped(window[-1], lower=True)
                        )
                    )
                    and not window[0].ordinary
                    and not window[-1].ordinary
                    and all(len(w.text) == 1 or not w.ordinary for w in middle)
                ):
                    found.append((window[0].start, window[-1].end, LOWER_SCORE, "lower-case name"))
                    at += size - 1
                    break
            at += 1
        return found

    def _lists(
        self,
        text: str,
        words: list[_Word],
        spans: list[tuple[int, int, float, str]],
        first: frozenset[str],
        last: frozenset[str],
    ) -> list[tuple[int, int, float, str]]:
        """Members of "A, B and C" (or "A and B") when one member is a name already; in
        lower case ("silvana, adam, chad and caleb") when two members are known given names."""
        found: list[tuple[int, int, float, str]] = []
        named = {(s, e) for s, e, score, _ in spans if score >= LIST_SCORE}
        known = {(s, e) for s, e, _, _ in spans}
        for members, joined in _list_members(text, words):
            if len(members) < (2 if joined else 3):
                continue  # "Danke, Jürgen" is a greeting, "Kónya, Becker and Vasquez" a list
            if any(m.ordinary for m in members):
                continue
            if all(m.capitalised for m in members):
                if not any(
                    (m.start, m.end) in known
                    or m.key in first
                    or m.key in last
                    or _surname_shaped(m)
                    for m in members
                ):
                    continue
            elif not (
                all(m.text == m.key for m in members)
                and len(members) >= 3
                and sum(m.key in first for m in members) >= 2
            ):
                continue
            found.extend(
                (m.start, m.end, LIST_SCORE, "list of names")
                for m in members
                if (m.start, m.end) not in named
            )
        return found

    def _cued(
        self, text: str, spans: list[tuple[int, int, float, str]]
    ) -> list[tuple[int, int, float, str]]:
        """An unknown capitalised word as a sentence's subject or a speaker's label."""
        taken = [(s, e) for s, e, _, _ in spans]
        found = []
        for match in _CUED.finditer(text):
            start, end = match.span("value")
            word = _Word(start, end, match.group("value"))
            if word.ordinary or any(s < end and start < e for s, e in taken):
                continue
            found.append((start, end, CUED_SCORE, "subject or speaker"))
        return found

    def _result(self, start: int, end: int, score: float, why: str) -> RecognizerResult:
        return text_result(self, EntityType.PERSON, start, end, score, why)
