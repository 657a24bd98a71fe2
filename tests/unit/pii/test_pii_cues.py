"""Issue 17, third pass: lists, surname endings, name cues, named streets, cued places,
towns after an address and firms of surnames, each with the case it must not take."""

from __future__ import annotations

import pytest

from auditkit.pii import DetectorConfig, build_detector
from auditkit.pii.detection.detector import Detector


@pytest.fixture(scope="module")
def detector() -> Detector:
    return build_detector(DetectorConfig())


def found(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in detector.detect(text, ())]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Gerste and Murphy signed the form.", "Gerste"),  # a two-member list with "and"
        ("the kids are tomas, oliver, emma and jack", "tomas"),  # lower case, known names
        ("The contract was with Mr. Blake and Kovalenko.", "Kovalenko"),
        ("We met Petrussen yesterday at the branch.", "Petrussen"),  # a Nordic ending
        ("Ravil G Yefimov opened the account", "Ravil G Yefimov"),
        ("Warrane, can I please speak to your boss?", "Warrane"),
        ("I want to add my daughter Ilinca to the account", "Ilinca"),
        ("She named him Luís", "Luís"),
        ("I already spoke with Oyelaran about it", "Oyelaran"),
    ],
)
def test_names_from_lists_endings_and_cues(detector: Detector, text: str, name: str) -> None:
    assert ("PERSON", name) in found(detector, text), found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "Sure, can I have your account number?",
        "Okay, could you confirm the amount?",
        "I spoke to Support yesterday.",
        "I'm on My Way home.",
    ],
)
def test_cues_take_no_ordinary_words(detector: Detector, text: str) -> None:
    assert not [v for kind, v in found(detector, text) if kind in {"PERSON", "STREET_ADDRESS"}]


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("The parcel was left on Oxford Street yesterday.", "Oxford Street"),
        ("the early shows on Marina Fort were packed", "Marina Fort"),
        ("stop at the corner of 11 Botley Road St. and Herceg Gateway St.", "Herceg Gateway"),
        ("psc 5420, box 2708\napo aa 33879", "psc 5420, box 2708\napo aa 33879"),
    ],
)
def test_streets_without_a_house_number(detector: Detector, text: str, street: str) -> None:
    addresses = [v for kind, v in found(detector, text) if kind == "STREET_ADDRESS"]
    assert any(street in v for v in addresses), found(detector, text)


def test_a_treaty_is_no_street(detector: Detector) -> None:
    text = "invoking Article 50 of the Treaty on European Union"
    assert not [v for kind, v in found(detector, text) if kind == "STREET_ADDRESS"]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("We moved here from Greenlander", "Greenlander"),
        ("on the last Sunday we returned to Deanwell by helicopter.", "Deanwell"),
        ("I'm originally from Cite Guedouala", "Cite Guedouala"),
    ],
)
def test_an_unknown_place_after_a_strong_place_word(
    detector: Detector, text: str, place: str
) -> None:
    kinds = found(detector, text)
    assert ("LOCATION", place) in kinds, kinds
    assert not [v for kind, v in kinds if kind == "PERSON"]  # the model's PERSON yields


@pytest.mark.parametrize(
    "text",
    [
        "I moved to Anna's flat last year",  # a known name
        "Visit https://example.org/help or email support@example.org.",  # lower case, a URL
        "I moved to Nassaustraat 123 last year.",  # a street: the address recognizers' own
    ],
)
def test_a_strong_place_word_takes_no_name_url_or_street(detector: Detector, text: str) -> None:
    kinds = [(f.recognizer, text[f.start : f.end]) for f in detector.detect(text, ())]
    assert not [v for r, v in kinds if r == "CuedPlaceRecognizer"], kinds


def test_a_town_after_a_street_address_is_part_of_the_address(detector: Detector) -> None:
    text = "Please use 462 Stubengraben 80 Apt. 608\nDusino San Michele, AT 31295"
    kinds = found(detector, text)
    assert ("STREET_ADDRESS", "Dusino San Michele") in kinds or any(
        kind == "STREET_ADDRESS" and "Dusino" in v for kind, v in kinds
    ), kinds
    assert not [v for kind, v in kinds if kind == "PERSON"], kinds


def test_three_surnames_after_at_are_a_firm_but_founders_are_people(detector: Detector) -> None:
    firm = found(detector, "She spent a year at Hawkins, Richardson and Barnett as a clerk.")
    assert not [v for kind, v in firm if kind in {"PERSON", "LOCATION"}], firm
    people = found(detector, "Our founders: Hawkins, Richardson and Barnett.")
    assert {"Hawkins", "Richardson", "Barnett"} <= {v for kind, v in people if kind == "PERSON"}


def test_a_name_found_once_is_that_name_elsewhere_in_the_text(detector: Detector) -> None:
    text = "Magnus spent a year as the assistant to Magnus Poulsen."
    kinds = found(detector, text)
    assert ("PERSON", "Magnus") in kinds and not [v for k, v in kinds if k == "LOCATION"], kinds
    # An address keeps its place: the street named after the person stays the address.
    text = "Magnus Poulsen lives at 12 Magnus Street, Leeds"
    assert any(k == "STREET_ADDRESS" and "Magnus Street" in v for k, v in found(detector, text))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("follow up with monika žilková in a couple of months", "monika žilková"),
        ("it was guðgeir bergsveinsson who called", "guðgeir bergsveinsson"),
    ],
)
def test_lower_case_names_with_a_surname_ending(detector: Detector, text: str, name: str) -> None:
    assert ("PERSON", name) in found(detector, text), found(detector, text)
