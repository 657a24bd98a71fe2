"""Conversation metrics: the definitions of docs/metrics.md, and the query table kept current."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from auditkit.ledger.conversation import LedgerConversation, LedgerEvent, LedgerParticipant
from auditkit.ledger.installation import Installation
from auditkit.metrics.measures import compute_metrics, is_acknowledgement
from auditkit.metrics.refresh import refresh_metrics
from auditkit.metrics.tables import conversation_metrics

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
PEOPLE = {
    "cust": LedgerParticipant("cust", "customer", "Ana Pereira"),
    "bot": LedgerParticipant("bot", "bot", "Nova"),
    "sam": LedgerParticipant("sam", "agent", "Sam"),
    "kim": LedgerParticipant("kim", "agent", "Kim"),
    "sup": LedgerParticipant("sup", "supervisor", "Helen"),
}


def conversation(*events: tuple[int, str, dict[str, Any]]) -> LedgerConversation:
    """A conversation of (seconds after T0, kind, body) events."""
    return LedgerConversation(
        key="c1",
        channel="web_chat",
        customer="cust",
        participants=PEOPLE,
        events=tuple(
            LedgerEvent(seq=i + 1, kind=kind, at=T0 + timedelta(seconds=s), body=body)
            for i, (s, kind, body) in enumerate(events)
        ),
    )


def say(author: str, text: str) -> tuple[str, dict[str, Any]]:
    return "message", {"author": author, "text": text}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks for contacting NorthBank, an agent will be with you shortly.", True),
        ("Hi Ana, thank you for your message.", True),
        ("We have received your request.", True),
        ("Please hold on.", True),
        ("Your ticket number is 55120.", True),
        ("Hi Ana, I've refunded the duplicate charge of £249.99.", False),
        ("Thanks for waiting. I can see two payments to Lumen; I'll reverse one now.", False),
        ("Could you confirm your date of birth?", False),
    ],
)
def test_acknowledgements_are_canned_holding_replies_only(text: str, expected: bool) -> None:
    assert is_acknowledgement(text) is expected


def test_first_meaningful_response_skips_bots_and_acknowledgements() -> None:
    metrics = compute_metrics(
        conversation(
            (0, *say("bot", "Hi, what can I help with?")),
            (10, *say("cust", "I was charged twice")),
            (12, *say("bot", "Let me find someone")),
            (30, *say("sam", "Thanks for contacting us, an agent will be with you shortly.")),
            (95, *say("sam", "I can see both payments, I'll refund one.")),
        )
    )
    assert metrics.first_meaningful_response_seconds == 85


def test_resolution_spans_sessions_and_reopens_count() -> None:
    metrics = compute_metrics(
        conversation(
            (0, "status", {"status": "session_started"}),
            (5, *say("cust", "Where is my refund?")),
            (60, *say("sam", "It was sent today.")),
            (70, "status", {"status": "resolved"}),
            (80, "status", {"status": "session_ended"}),
            (3600, "status", {"status": "reopened"}),
            (3600, "status", {"status": "session_started"}),
            (3700, "assignment", {"from": "sam", "to": "kim"}),
            (3800, "escalation", {"by": "kim", "to": "disputes"}),
            (3900, "status", {"status": "resolved"}),
            (3950, "csat", {"score": 4, "scale": 5}),
        )
    )
    assert metrics.sessions == 2
    assert metrics.reopens == 1
    assert metrics.transfers == 1
    assert metrics.escalations == 1
    assert metrics.resolved and metrics.resolution_seconds == 3900
    assert metrics.csat == pytest.approx(0.8)
    assert not metrics.contained


@pytest.mark.parametrize(
    ("events", "contained"),
    [
        ([say("cust", "balance?"), say("bot", "£412"), ("status", {"status": "resolved"})], True),
        ([say("cust", "balance?"), say("bot", "£412")], False),  # never resolved
        (
            [
                say("cust", "balance?"),
                ("assignment", {"from": "bot", "to": "sam"}),
                ("status", {"status": "resolved"}),
            ],
            False,  # handed to a human, even one who said nothing
        ),
        ([say("cust", "hi"), say("sup", "Hello"), ("status", {"status": "resolved"})], False),
    ],
    ids=["bot-resolved", "unresolved", "handed-off", "supervisor-spoke"],
)
def test_containment_means_resolved_with_no_human_agent(
    events: list[tuple[str, dict[str, Any]]], contained: bool
) -> None:
    metrics = compute_metrics(
        conversation(*((i, kind, body) for i, (kind, body) in enumerate(events)))
    )
    assert metrics.contained is contained


def test_a_bot_handoff_is_not_a_transfer_and_a_reopen_unresolves() -> None:
    metrics = compute_metrics(
        conversation(
            (0, "assignment", {"from": None, "to": "bot"}),
            (1, "assignment", {"from": "bot", "to": "sam"}),
            (2, "status", {"status": "resolved"}),
            (3, "status", {"status": "reopened"}),
        )
    )
    assert metrics.transfers == 0
    assert not metrics.resolved and metrics.resolution_seconds is None
    assert metrics.sessions == 1  # no session markers: the conversation is one session


def test_the_metrics_table_follows_the_log(demo: Installation) -> None:
    assert refresh_metrics(demo) == 0  # the import refreshed every conversation already
    with demo.engine.connect() as conn:
        rows = {r.conversation_key: r for r in conn.execute(select(conversation_metrics))}
    assert len(rows) == 12
    bot_only = rows["hh-2024-55120"]
    assert bot_only.contained and bot_only.first_response_seconds is None
    disputed = rows["nb-2024-10431"]
    assert not disputed.contained and disputed.first_response_seconds is not None
    assert rows["hh-2024-55187"].reopens >= 1
