"""The person-context recognizer finds names from the words that introduce them."""

from __future__ import annotations

import pytest
from pii_helpers import found

from auditkit.pii.recognizers import PersonContextRecognizer

RECOGNIZER = PersonContextRecognizer()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My name is Patricia Jeknić but everyone calls me Lauren", ["Patricia Jeknić", "Lauren"]),
        ("my name is patricia brown", ["patricia brown"]),
        ("What's your last name? Krylova", ["Krylova"]),
        ("It's under my partner's name Brian Andersson", ["Brian Andersson"]),
        ("Mrs. Amy Kupcová called", ["Amy Kupcová"]),
        ("ask ms. Wijtze", ["Wijtze"]),
        ("Hi Crystal!", ["Crystal"]),
        ("Thanks, Alessandro.", ["Alessandro"]),
        ("This is Elizabeth from Harper Valley", ["Elizabeth"]),
        ("Hi there!", []),
        ("Hello Team,", []),
        ("HEY HO!", []),
        ("My name appears incorrectly on the statement", []),
        ("my name is not on the account", []),
        ("thank you so much", []),
    ],
)
def test_names_are_found_from_their_cue(text: str, expected: list[str]) -> None:
    assert [value for _, value in found(RECOGNIZER, text)] == expected
