"""The recall and precision rules of issue 17, on the issue's own examples and the demo data.

Each case runs the full default detector (spaCy, every recognizer, the refinement rules)
with the demo conversation's participants, as ``auditkit scan`` does.
"""

from __future__ import annotations

import pytest

from auditkit.ledger.conversation import LedgerParticipant
from auditkit.pii import DetectorConfig, build_detector
from auditkit.pii.detection.detector import Detector
from auditkit.pii.recognizers.cards import luhn_valid

MARIA = LedgerParticipant(
    "cust-maria-gonzalez",
    "customer",
    "María González",
    None,
    "maria.gonzalez@example.com",
    "+44 7700 900123",
)
NOVA = LedgerParticipant("bot-nova", "bot", "Nova", "Virtual Assistant")
AMARA = LedgerParticipant(
    "agent-amara", "agent", "Amara Okafor", "Cards", "amara.okafor@northbank.example"
)
DEMO = (MARIA, NOVA, AMARA)


@pytest.fixture(scope="module")
def detector() -> Detector:
    return build_detector(DetectorConfig())


def found(
    detector: Detector, text: str, people: tuple[LedgerParticipant, ...] = DEMO
) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in detector.detect(text, people)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Sure, 14/07/1986 and SW9 8QT.", "SW9 8QT"),
        ("it's bs1 4dj", "bs1 4dj"),
        ("22 Larch Road, Leeds LS6 2JU", "LS6 2JU"),
        ("postcode LS62JU please", "LS62JU"),
        ("ines.duarte@example.org, 1200-195", "1200-195"),
        ("Artilleros\n, CO 64677", "CO 64677"),
        ("Meet me at PSC 1437, Box 3833\nAPO AA 66791", "PSC 1437, Box 3833\nAPO AA 66791"),
    ],
)
def test_postcodes_in_uk_us_and_eu_forms_are_addresses(
    detector: Detector, text: str, value: str
) -> None:
    addresses = [v for kind, v in found(detector, text) if kind == "STREET_ADDRESS"]
    assert any(value in v for v in addresses), found(detector, text)


def test_an_address_block_is_one_address(detector: Detector) -> None:
    text = "Billing address: Ana Dias\n    31401 ul. Słowicza 10 Apt. 360\n   Wrocław\n    53-320"
    addresses = [v for kind, v in found(detector, text, ()) if kind == "STREET_ADDRESS"]
    assert any("Słowicza 10" in v and "Wrocław" in v and "53-320" in v for v in addresses)


def test_luhn_valid_cards_in_a_payment_context_are_cards(detector: Detector) -> None:
    number = "4131034282458809939"  # a 19-digit number stock Presidio does not match
    assert luhn_valid(number) and not luhn_valid("4131034282458809938")
    assert ("CREDIT_CARD", number) in found(detector, f"My card {number} is expiring", ())
    assert ("CREDIT_CARD", "501864667909") in found(detector, "limit for card 501864667909?", ())
    # Without a payment word a Luhn-valid number is not called a card.
    assert not any(k == "CREDIT_CARD" for k, _ in found(detector, "ticket 4131034282458809939"))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Scott is a very sympathetic person.", "Scott"),
        ("They had 6: Gaetane, Hannah, Derek and Andrew.", "Derek"),
        ("follow up with patricia smith next week", "patricia smith"),
        ("I want to add Irenke Sörös as a beneficiary", "Irenke Sörös"),
        ("Thanks,\nJohn", "John"),
        ("hi, this is maría", "maría"),  # the customer, in lower case
    ],
)
def test_names_without_capitals_in_lists_and_non_english_are_found(
    detector: Detector, text: str, name: str
) -> None:
    assert ("PERSON", name) in found(detector, text), found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "Hi, I'm Nova, NorthBank's virtual assistant. What can I help you with today?",
        "Sorry to hear that. Disputes need one of our card specialists, I'm connecting you now.",
        "Handoff: customer reports duplicate card payment to Lumen Electronics.",
        "Hello, I'm Amara from the Cards team.",
        "Discipline is what the team needs.",
        "The courier left it on Waechter Turnpike.",
    ],
)
def test_staff_bot_team_and_support_words_are_not_names(detector: Detector, text: str) -> None:
    assert not [v for kind, v in found(detector, text) if kind in {"PERSON", "NRP"}]


def test_a_customer_is_masked_even_in_a_staff_message(detector: Detector) -> None:
    assert ("PERSON", "María") in found(detector, "Hello María, I'm Amara from the Cards team.")


def test_booking_references_are_not_one_time_codes(detector: Detector) -> None:
    kinds = found(detector, "Your booking is confirmed, the code M20IZO.", ())
    assert ("ORDER_NUMBER", "M20IZO") in kinds
    assert not any(kind == "ONE_TIME_CODE" for kind, _ in kinds)
    assert ("ONE_TIME_CODE", "481516") in found(detector, "my verification code is 481516", ())


def test_an_ip_address_is_not_a_phone(detector: Detector) -> None:
    kinds = found(detector, "my IP is 192.168.10.21", ())
    assert kinds == [("IP_ADDRESS", "192.168.10.21")]
