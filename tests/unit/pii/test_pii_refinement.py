"""The full detector's drop rules remove what stock recognizers get wrong, and nothing else."""

from __future__ import annotations

import pytest

from auditkit.pii.detection.refinement import DROP_RULES, refine
from auditkit.pii.findings import Finding

NER = "SpacyRecognizer"


def at(
    text: str, value: str, entity_type: str, recognizer: str = NER, score: float = 0.85
) -> Finding:
    start = text.index(value)
    return Finding(start, start + len(value), entity_type, score, recognizer)


@pytest.mark.parametrize(
    ("text", "findings", "kept"),
    [
        ("it took 7 days", [("7 days", "DATE_TIME", NER, 0.85)], []),
        ("zip 75227", [("75227", "DATE_TIME", NER, 0.85)], []),
        ("born on 12/27/1986", [("12/27/1986", "DATE_TIME", NER, 0.85)], ["12/27/1986"]),
        ("On 29 March 2017 we met", [("29 March 2017", "DATE_TIME", NER, 0.85)], ["29 March 2017"]),
        ("due March 2017", [("March 2017", "DATE_TIME", NER, 0.85)], ["March 2017"]),
        ("in November", [("November", "DATE_TIME", NER, 0.85)], []),
        # The rule is about spaCy's DATE only; Presidio's date patterns stay.
        ("it took 7 days", [("7 days", "DATE_TIME", "DateRecognizer", 0.6)], ["7 days"]),
        ("call +1-944", [("+1-944", "NRP", NER, 0.85)], []),
        ("expiry 09/27", [("expiry 09/27", "PERSON", NER, 0.85)], []),
        ("mail a@b.com", [("a@b.com", "PERSON", NER, 0.85)], []),
        (
            "mail a@b.com",
            [
                ("a@b.com", "EMAIL_ADDRESS", "EmailRecognizer", 1.0),
                ("b.com", "URL", "UrlRecognizer", 0.5),
            ],
            ["a@b.com"],
        ),
        (
            "at 19 1755 Nelson Mandela Drive",
            [
                ("19 1755 Nelson Mandela Drive", "STREET_ADDRESS", "StreetAddressRecognizer", 0.7),
                ("Nelson Mandela Drive", "PERSON", NER, 0.85),
                ("19 1755", "PHONE_NUMBER", "PhoneRecognizer", 0.4),
            ],
            ["19 1755 Nelson Mandela Drive"],
        ),
        (
            "Alessandro Phoenix",
            [
                ("Alessandro Phoenix", "PERSON", "ParticipantRecognizer", 0.95),
                ("Phoenix", "LOCATION", NER, 0.85),
            ],
            ["Alessandro Phoenix"],
        ),
        (
            "Order ID: 3348917502",
            [
                ("3348917502", "ORDER_NUMBER", "NumberPatternRecognizer:ORDER_NUMBER", 1.0),
                ("3348917502", "PHONE_NUMBER", "PhoneRecognizer", 0.4),
            ],
            ["3348917502"],
        ),
        (
            # A phone libphonenumber is sure of (context raised it) stays.
            "order 3348917502, phone 3348917502",
            [("3348917502", "PHONE_NUMBER", "PhoneRecognizer", 0.75)],
            ["3348917502"],
        ),
        (
            "call 212-555-0199",
            [
                ("212-555-0199", "PHONE_NUMBER", "PhoneRecognizer", 0.4),
                ("212-555-0199", "UK_NHS", "NhsRecognizer", 1.0),
            ],
            ["212-555-0199"],
        ),
        (
            "NHS number 212-555-0199",
            [
                ("212-555-0199", "PHONE_NUMBER", "PhoneRecognizer", 0.4),
                ("212-555-0199", "UK_NHS", "NhsRecognizer", 1.0),
            ],
            ["212-555-0199", "212-555-0199"],
        ),
    ],
)
def test_rules_drop_only_what_they_say(
    text: str, findings: list[tuple[str, str, str, float]], kept: list[str]
) -> None:
    given = [
        at(text, value, kind, recognizer, score) for value, kind, recognizer, score in findings
    ]
    assert [text[f.start : f.end] for f in refine(given, text)] == kept


def test_every_rule_says_why() -> None:
    assert all(rule.reason and rule.name for rule in DROP_RULES)
    assert len({rule.name for rule in DROP_RULES}) == len(DROP_RULES)
