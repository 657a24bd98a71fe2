"""The street-address recognizer finds street lines, units, postal codes and introduced addresses."""

from __future__ import annotations

import pytest
from pii_helpers import found

from auditkit.pii.recognizers import StreetAddressRecognizer

RECOGNIZER = StreetAddressRecognizer()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I live at 6821 1st ave", ["6821 1st ave"]),
        (
            "ship to 710 Sunset Drive, Suite 176, Phoenix, AZ 85034",
            ["710 Sunset Drive, Suite 176, Phoenix, AZ 85034"],
        ),
        ("it's 230 Wit Rd", ["230 Wit Rd"]),
        ("19 1755 Nelson Mandela Drive", ["19 1755 Nelson Mandela Drive"]),
        ("42 N. Main St. apt 4", ["42 N. Main St. apt 4"]),
        ("Filip lives on Nassaustraat 123 street.", ["Nassaustraat 123", "123 street."]),
        ("The bus station is on Ziegelgasse 26", ["Ziegelgasse 26"]),
        ("16 48 rue Descartes", ["16 48 rue Descartes"]),
        ("ZIP: 11164", ["11164"]),
        ("postcode is SW1A 1AA", ["SW1A 1AA"]),
        ("Apt. 018", ["Apt. 018"]),
        ("my address is 63 30 N. Stadion, Ullinish", ["63 30 N. Stadion, Ullinish"]),
        (
            "Please return to 39 79 Argyll Road\nNoorderwijk, Portugal 76970 in case of an issue.",
            ["39 79 Argyll Road\nNoorderwijk, Portugal 76970"],
        ),
        ("I have 3 kids in the park", []),
        ("it took 2 days", []),
        ("keep getting address 58.74.121.78 blocked", []),
        ("Next Step Living in 1965.", []),
        ("I'm on my way", []),
    ],
)
def test_addresses_are_found(text: str, expected: list[str]) -> None:
    values = [value for kind, value in found(RECOGNIZER, text)]
    assert all(kind == "STREET_ADDRESS" for kind, _ in found(RECOGNIZER, text))
    # Overlapping patterns may both report; every expected address is one finding.
    for address in expected:
        assert address in values
    assert all(any(value in address for address in expected) for value in values)
