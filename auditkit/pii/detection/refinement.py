"""Rules that drop findings the full detector knows better than the stock recognizers.

Each rule is data: which findings it drops and why. They run after Presidio's own
merging, only with the full recognizer set (the stock set stays exactly stock).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

from auditkit.pii.detection.blocks import extend_addresses, names_above_addresses
from auditkit.pii.detection.kinds import demonym, named_place, organisation_name, venue_in_a_place
from auditkit.pii.detection.sources import (
    CONTEXT_NAME_RECOGNIZER,
    COUNTRY_RECOGNIZER,
    CUED_PLACE_RECOGNIZER,
    CUED_PLACE_SCORE,
    GAZETTEER_RECOGNIZER,
    GUESSING_PLACES,
    GUESSING_RECOGNIZERS,
    LEXICON_RECOGNIZER,
    NER_RECOGNIZER,
    PARTICIPANT_RECOGNIZER,
)
from auditkit.pii.entities import EntityType
from auditkit.pii.findings import Finding, without_contained
from auditkit.pii.recognizers.gazetteer import known_place, place_cue_before
from auditkit.pii.recognizers.lexicon import lexicon
from auditkit.pii.recognizers.places import COUNTRIES
from auditkit.pii.recognizers.vocabulary import NOT_NAMES

_NER_TYPES = frozenset({EntityType.PERSON, EntityType.NRP, EntityType.LOCATION})

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_ABSOLUTE_DATE = re.compile(
    rf"\d{{1,4}}[/.-]\d{{1,2}}(?:[/.-]\d{{1,4}})?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|{_MONTH}\s+(?:19|20)\d{{2}}",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DropRule:
    """Drop a finding when ``applies(finding, all findings, text)`` holds; ``reason`` says why."""

    name: str
    reason: str
    applies: Callable[[Finding, Sequence[Finding], str], bool]


def _ner_relative_date(span: Finding, _: Sequence[Finding], text: str) -> bool:
    return (
        span.recognizer == NER_RECOGNIZER
        and span.entity_type == EntityType.DATE_TIME
        and not _ABSOLUTE_DATE.search(text[span.start : span.end])
    )


def _ner_without_letters(span: Finding, _: Sequence[Finding], text: str) -> bool:
    return (
        span.recognizer == NER_RECOGNIZER
        and span.entity_type != EntityType.DATE_TIME
        and not any(char.isalpha() for char in text[span.start : span.end])
    )


def _ner_person_with_digits(span: Finding, _: Sequence[Finding], text: str) -> bool:
    value = text[span.start : span.end]
    return (
        span.recognizer == NER_RECOGNIZER
        and span.entity_type == EntityType.PERSON
        and (any(char.isdigit() for char in value) or "@" in value)
    )


def _url_inside_email(span: Finding, others: Sequence[Finding], _: str) -> bool:
    return span.entity_type == EntityType.URL and any(
        other.entity_type == EntityType.EMAIL_ADDRESS and span.inside(other) for other in others
    )


def _ner_inside_address(span: Finding, others: Sequence[Finding], _: str) -> bool:
    return span.recognizer in GUESSING_RECOGNIZERS | {GAZETTEER_RECOGNIZER} and any(
        other.entity_type == EntityType.STREET_ADDRESS
        and other.recognizer not in GUESSING_RECOGNIZERS
        and span.inside(other)
        for other in others
    )


_COUNTRY_NAMES = frozenset(COUNTRIES)


def _model_place_that_is_a_name(span: Finding, others: Sequence[Finding], text: str) -> bool:
    return (
        span.recognizer == NER_RECOGNIZER
        and span.entity_type == EntityType.LOCATION
        and any(
            other.recognizer == LEXICON_RECOGNIZER
            and other.entity_type == EntityType.PERSON
            and other.score > WEAK_GUESS_SCORE
            and span.overlaps(other)
            for other in others
        )
        and not _place_by_context(span, text)
    )


def _place_by_context(span: Finding, text: str) -> bool:
    """A country, or a known place of two words or more, or after a place word."""
    value = text[span.start : span.end]
    if value in _COUNTRY_NAMES:
        return True
    return known_place(value) and (len(value.split()) > 1 or place_cue_before(text, span.start))


_IDENTIFIER_TEXT = frozenset(
    {EntityType.EMAIL_ADDRESS, EntityType.IBAN_CODE, EntityType.URL, EntityType.IP_ADDRESS}
)


def _guess_inside_identifier(span: Finding, others: Sequence[Finding], _: str) -> bool:
    return (
        span.recognizer in GUESSING_RECOGNIZERS
        and span.entity_type in _NER_TYPES
        and any(
            other.entity_type in _IDENTIFIER_TEXT
            and other.start <= span.start
            and span.end <= other.end
            for other in others
        )
    )


def _name_guess_over_a_known_place(span: Finding, others: Sequence[Finding], text: str) -> bool:
    if span.entity_type != EntityType.PERSON or span.recognizer not in GUESSING_RECOGNIZERS:
        return False
    for other in others:
        if other.entity_type != EntityType.LOCATION or not span.overlaps(other):
            continue
        if _place_by_context(other, text):
            return True
    return False


def _model_name_over_a_cued_place(span: Finding, others: Sequence[Finding], _: str) -> bool:
    return (
        span.entity_type == EntityType.PERSON
        and span.recognizer == NER_RECOGNIZER
        and any(
            other.recognizer == CUED_PLACE_RECOGNIZER and span.overlaps(other) for other in others
        )
    )


def _guessed_place_over_a_cued_name(span: Finding, others: Sequence[Finding], _: str) -> bool:
    return (
        span.entity_type in {EntityType.LOCATION, EntityType.NRP}
        and span.recognizer in GUESSING_PLACES
        and any(
            other.recognizer == CONTEXT_NAME_RECOGNIZER
            and other.entity_type == EntityType.PERSON
            and span.overlaps(other)
            for other in others
        )
    )


def _uncued_place_that_is_a_name(span: Finding, others: Sequence[Finding], _: str) -> bool:
    return (
        span.recognizer == GAZETTEER_RECOGNIZER
        and span.score < CUED_PLACE_SCORE
        and any(
            other.entity_type == EntityType.PERSON
            and other.recognizer != GAZETTEER_RECOGNIZER
            and span.overlaps(other)
            for other in others
        )
    )


def _support_vocabulary(span: Finding, _: Sequence[Finding], text: str) -> bool:
    if span.recognizer not in GUESSING_RECOGNIZERS or span.entity_type not in _NER_TYPES:
        return False
    words = re.findall(r"[^\W\d_]+", text[span.start : span.end].lower())
    return bool(words) and all(word in NOT_NAMES or word in STOP_WORDS for word in words)


def _person_that_is_a_country(span: Finding, others: Sequence[Finding], _: str) -> bool:
    return (
        span.entity_type == EntityType.PERSON
        and span.recognizer in GUESSING_RECOGNIZERS
        and any(other.recognizer == COUNTRY_RECOGNIZER and span.overlaps(other) for other in others)
    )


_STREET_WORD = re.compile(
    r"\s*\b(?:street|st|road|rd|avenue|ave|lane|drive|boulevard|blvd|way|court|place|crescent"
    r"|close|terrace|gardens|square|parkway|highway|pike|turnpike|trail|row|mews|alley|plaza"
    r"|loop|crossing|bypass|walk)\b\.?",
    re.IGNORECASE,
)


def _street_name(span: Finding, _: Sequence[Finding], text: str) -> bool:
    if span.entity_type != EntityType.PERSON or span.recognizer not in GUESSING_RECOGNIZERS:
        return False
    words = text[span.start : span.end].split()
    return bool(words) and (
        bool(_STREET_WORD.fullmatch(words[-1])) or bool(_STREET_WORD.match(text, span.end))
    )


WEAK_GUESS_SCORE = 0.45


def _weak_name_over_a_place(span: Finding, others: Sequence[Finding], _: str) -> bool:
    return (
        span.entity_type == EntityType.PERSON
        and span.recognizer == LEXICON_RECOGNIZER
        and span.score <= WEAK_GUESS_SCORE
        and any(
            other.entity_type in {EntityType.LOCATION, EntityType.NRP} and span.overlaps(other)
            for other in others
        )
    )


_FIRM = re.compile(
    r"(?:^|\n|>|\b(?:at|from|for|of|with|by)\s)[ \t]*"
    r"(?P<a>[A-Z][a-z]+(?:-[A-Z][a-z]+)?),[ \t]+(?P<b>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)[ \t]+(?:and|&)[ \t]+"
    r"(?P<c>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b(?![ \t]*,)",
    re.IGNORECASE,
)


def _surname_firm(span: Finding, _: Sequence[Finding], text: str) -> bool:
    """ "at Jones, Mitchell and Williams", "Owens, Duran and Oneal" on its own line: three
    surnames joined without an Oxford comma, after "at"/"from"/"for" … or at a line's start,
    are a firm's name (the organisation, not three people)."""
    if span.entity_type not in _NER_TYPES or span.recognizer not in GUESSING_RECOGNIZERS:
        return False
    first, last = lexicon()
    for match in _FIRM.finditer(text):
        members = [match.span(group) for group in ("a", "b", "c")]
        if not any(start <= span.start and span.end <= end for start, end in members):
            continue
        keys = [match.group(group).lower() for group in ("a", "b", "c")]
        if all(key in last for key in keys) and sum(key in first for key in keys) <= 1:
            return True
    return False


