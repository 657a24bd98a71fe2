"""Sampling rules: facts derived from a conversation, seeded draws, own-work-aware assignment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from auditkit.ledger.conversation import LedgerConversation, LedgerEvent, LedgerParticipant
from auditkit.review.sampling import (
    Candidate,
    Reviewer,
    SamplingMethod,
    assign,
    draw,
    facts_of,
)

START = datetime(2024, 1, 1, tzinfo=UTC)


def conversation(*events: tuple[str, dict[str, Any]]) -> LedgerConversation:
    people = {
        "c": LedgerParticipant("c", "customer"),
        "a": LedgerParticipant("a", "agent"),
        "b": LedgerParticipant("b", "agent"),
        "s": LedgerParticipant("s", "supervisor"),
        "bot": LedgerParticipant("bot", "bot"),
    }
    return LedgerConversation(
        key="k",
        channel="web_chat",
        customer="c",
        participants=people,
        events=tuple(
            LedgerEvent(seq=i + 1, kind=kind, at=START + timedelta(minutes=i), body=body)
            for i, (kind, body) in enumerate(events)
        ),
        intents=("refund", "card"),
    )


@pytest.mark.parametrize(
    ("events", "field", "expected"),
    [
        (
            [
                ("message", {"author": "a"}),
                ("message", {"author": "b"}),
                ("message", {"author": "b"}),
            ],
            "primary_agent",
            "b",
        ),
        (
            [("message", {"author": "a"}), ("message", {"author": "b"})],
            "primary_agent",
            "b",
        ),  # tie: latest
        ([("assignment", {"from": "bot", "to": "a"})], "primary_agent", "a"),
        ([("message", {"author": "c"})], "primary_agent", None),
        ([("assignment", {"from": "bot", "to": "a"})], "transferred", False),  # a bot's handoff
        ([("assignment", {"from": "a", "to": "b"})], "transferred", True),
        ([("assignment", {"from": "a", "to": "s"})], "transferred", True),
        ([("escalation", {})], "escalated", True),
        ([("status", {"status": "reopened"})], "reopened", True),
        ([("status", {"status": "resolved"})], "reopened", False),
        ([("csat", {"score": 2, "scale": 5})], "csat", 0.4),
        (
            [("csat", {"score": 9, "scale": 10}), ("csat", {"score": 1})],
            "csat",
            0.2,
        ),  # last; 5 if no scale
        (
            [("message", {"author": "c"})] * 3 + [("internal_note", {"author": "a"})],
            "message_count",
            3,
        ),
        ([("message", {"author": "c"})] * 3, "duration_seconds", 120),
        ([], "intent", "refund"),
    ],
)
def test_facts(events: list[tuple[str, dict[str, Any]]], field: str, expected: object) -> None:
    assert facts_of(conversation(*events))[field] == expected


def candidates() -> list[Candidate]:
    return [
        Candidate(
            f"k{i:02}",
            "web" if i % 3 else "app",
            f"agent{i % 4}",
            f"intent{i % 2}",
            frozenset({f"agent{i % 4}"}),
        )
        for i in range(40)
    ]


def test_a_seed_repeats_a_draw_and_another_seed_changes_it() -> None:
    first = draw(candidates(), method=SamplingMethod.RANDOM, size=10, seed="a")
    assert first == draw(
        list(reversed(candidates())), method=SamplingMethod.RANDOM, size=10, seed="a"
    )
    assert first != draw(candidates(), method=SamplingMethod.RANDOM, size=10, seed="b")
    assert len(first) == 10 and len(set(first)) == 10


@pytest.mark.parametrize(
    ("method", "size", "strata", "total"),
    [
        (SamplingMethod.BY_AGENT, 2, 4, 8),
        (SamplingMethod.BY_INTENT, 3, 2, 6),
        (SamplingMethod.BY_CHANNEL, 100, 2, 40),
        (SamplingMethod.RANDOM, 100, 1, 40),
    ],
)
def test_stratified_draws(method: SamplingMethod, size: int, strata: int, total: int) -> None:
    drawn = draw(candidates(), method=method, size=size, seed="x")
    assert len(drawn) == total


def test_assignment_balances_load_and_skips_own_work() -> None:
    drawn = candidates()[:8]
    pairs, skipped = assign(drawn, [Reviewer(1, "agent0"), Reviewer(2, "agent1")])
    assert not skipped
    for candidate, reviewer in pairs:
        own = {1: "agent0", 2: "agent1"}[reviewer]
        assert own not in candidate.staff
    loads = [sum(1 for _c, r in pairs if r == who) for who in (1, 2)]
    assert loads == [4, 4]
    pairs, skipped = assign(drawn, [Reviewer(1, "agent0")])
    assert {c.key for c in skipped} == {"k00", "k04"}
