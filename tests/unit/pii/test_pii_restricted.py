"""Restricted data in a conversation: sent by the customer, asked for by staff, echoed by staff."""

from __future__ import annotations

import pytest

from auditkit.pii.findings import Finding
from auditkit.pii.restricted import (
    RestrictedKind,
    ScannedMessage,
    classify_restricted,
    requested_types,
)

SENT = RestrictedKind.SENT_BY_CUSTOMER
ASKED = RestrictedKind.REQUESTED_BY_STAFF
ECHO = RestrictedKind.REPEATED_BY_STAFF


def message(seq: int, role: str, text: str, *found: tuple[str, str]) -> ScannedMessage:
    """A message whose findings are given as (entity type, value found in the text)."""
    findings = []
    for entity_type, value in found:
        start = text.index(value)
        findings.append(Finding(start, start + len(value), entity_type, 0.9, "test"))
    return ScannedMessage(seq=seq, role=role, text=text, findings=tuple(findings))


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (
            [
                message(
                    1,
                    "customer",
                    "card 4111 1111 1111 1111",
                    ("CREDIT_CARD", "4111 1111 1111 1111"),
                )
            ],
            [(SENT, "CREDIT_CARD", 1, (1,))],
        ),
        (
            [
                message(1, "customer", "my password is hunter2!", ("PASSWORD", "hunter2")),
                message(2, "agent", "so your password is hunter2, right?", ("PASSWORD", "hunter2")),
            ],
            [(SENT, "PASSWORD", 1, (1,)), (ECHO, "PASSWORD", 2, (1, 2))],
        ),
        (
            [
                message(1, "agent", "Can you give me the verification code we sent?"),
                message(2, "customer", "481516"),
                message(3, "agent", "Thanks, 481-516 confirmed."),
            ],
            [
                (ASKED, "ONE_TIME_CODE", 1, (1,)),
                (SENT, "ONE_TIME_CODE", 2, (1, 2)),
                (ECHO, "ONE_TIME_CODE", 3, (2, 3)),
            ],
        ),
        (
            [
                message(
                    1, "customer", "card 4111111111111111", ("CREDIT_CARD", "4111111111111111")
                ),
                message(2, "bot", "I see card 4111-1111-1111-1111 on file."),
            ],
            [(SENT, "CREDIT_CARD", 1, (1,)), (ECHO, "CREDIT_CARD", 2, (1, 2))],
        ),
        (
            # Only the last four digits echoed: allowed.
            [
                message(
                    1, "customer", "card 4111111111111111", ("CREDIT_CARD", "4111111111111111")
                ),
                message(2, "agent", "the card ending 1111?"),
            ],
            [(SENT, "CREDIT_CARD", 1, (1,))],
        ),
        (
            [message(1, "agent", "We will never ask for your password. Please don't share it.")],
            [],
        ),
        (
            [
                message(1, "agent", "What is your PIN?"),
                message(2, "customer", "I'd rather not"),
            ],
            [(ASKED, "PIN", 1, (1,))],
        ),
        (
            # A bare reply counts only right after the request.
            [
                message(1, "agent", "Please type the one-time code."),
                message(2, "customer", "which one?"),
                message(3, "customer", "123456"),
            ],
            [(ASKED, "ONE_TIME_CODE", 1, (1,))],
        ),
        (
            [
                message(1, "customer", "my PIN is 4321", ("PIN", "4321")),
                message(2, "customer", "again: 4321"),
            ],
            [(SENT, "PIN", 1, (1,))],
        ),
        (
            [message(1, "agent", "card 4111111111111111", ("CREDIT_CARD", "4111111111111111"))],
            [],
        ),
    ],
)
def test_restricted_findings_of_a_conversation(
    messages: list[ScannedMessage], expected: list[tuple[RestrictedKind, str, int, tuple[int, ...]]]
) -> None:
    got = [(r.kind, r.entity_type, r.seq, r.evidence_seqs) for r in classify_restricted(messages)]
    assert got == expected


def test_an_echo_is_located_for_redaction_without_storing_the_value() -> None:
    messages = [
        message(1, "customer", "my password is Sunshine2024", ("PASSWORD", "Sunshine2024")),
        message(2, "agent", "ok: Sunshine2024 noted"),
    ]
    echo = classify_restricted(messages)[-1]
    assert echo.kind == ECHO
    finding = echo.as_finding()
    assert finding is not None
    assert messages[1].text[finding.start : finding.end] == "Sunshine2024"
    assert "Sunshine2024" not in repr(echo)


def test_only_the_watched_types_are_reported() -> None:
    messages = [message(1, "customer", "my PIN is 4321", ("PIN", "4321"))]
    assert classify_restricted(messages, types={"PASSWORD"}) == []


@pytest.mark.parametrize(
    ("text", "types"),
    [
        ("Could you provide the full card number?", ["CREDIT_CARD"]),
        ("What's your password?", ["PASSWORD"]),
        ("please read me the 6-digit code", ["ONE_TIME_CODE"]),
        ("What is the CVV on the back?", ["CARD_CVV"]),
        ("To verify, what is your mother's maiden name?", ["SECURITY_ANSWER"]),
        ("I can reset your password for you.", []),
        ("Never share your PIN with anyone.", []),
        ("Your card number ending 4242 is on file.", []),
    ],
)
def test_staff_requests_are_recognised_from_their_wording(text: str, types: list[str]) -> None:
    assert requested_types(text) == types
