"""Issue 17, fourth pass: an address's town, region, postcode and country after its street,
street-type words, countries, the name line of an address label, firms, places by their
own words and phone words after a number; each with the case it must not take."""

from __future__ import annotations

import pytest

from auditkit.pii import DetectorConfig, build_detector
from auditkit.pii.detection.detector import Detector
from auditkit.pii.recognizers.places import COUNTRIES


@pytest.fixture(scope="module")
def detector() -> Detector:
    return build_detector(DetectorConfig())


def found(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in detector.detect(text, ())]


def test_every_country_is_one_clean_name() -> None:
    # The list once kept the spaces of its line ends: "Germany", "Portugal" … never matched.
    assert all(name == " ".join(name.split()) for name in COUNTRIES)
    assert {"Germany", "Portugal", "Mauritius", "South Africa", "Iceland"} <= set(COUNTRIES)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("my address is 22 larch road leeds ls6 2ju", "22 larch road leeds ls6 2ju"),
        ("It's 22 Larch Road, Leeds, LS6 2JU thanks", "22 Larch Road, Leeds, LS6 2JU"),
        (
            "The letter arrived at 636 1812 Rue De La Gare\n Apt. 271\n St Felicien\n"
            " Canada 36523 last night.",
            "636 1812 Rue De La Gare\n Apt. 271\n St Felicien\n Canada 36523",
        ),
        ("Sure, 22 Larch Road\nLeeds\nThanks, John", "22 Larch Road\nLeeds"),
        ("Prodi lives on Borgo Cristina, 44 street.", "Borgo Cristina, 44"),
        ("the same: Jarčeva ulica 3c", "Jarčeva ulica 3c"),
        ("Meet me at Soseaua Eftimie Nr. 901", "Soseaua Eftimie Nr. 901"),
        ("Meet me at 835 Siper Ramp", "835 Siper Ramp"),
        ("I'd like it to be sent to Goljak 64", "Goljak 64"),
    ],
)
def test_address_with_its_town_and_street_types(
    detector: Detector, text: str, address: str
) -> None:
    streets = [v for kind, v in found(detector, text) if kind == "STREET_ADDRESS"]
    assert any(address in street for street in streets), found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "I live at 5 Main Street and I like it",  # the sentence goes on: no town
        "I will send it via Email 3 times",
        "please send it to my mum 2 days from now",
    ],
)
def test_address_stops_at_the_sentence(detector: Detector, text: str) -> None:
    streets = [v for kind, v in found(detector, text) if kind == "STREET_ADDRESS"]
    assert streets in ([], ["5 Main Street"]), streets


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            ">Gyala Antall\n>Google Public Data Explorer\n>Gyala Antall\n>3369 24 Clarke Avenue"
            "\n>Apt. 805\n>Pines Beach\n>New Zealand 34694",
            "Gyala Antall",
        ),
        ("Marica Antić\nWeber-Santana\nBijenička 3b\nMobile: 099 1197 595", "Marica Antić"),
        (
            "Einojuhani Pyysalo\n\nLocal transit bus driver\n\nPersonal Info:\nPhone:\n201-948-1927",
            "Einojuhani Pyysalo",
        ),
        ("I want to add Taneli Muhonen as a beneficiary to my account", "Taneli Muhonen"),
    ],
)
def test_label_and_beneficiary_names(detector: Detector, text: str, name: str) -> None:
    assert ("PERSON", name) in found(detector, text), found(detector, text)


def test_a_company_line_under_the_name_is_no_name(detector: Detector) -> None:
    text = "Allan Bjork\nScale Unlimited\nUnit 5022 Box 1225\nDPO AE 44085\nMobile: 0688 843 79 56"
    names = [v for kind, v in found(detector, text) if kind == "PERSON"]
    assert "Allan Bjork" in names and "Scale Unlimited" not in names, names


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("My friend lives in North Michael", "North Michael"),
        ("We went back to Lake Ben last summer", "Lake Ben"),
        ("Who is coming to Mauritius with me?", "Mauritius"),
        ("ALFRICK\nUNITED KINGDOM", "UNITED KINGDOM"),
    ],
)
def test_places_by_their_own_words(detector: Detector, text: str, place: str) -> None:
    assert ("LOCATION", place) in found(detector, text), found(detector, text)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("I work for Flightstats", "Flightstats"),
        ("Thomas and Sons is a Brazilian investment bank", "Thomas"),
        ("Galorath Incorporated is the brainchild of our founders", "Galorath Incorporated"),
        ("while studying English and journalism", "English"),
        ("I met Dr. Lake Smith", "Lake Smith"),
    ],
)
def test_firms_and_languages_are_no_names(detector: Detector, text: str, word: str) -> None:
    kinds = {kind for kind, v in found(detector, text) if v == word}
    if word == "Lake Smith":
        assert kinds == {"PERSON"}, found(detector, text)  # a title keeps the person
    else:
        assert "PERSON" not in kinds, found(detector, text)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("(37) 788-063-Office\\,07700 063 966-Fax", "(37) 788-063"),
        ("21 253 109 8211-Office", "21 253 109 8211"),
        ("didn't get any message on my registered 668 5702. Could you", "668 5702"),
    ],
)
def test_phone_words_after_the_number(detector: Detector, text: str, phone: str) -> None:
    assert ("PHONE_NUMBER", phone) in found(detector, text), found(detector, text)
