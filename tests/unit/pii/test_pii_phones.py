"""The chat phone recognizer finds numbers in any national format when a phone word introduces them."""

from __future__ import annotations

import pytest
from pii_helpers import found

from auditkit.pii.recognizers import ChatPhoneRecognizer

RECOGNIZER = ChatPhoneRecognizer()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can someone call me on 21 212 133 2727?", ["21 212 133 2727"]),
        ("please call me at (96) 627-277", ["(96) 627-277"]),
        ("Mobile: 041-412-293", ["041-412-293"]),
        ("Desk: 986.291.2294x751", ["986.291.2294x751"]),
        ("Fax: 001-420-335-7509x38548", ["001-420-335-7509x38548"]),
        ("69 987 88 37 office", ["69 987 88 37"]),
        ("my phone number is +44 20 7946 0958", ["+44 20 7946 0958"]),
        ("call me at 5", []),
        ("phone: 12/01/2023", []),
        ("I called 3 times", []),
        ("her number is 1234567890123456789", []),
    ],
)
def test_phone_numbers_are_found_from_their_cue(text: str, expected: list[str]) -> None:
    assert [value for _, value in found(RECOGNIZER, text)] == expected
