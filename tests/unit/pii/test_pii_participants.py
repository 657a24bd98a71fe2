"""The participant recognizer finds a conversation's own names, emails and phones anywhere."""

from __future__ import annotations

import pytest
from pii_helpers import found

from auditkit.ledger.conversation import LedgerParticipant
from auditkit.pii.recognizers import ParticipantRecognizer

CRYSTAL = LedgerParticipant(
    id="c1",
    role="customer",
    name="Crystal Minh",
    email="cminh730@email.com",
    phone="(977) 625-2661",
)
AGENT = LedgerParticipant(id="a1", role="agent", name="Elizabeth")
INTERNATIONAL = LedgerParticipant(id="c2", role="customer", phone="+1 415 555 0134")
WILL = LedgerParticipant(id="c3", role="customer", name="Will Hope")
NOBODY = LedgerParticipant(id="b1", role="bot")


@pytest.mark.parametrize(
    ("participants", "text", "expected"),
    [
        ([CRYSTAL], "Hi, I'm Crystal Minh.", [("PERSON", "Crystal Minh")]),
        ([CRYSTAL], "name: crystal   minh", [("PERSON", "crystal   minh")]),
        ([CRYSTAL], "CRYSTAL\nMINH", [("PERSON", "CRYSTAL\nMINH")]),
        ([CRYSTAL], "Minh, Crystal", [("PERSON", "Minh, Crystal")]),
        ([CRYSTAL], "What is your membership level Crystal?", [("PERSON", "Crystal")]),
        ([CRYSTAL], "crystalline structure", []),
        ([CRYSTAL], "cminh730@email.com", [("EMAIL_ADDRESS", "cminh730@email.com")]),
        ([CRYSTAL], "CMINH730@EMAIL.COM", [("EMAIL_ADDRESS", "CMINH730@EMAIL.COM")]),
        ([CRYSTAL], "cminh730 @ email . com", [("EMAIL_ADDRESS", "cminh730 @ email . com")]),
        ([CRYSTAL], "cminh730 at email dot com", [("EMAIL_ADDRESS", "cminh730 at email dot com")]),
        ([CRYSTAL], "xcminh730@email.com", []),
        ([CRYSTAL], "(977) 625-2661", [("PHONE_NUMBER", "(977) 625-2661")]),
        ([CRYSTAL], "call 977.625.2661 pls", [("PHONE_NUMBER", "977.625.2661")]),
        ([CRYSTAL], "it's 9776252661", [("PHONE_NUMBER", "9776252661")]),
        ([CRYSTAL], "+1 977 625 2661", [("PHONE_NUMBER", "+1 977 625 2661")]),
        ([CRYSTAL], "not hers: 977625266 or 97762526610", []),
        ([INTERNATIONAL], "reach me at 415-555-0134", [("PHONE_NUMBER", "415-555-0134")]),
        # Staff names are not the conversation's personal data: the header shows them.
        ([AGENT], "my name is elizabeth", []),
        ([WILL], "I will see, I hope", [("PERSON", "hope")]),
        (
            [CRYSTAL, AGENT],
            "Elizabeth here, hi Crystal",
            [("PERSON", "Crystal")],
        ),
        ([NOBODY], "Crystal Minh", []),
        ([], "Crystal Minh", []),
    ],
)
def test_participant_values_are_found_wherever_they_appear(
    participants: list[LedgerParticipant], text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(ParticipantRecognizer(participants), text) == expected


def test_a_full_name_scores_higher_than_one_of_its_parts() -> None:
    results = ParticipantRecognizer([CRYSTAL]).analyze("Crystal Minh", None)
    by_length = sorted(results, key=lambda r: r.end - r.start)
    assert by_length[-1].score > by_length[0].score


def test_a_participant_without_details_gives_no_patterns() -> None:
    assert ParticipantRecognizer([NOBODY]).patterns == ()
