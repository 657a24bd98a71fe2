"""The place gazetteer and the lexicon's whole-run judging (issue 17)."""

from __future__ import annotations

from auditkit.pii.detection.refinement import refine
from auditkit.pii.findings import Finding, finding_from_result
from auditkit.pii.recognizers.gazetteer import PlaceGazetteerRecognizer, known_place
from auditkit.pii.recognizers.lexicon import NameLexiconRecognizer


def _places(text: str) -> list[str]:
    return [text[r.start : r.end] for r in PlaceGazetteerRecognizer().analyze(text, None)]


def _names(text: str) -> list[str]:
    return [text[r.start : r.end] for r in NameLexiconRecognizer().analyze(text, None)]


def test_known_towns_are_places_after_a_place_word_and_mid_sentence() -> None:
    assert _places("We moved here from Espoo") == ["Espoo"]
    assert _places("we returned to kiel by helicopter.") == ["kiel"]
    assert _places("I grew up in Chiclana de la Frontera, then left") == ["Chiclana de la Frontera"]
    assert _places("the parcel went through Katrineholm yesterday") == ["Katrineholm"]
    assert known_place("Ålesund") and known_place("ALESUND")


def test_names_brands_and_ordinary_words_are_not_places() -> None:
    assert _places("Split the bill please") == []  # sentence start, ordinary word
    assert _places("Paris Hilton called") == []  # a place name before a surname
    assert _places("Call Jackson about it") == []  # a known name needs a place word
    assert _places("I work for Aunt Bertha Inc") == []
    assert _places("Thanks James Marín for that") == []  # inside a longer name


def test_a_name_guess_over_a_known_place_after_a_place_word_yields() -> None:
    text = "He grew up in Monroe."
    person = Finding(14, 20, "PERSON", 0.5, "NameLexiconRecognizer")
    place = Finding(14, 20, "LOCATION", 0.85, "SpacyRecognizer")
    assert refine([person, place], text) == [place]


def test_a_model_place_that_the_lexicon_knows_as_a_name_is_dropped() -> None:
    text = "Why is Rebecca so impulsive?"
    found = [finding_from_result(r) for r in NameLexiconRecognizer().analyze(text, None)]
    place = Finding(7, 14, "LOCATION", 0.85, "SpacyRecognizer")
    assert [f.entity_type for f in refine([*found, place], text)] == ["PERSON"]


def test_lexicon_judges_whole_runs_not_chunks_of_four_words() -> None:
    assert _names("follow up with patricia desrosiers in a couple of months.") == [
        "patricia desrosiers"
    ]
    assert _names("follow up with benjamin a seiler soon") == ["benjamin a seiler"]