def _phone_inside_ip(span: Finding, others: Sequence[Finding], _: str) -> bool:
    return span.entity_type == EntityType.PHONE_NUMBER and any(
        other.entity_type == EntityType.IP_ADDRESS and span.overlaps(other) for other in others
    )


def _ner_inside_participant(span: Finding, others: Sequence[Finding], _: str) -> bool:
    return span.recognizer == NER_RECOGNIZER and any(
        other.recognizer == PARTICIPANT_RECOGNIZER
        and other.entity_type != span.entity_type
        and other.start <= span.start
        and span.end <= other.end
        for other in others
    )


WEAK_PHONE_SCORE = 0.5
_IDENTIFIERS = frozenset(
    {
        EntityType.STREET_ADDRESS,
        EntityType.ORDER_NUMBER,
        EntityType.ACCOUNT_NUMBER,
        EntityType.CREDIT_CARD,
        EntityType.PARTIAL_CARD_NUMBER,
        EntityType.ONE_TIME_CODE,
        EntityType.PIN,
        EntityType.US_SSN,
    }
)


def _weak_phone_inside_identifier(span: Finding, others: Sequence[Finding], _: str) -> bool:
    return (
        span.entity_type == EntityType.PHONE_NUMBER
        and span.score < WEAK_PHONE_SCORE
        and any(
            other.entity_type in _IDENTIFIERS
            and other.start <= span.start
            and span.end <= other.end
            for other in others
        )
    )


