"""The interim redactor behind ``auditkit.services.review.redacted_text``, table-driven."""

from __future__ import annotations

import pytest

from auditkit.ledger.conversation import LedgerParticipant
from auditkit.services.review import redacted_text
from auditkit.services.review_redaction import Redacted, default_redactor

PEOPLE = [
    LedgerParticipant(
        "c1", "customer", "María González", None, "maria.g@example.com", "+44 7700 900123"
    ),
    LedgerParticipant("a1", "agent", "Amara Okafor", "Cards", "amara@bank.example"),
    LedgerParticipant("b1", "bot", "Nova"),
]


@pytest.mark.parametrize(
    ("text", "expected", "markers"),
    [
        ("Hello María, how are you?", "Hello [NAME], how are you?", ("NAME",)),
        ("Thanks maria gonzalez", "Thanks [NAME]", ("NAME",)),  # any case, without accents
        ("GONZÁLEZ here", "[NAME] here", ("NAME",)),
        ("Mariana called", "Mariana called", ()),  # whole words only
        (
            "mail maria.g@example.com or x.y+z@foo.co.uk",
            "mail [EMAIL] or [EMAIL]",
            ("EMAIL", "EMAIL"),
        ),
        ("call 07700 900123", "call [PHONE]", ("PHONE",)),
        ("call +44 (0)7700-900-123 now", "call [PHONE] now", ("PHONE",)),
        ("card 4111 1111 1111 1111", "card [NUMBER] [NUMBER] [NUMBER] [NUMBER]", ("NUMBER",) * 4),
        ("born 14/07/1986", "born 14/07/[NUMBER]", ("NUMBER",)),
        ("£249.99 on 01/03", "£249.99 on 01/03", ()),  # short digit runs stay
        (
            "I'm Amara from Cards, Nova passed you on",
            "I'm Amara from Cards, Nova passed you on",
            (),
        ),
        ("", "", ()),
    ],
)
def test_interim_redaction(text: str, expected: str, markers: tuple[str, ...]) -> None:
    result = redacted_text(text, participants=PEOPLE)
    assert result.text == expected
    assert sorted(result.markers) == sorted(markers)


def test_the_redactor_is_a_seam() -> None:
    class Upper:
        def redact(self, text: str, *, participants: object) -> Redacted:
            return Redacted(text.upper(), ("ALL",))

    assert redacted_text("abc", participants=PEOPLE, redactor=Upper()) == Redacted("ABC", ("ALL",))
    assert type(default_redactor()).__name__ == "InterimRedactor"
