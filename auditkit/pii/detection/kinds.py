"""Rules that settle a guessed span's kind from its own words and the words around it:
firms ("Thomas and Sons", "I work for Flightstats"), languages and nationalities, venues
("at Numedii in Cheb"), and places named by their words ("North Michael", "Pines Beach")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from auditkit.pii.detection.sources import GUESSING_PLACES, GUESSING_RECOGNIZERS
from auditkit.pii.entities import EntityType
from auditkit.pii.findings import Finding
from auditkit.pii.recognizers.gazetteer import known_place
from auditkit.pii.recognizers.places import COUNTRIES
from auditkit.pii.recognizers.vocabulary import DEMONYMS, ORGANISATION_WORDS

_COUNTRY_NAMES = frozenset(COUNTRIES)

_FIRM_AFTER = re.compile(
    r"(?:[ \t]*,)?[ \t]+(?:(?:and|&)[ \t]+(?:Sons|Son|Co|Company|Partners|Associates|Brothers)\b"
    r"|&[ \t]*Co\b|(?P<word>[A-Z][a-z]+\b))"
)
_EMPLOYER_BEFORE = re.compile(
    r"\b(?i:work(?:s|ed|ing)?\s+(?:for|at)|employed\s+(?:by|at)|employee\s+of|ceo\s+of"
    r"|founders?\s+of|cofounders?\s+of|joined|shares\s+of|stock\s+of|subsidiary\s+of)\s+(?:the\s+)?$"
)


def organisation_name(span: Finding, _: Sequence[Finding], text: str) -> bool:
    """A guessed name that is a firm's: followed by "Inc", "Group", "and Sons" …, or right
    after "works for", "employed by", "CEO of" … ("I work for Flightstats"; a guessed
    place there too)."""
    if span.entity_type == EntityType.LOCATION and span.recognizer in GUESSING_PLACES:
        return _EMPLOYER_BEFORE.search(text, max(0, span.start - 40), span.start) is not None
    if span.entity_type != EntityType.PERSON or span.recognizer not in GUESSING_RECOGNIZERS:
        return False
    words = text[span.start : span.end].split()
    if words and words[-1].strip(".,").lower() in ORGANISATION_WORDS:
        return True
    after = _FIRM_AFTER.match(text, span.end)
    if after is not None and (
        after.group("word") is None or after.group("word").lower() in ORGANISATION_WORDS
    ):
        return True
    return _EMPLOYER_BEFORE.search(text, max(0, span.start - 40), span.start) is not None


_AT_BEFORE = re.compile(r"\b(?i:at|for|with|joined)[ \t]+$")
_IN_AFTER = re.compile(r"[ \t]+in[ \t]+")


def venue_in_a_place(span: Finding, others: Sequence[Finding], text: str) -> bool:
    """ "a year at Numedii in Cheb": a guessed one-word place after "at" with "in" and a
    place right after it is the firm or venue there, not a second place."""
    if span.entity_type != EntityType.LOCATION or span.recognizer not in GUESSING_PLACES:
        return False
    value = text[span.start : span.end]
    if " " in value.strip() or value in _COUNTRY_NAMES or known_place(value):
        return False
    if not _AT_BEFORE.search(text, max(0, span.start - 10), span.start):
        return False
    gap = _IN_AFTER.match(text, span.end)
    return gap is not None and any(
        other.start == gap.end()
        and other.entity_type in {EntityType.LOCATION, EntityType.STREET_ADDRESS}
        for other in others
    )


def demonym(span: Finding, _: Sequence[Finding], text: str) -> bool:
    """ "studying English": a nationality or language word guessed as a name."""
    return (
        span.entity_type == EntityType.PERSON
        and span.recognizer in GUESSING_RECOGNIZERS
        and text[span.start : span.end].lower() in DEMONYMS
    )


_PLACE_PREFIX = re.compile(
    r"(?:North|South|East|West|New|Port|Lake|Fort|Mount|Mt\.?|San|Santa|Santo|São|Saint|St\.?"
    r"|Little|Great|Upper|Lower|NORTH|SOUTH|EAST|WEST|NEW|PORT|LAKE|FORT|MOUNT|SAN|SANTA|SAINT)"
    r"[ \t]+"
)
_PLACE_SUFFIX = re.compile(
    r"[ \t]+(?:City|Town|Village|Beach|Springs|Falls|Heights|Harbor|Harbour|Valley|Hills|Bay"
    r"|Island|Creek|Ridge|Junction|Crossing|Landing)(?![\w'’-])"
)


_NUMBER_OR_TITLE_BEFORE = re.compile(r"(?:\d|\b(?:Dr|Mr|Mrs|Ms|Miss|Prof|Sir|Dame)\.?)[ \t]*$")


def named_place(span: Finding, text: str) -> Finding | None:
    """A guessed name that is a place's by its own words: a direction or "New", "Port",
    "Lake", "San" … before it ("North Michael", "Lake Ben"), or "Beach", "Village",
    "Springs" … after it ("Pines Beach"); not after a house number (that is a street)."""
    if span.entity_type != EntityType.PERSON or span.recognizer not in GUESSING_RECOGNIZERS:
        return None
    value = text[span.start : span.end]
    before = text[max(0, span.start - 12) : span.start]
    prefix = re.search(rf"(?:^|(?<=[^\w.]))(?:{_PLACE_PREFIX.pattern})$", before)
    suffix = _PLACE_SUFFIX.match(text, span.end)
    start = span.start - len(prefix.group()) if prefix is not None else span.start
    end = suffix.end() if suffix is not None else span.end
    words = value.split()
    own = len(words) > 1 and (
        _PLACE_PREFIX.match(value) is not None
        or _PLACE_SUFFIX.fullmatch(" " + words[-1]) is not None
    )
    if prefix is None and suffix is None and not own:
        return None
    if _NUMBER_OR_TITLE_BEFORE.search(text, max(0, start - 8), start):
        return None  # "5 Lake View" is a street, "Dr. Lake Smith" a person
    return Finding(start, end, EntityType.LOCATION, span.score, span.recognizer)