def _nhs_number_that_is_a_phone(span: Finding, others: Sequence[Finding], text: str) -> bool:
    return (
        span.entity_type == EntityType.UK_NHS
        and "nhs" not in text.lower()
        and any(
            other.entity_type == EntityType.PHONE_NUMBER
            and other.start <= span.start
            and span.end <= other.end
            for other in others
        )
    )


DROP_RULES: tuple[DropRule, ...] = (
    DropRule(
        "organisation name",
        'a name before "Inc", "Group", "and Sons" or after "works for" is a firm\'s ("Thomas and Sons")',
        organisation_name,
    ),
    DropRule(
        "venue in a place",
        '"the following year at Numedii in Cheb": the guessed place before "in" and a place is a firm',
        venue_in_a_place,
    ),
    DropRule(
        "nationality or language",
        '"studying English", "an German bank": a nationality or language word is no one\'s name',
        demonym,
    ),
    DropRule(
        "relative date",
        'spaCy\'s DATE covers durations and numbers ("7 days", "75227"); only a calendar date is personal',
        _ner_relative_date,
    ),
    DropRule(
        "entity without letters",
        'a name, place or group has letters ("+1-944" is no NRP)',
        _ner_without_letters,
    ),
    DropRule(
        "person with digits",
        'spaCy reads "expiry 09/27" or an email as a name; names have no digits or @',
        _ner_person_with_digits,
    ),
    DropRule(
        "url inside email",
        "an email's domain is part of the email, not a separate URL",
        _url_inside_email,
    ),
    DropRule(
        "entity inside address",
        'a street named after a person or place is part of the address ("Nelson Mandela Drive")',
        _ner_inside_address,
    ),
    DropRule(
        "support vocabulary",
        'team, queue and support words are no one\'s name or place ("Disputes", "Handoff", "Cards")',
        _support_vocabulary,
    ),
    DropRule(
        "person that is a country",
        'a capitalised country ("France", "United States") is a place, not a surname',
        _person_that_is_a_country,
    ),
    DropRule(
        "weak name over a place",
        'the model reads "Amsterdam", "Estonia" as a place; a lexicon guess from a surname alone yields',
        _weak_name_over_a_place,
    ),
    DropRule(
        "model place that is a name",
        'the lexicon knows "Rebecca", "Magnus" as given names, and no gazetteer knows them as places',
        _model_place_that_is_a_name,
    ),
    DropRule(
        "guess inside an identifier",
        'spaCy reads an IBAN or an e-mail ("GB02RVXB…", "SamiraVasilyeva@…") as a place or a name',
        _guess_inside_identifier,
    ),
    DropRule(
        "name guess over a known place",
        '"Los Angeles", "grew up in Monroe": a known town of two words, or after a place word, is the place',
        _name_guess_over_a_known_place,
    ),
    DropRule(
        "model name over a cued place",
        '"we moved here from Deanwell": after a strong place word, an unknown word is a place',
        _model_name_over_a_cued_place,
    ),
    DropRule(
        "guessed place over a cued name",
        '"add Tünde Hoffmann as a beneficiary": a name its cue introduces is no place',
        _guessed_place_over_a_cued_name,
    ),
    DropRule(
        "uncued place that is a name",
        'a town name without a place word that the model or a cue reads as a name ("Tómas had …")',
        _uncued_place_that_is_a_name,
    ),
    DropRule(
        "street name",
        'a name before "Turnpike", "Road" … is a street ("Waechter Turnpike"), found as an address',
        _street_name,
    ),
    DropRule(
        "surname firm",
        'three surnames after "at", "from" … or alone on a line are a firm ("at Jones, Mitchell and Williams")',
        _surname_firm,
    ),
    DropRule(
        "phone inside ip address",
        'an IP address ("192.168.10.21") passes for a phone number; it is an IP',
        _phone_inside_ip,
    ),
    DropRule(
        "entity inside participant",
        "the conversation's own metadata says what a participant's name is",
        _ner_inside_participant,
    ),
    DropRule(
        "weak phone inside identifier",
        "digits libphonenumber accepts without a phone word are the order number or house number around them",
        _weak_phone_inside_identifier,
    ),
    DropRule(
        "nhs number that is a phone",
        "a 10-digit phone passes the NHS checksum one time in eleven; without 'NHS' it is a phone",
        _nhs_number_that_is_a_phone,
    ),
)


