"""Which recognizers can possibly find something in a text, decided cheaply and soundly.

Presidio runs every recognizer on every text; most chat messages ("thanks!", "how can I
help you?") give none of them anything to find, yet each call costs tens of
microseconds of bookkeeping. For each recognizer this module knows a necessary
condition for it to return any result:

* a pattern recognizer (Presidio's ``PatternRecognizer`` or auditkit's
  ``GroupPatternRecognizer``) finds nothing unless one of its own compiled regexes
  matches somewhere in the text;
* Presidio's ``PhoneRecognizer`` finds nothing unless libphonenumber's candidate
  pattern matches (the matcher only looks at those candidates) and the text has a run
  of four digits joined by the matcher's punctuation (no valid number has fewer);
* the spaCy recognizer finds nothing beyond the entity labels already in the NLP
  artifacts.

Any other recognizer is always a candidate. The detector asks Presidio for the
candidates' entity types only, so the same recognizers produce the same results and
Presidio's merging sees the same input: findings are identical, only faster.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import regex  # type: ignore[import-untyped]
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import (
    IbanRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
)

from auditkit.pii.recognizers.base import GroupPatternRecognizer

Probe = Callable[[str, Any], frozenset[str]]
"""Given a text and its NLP artifacts: the entity types a recognizer may return."""


def _phone_candidates() -> Any:
    from phonenumbers import phonenumbermatcher

    return getattr(phonenumbermatcher, "_PATTERN", None)


def min_phone_digits() -> int:
    """The fewest digits any valid phone number has: the shortest national number of any
    region in libphonenumber's metadata (4). A number written with its country code has
    more; parsing only removes digits (national prefixes, carrier codes), and the rules
    that prefix a region's digits ("1 784" + 7 digits) start from five or more."""
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import COUNTRY_CODES_FOR_NON_GEO_REGIONS, SUPPORTED_REGIONS

    lengths = [
        length
        for metadata in [
            *(PhoneMetadata.metadata_for_region(region) for region in SUPPORTED_REGIONS),
            *(
                PhoneMetadata.metadata_for_nongeo_region(code)
                for code in COUNTRY_CODES_FOR_NON_GEO_REGIONS
            ),
        ]
        if metadata is not None and metadata.general_desc is not None
        for length in metadata.general_desc.possible_length
    ]
    return min(lengths)


def _phone_digit_run() -> Any:
    """Digits joined only by the matcher's own punctuation, ``min_phone_digits()`` of them.

    libphonenumber's matcher takes a candidate of digit blocks joined by at most four of
    its punctuation characters (``_PUNCTUATION``), drops its extension, and keeps it only
    if it parses to a valid number, so a text without such a run yields no match.
    """
    from phonenumbers import phonenumbermatcher

    joiner = getattr(phonenumbermatcher, "_PUNCTUATION", None)
    if not isinstance(joiner, str):
        return None
    return regex.compile(rf"\d(?:{joiner}\d){{{min_phone_digits() - 1}}}", regex.IGNORECASE)


@dataclass(frozen=True)
class _Always:
    """The probe of a recognizer that is a candidate for every text."""

    types: frozenset[str]

    def __call__(self, _text: str, _artifacts: Any) -> frozenset[str]:
        return self.types


def _always(types: frozenset[str]) -> Probe:
    return _Always(types)


def _pattern_probe(recognizer: PatternRecognizer) -> Probe:
    # The same regexes and flags PatternRecognizer.analyze compiles (global flags, as the
    # analyzer passes none of its own).
    # Presidio sets ``patterns`` without a declared type; read it from the instance.
    patterns: list[Pattern] = vars(recognizer)["patterns"]
    compiled = [regex.compile(p.regex, flags=recognizer.global_regex_flags) for p in patterns]
    types = frozenset(recognizer.supported_entities)

    def probe(text: str, _artifacts: Any) -> frozenset[str]:
        return types if any(item.search(text) for item in compiled) else frozenset()

    return probe


def _group_probe(recognizer: GroupPatternRecognizer) -> Probe:
    patterns = recognizer.patterns

    def probe(text: str, _artifacts: Any) -> frozenset[str]:
        return frozenset(p.entity_type for p in patterns if p.regex.search(text))

    return probe


def _spacy_probe(recognizer: SpacyRecognizer) -> Probe:
    supported = frozenset(recognizer.supported_entities)

    def probe(_text: str, artifacts: Any) -> frozenset[str]:
        if artifacts is None:
            return frozenset()
        return frozenset(entity.label_ for entity in artifacts.entities) & supported

    return probe


_DIGIT_RUN = _phone_digit_run()


def _phone_probe(recognizer: PhoneRecognizer) -> Probe:
    candidate = _phone_candidates()
    digits = _DIGIT_RUN
    types = frozenset(recognizer.supported_entities)
    if candidate is None or digits is None:
        return _always(types)

    def probe(text: str, _artifacts: Any) -> frozenset[str]:
        return types if digits.search(text) and candidate.search(text) else frozenset()

    return probe


# analyze() implementations that only report matches of the recognizer's own patterns,
# compiled with its global flags (IbanRecognizer re-implements the loop for its groups).
_PATTERN_ANALYZERS = (PatternRecognizer.analyze, IbanRecognizer.analyze)


def probe_for(recognizer: EntityRecognizer) -> Probe:
    """A sound necessary condition for ``recognizer`` to return results, as a probe."""
    if (
        isinstance(recognizer, GroupPatternRecognizer)
        and type(recognizer).analyze is GroupPatternRecognizer.analyze
    ):
        return _group_probe(recognizer)
    if isinstance(recognizer, PatternRecognizer) and type(recognizer).analyze in _PATTERN_ANALYZERS:
        return _pattern_probe(recognizer)
    if type(recognizer) is SpacyRecognizer:
        return _spacy_probe(recognizer)
    if type(recognizer) is PhoneRecognizer:
        return _phone_probe(recognizer)
    return _always(frozenset(recognizer.supported_entities))


@dataclass(frozen=True)
class CandidateFilter:
    """The probes of a registry's recognizers, each with the entity types it may return.

    The types of recognizers that are candidates for every text are known before any
    probe runs; a probe whose types are all among the types found so far cannot add one,
    so it is not run (auditkit's always-candidate street, name and place recognizers
    make the street-address and person-context regexes unnecessary).
    """

    always: frozenset[str]
    probes: tuple[tuple[Probe, frozenset[str]], ...]

    @classmethod
    def of(cls, recognizers: Sequence[EntityRecognizer]) -> CandidateFilter:
        """Probes for every recognizer."""
        always: set[str] = set()
        probes: list[tuple[Probe, frozenset[str]]] = []
        for recognizer in recognizers:
            probe = probe_for(recognizer)
            if isinstance(probe, _Always):
                always |= probe.types
            else:
                probes.append((probe, frozenset(recognizer.supported_entities)))
        return cls(frozenset(always), tuple(probes))

    def candidates(self, text: str, artifacts: Any) -> frozenset[str]:
        """The entity types any recognizer may find in ``text``."""
        found = set(self.always)
        for probe, types in self.probes:
            if not types <= found:
                found |= probe(text, artifacts)
        return frozenset(found)
