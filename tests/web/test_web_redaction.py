"""The redaction behind ``auditkit.review.transcript.redacted_text``: the floor (interim patterns)
and the PII scan's stored findings, table-driven."""

from __future__ import annotations

import pytest

from auditkit.ledger.conversation import LedgerParticipant
from auditkit.pii.masking import FindingsRedactor, Redacted, default_redactor
from auditkit.pii.redaction import RedactionSpan
from auditkit.review.transcript import redacted_text

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
        ("born 14/07/1986", "born [DATE_TIME]", ("DATE_TIME",)),  # a date is one unit
        ("settled_on: 2024-03-20", "settled_on: 2024-03-20", ()),  # ISO dates stay whole
        ("order HH-7741055", "order [NUMBER]", ("NUMBER",)),  # the whole reference
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


# --- the PII scan's stored findings, then the floor ----------------------------------------


def _finding(start: int, end: int, entity_type: str) -> RedactionSpan:
    return RedactionSpan(start, end, entity_type)


@pytest.mark.parametrize(
    ("text", "spans", "expected", "markers"),
    [
        (
            "Sure, 14/07/1986 and SW9 8QT.",
            [_finding(6, 16, "DATE_TIME"), _finding(21, 28, "UK_POSTCODE")],
            "Sure, [DATE_TIME] and [UK_POSTCODE].",
            ("DATE_TIME", "UK_POSTCODE"),
        ),
        (
            "Ask Jonas Berg or mail maria.g@example.com",
            [_finding(4, 14, "PERSON")],
            "Ask [NAME] or mail [EMAIL]",  # the floor still masks what the scan missed
            ("NAME", "EMAIL"),
        ),
        ("a text nobody scanned, 4111 1111", [], "a text nobody scanned, [NUMBER] [NUMBER]", None),
    ],
)
def test_scan_findings_are_masked_and_the_floor_still_applies(
    text: str,
    spans: list[RedactionSpan],
    expected: str,
    markers: tuple[str, ...] | None,
) -> None:
    redactor = FindingsRedactor({text: spans} if spans else {})
    result = redacted_text(text, participants=PEOPLE, redactor=redactor)
    assert result.text == expected
    if markers is not None:
        assert sorted(result.markers) == sorted(markers)


def test_findings_apply_only_to_the_exact_text_they_were_found_in() -> None:
    redactor = FindingsRedactor({"Call Jonas Berg": [_finding(5, 15, "PERSON")]})
    assert redactor.redact("Call Jonas Berg", participants=PEOPLE).text == "Call [NAME]"
    assert redactor.redact("Call Jonas Berg!", participants=PEOPLE).text == "Call Jonas Berg!"