_TOWN_GAP = re.compile(r"[ \t]*(?:,[ \t]*|\n[\s>]*)")
_TOWN_END = re.compile(r"[ \t]*(?:,|\n|$|\d|[A-Z]{2}\b)")


def _town_after_address(span: Finding, others: Sequence[Finding], text: str) -> bool:
    """A guessed name right after a street address, then a comma, line end or postcode:
    the address's town ("… Apt. 608\nDusino San Michele, AT 31295", "Prospect St, Dehylov,")."""
    if span.entity_type != EntityType.PERSON or span.recognizer not in GUESSING_RECOGNIZERS:
        return False
    if not _TOWN_END.match(text, span.end):
        return False
    return any(
        other.entity_type == EntityType.STREET_ADDRESS
        and other.recognizer not in GUESSING_RECOGNIZERS
        and other.end <= span.start
        and _TOWN_GAP.fullmatch(text, other.end, span.start) is not None
        for other in others
    )


def retype(findings: Sequence[Finding], text: str) -> list[Finding]:
    """Findings whose type the rest of the text settles: a town after a street address is
    part of the address (``STREET_ADDRESS``), not a person, so it stays masked as one; a
    guessed name with a place's words around it (:func:`named_place`) is a place."""
    out = []
    for f in findings:
        if _town_after_address(f, findings, text):
            out.append(Finding(f.start, f.end, EntityType.STREET_ADDRESS, f.score, f.recognizer))
        else:
            out.append(named_place(f, text) or f)
    return without_contained(out)


def refine(
    findings: Sequence[Finding], text: str, rules: Sequence[DropRule] = DROP_RULES
) -> list[Finding]:
    """The findings no rule drops, in their order (after :func:`retype`)."""
    findings = extend_addresses(retype(findings, text), text, GUESSING_RECOGNIZERS)
    findings = names_above_addresses(findings, text, GUESSING_RECOGNIZERS)
    kept = [
        finding
        for finding in findings
        if not any(rule.applies(finding, findings, text) for rule in rules)
    ]
    return propagate_names(kept, text)


SAME_NAME_RECOGNIZER = "SameNameInText"
SAME_NAME_SCORE = 0.5
_NAME_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W\d_])?")


def propagate_names(findings: Sequence[Finding], text: str) -> list[Finding]:
    """A word of a name found once is that name wherever else it stands in the text.

    "Magnus spent a year … as the assistant to Magnus Poulsen": the model reads the first
    "Magnus" as a place, the second as part of a name. Every other whole-word occurrence
    (same spelling, three letters or more, no stop or support word) of a word of a
    ``PERSON`` finding becomes ``PERSON``: a guessed place or group there is retyped, and
    an occurrence nothing covers is added. Findings of other kinds (an address, an e-mail)
    keep their place.
    """
    people = [f for f in findings if f.entity_type == EntityType.PERSON]
    if not people:
        return list(findings)
    words = {
        match.group()
        for f in people
        for match in _NAME_WORD.finditer(text, f.start, f.end)
        if len(match.group()) >= 3
        and match.group().lower() not in STOP_WORDS
        and match.group().lower() not in NOT_NAMES
    }
    if not words:
        return list(findings)
    out = list(findings)
    for match in _NAME_WORD.finditer(text):
        if match.group() not in words:
            continue
        start, end = match.span()
        covering = [f for f in out if f.start < end and start < f.end]
        if any(f.entity_type == EntityType.PERSON for f in covering):
            continue
        if covering and not all(
            f.entity_type in _NER_TYPES and f.recognizer in GUESSING_PLACES for f in covering
        ):
            continue
        out = [f for f in out if f not in covering]
        out.append(Finding(start, end, EntityType.PERSON, SAME_NAME_SCORE, SAME_NAME_RECOGNIZER))
    return sorted(out)
