"""Redaction replaces every character of every finding with a type placeholder."""

from __future__ import annotations

import pytest

from auditkit.pii.findings import Finding
from auditkit.pii.redaction import placeholder, redact, redaction_spans


def f(start: int, end: int, entity_type: str, score: float = 0.8) -> Finding:
    return Finding(start, end, entity_type, score, "test")


@pytest.mark.parametrize(
    ("text", "findings", "expected"),
    [
        ("no personal data", [], "no personal data"),
        ("card 4111111111111111 ok", [f(5, 21, "CREDIT_CARD")], "card [CREDIT_CARD] ok"),
        (
            "mail a@b.com now",
            [f(5, 12, "EMAIL_ADDRESS", 1.0), f(7, 12, "URL", 0.5)],
            "mail [EMAIL] now",
        ),
        (
            "call 212-555-0199",
            [f(5, 17, "PHONE_NUMBER", 0.4), f(5, 17, "UK_NHS", 1.0)],
            "call [UK_NHS]",
        ),
        # Partial overlap: the union is hidden, labelled by the most confident finding.
        ("abcdefgh", [f(0, 5, "A", 0.6), f(3, 8, "B", 0.9)], "[B]"),
        # Equal scores: the longer finding names the span.
        ("abcdefgh", [f(0, 8, "LONG", 0.8), f(2, 4, "SHORT", 0.8)], "[LONG]"),
        ("John Smith", [f(0, 4, "PERSON"), f(5, 10, "PERSON")], "[NAME] [NAME]"),
        ("ab", [f(0, 1, "X"), f(1, 2, "Y")], "[X][Y]"),
        ("short", [f(2, 40, "X")], "sh[X]"),
        ("empty", [f(2, 2, "X")], "empty"),
    ],
)
def test_findings_are_replaced_by_placeholders(
    text: str, findings: list[Finding], expected: str
) -> None:
    assert redact(text, findings) == expected


def test_overlapping_findings_become_one_disjoint_span() -> None:
    spans = redaction_spans([f(0, 5, "A", 0.6), f(3, 8, "B", 0.9), f(10, 12, "C")])
    assert [(s.start, s.end, s.entity_type) for s in spans] == [(0, 8, "B"), (10, 12, "C")]


def test_a_placeholder_names_the_type() -> None:
    assert placeholder("CREDIT_CARD") == "[CREDIT_CARD]"
    assert placeholder("PERSON") == "[NAME]"
