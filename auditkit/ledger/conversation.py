"""A whole conversation as the ledger holds it: metadata plus every event record, in order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from auditkit.ledger.projections.replay import EVENT_KINDS
from auditkit.ledger.records import RecordKind


class ParticipantRole(StrEnum):
    """Who a participant is in a conversation."""

    CUSTOMER = "customer"
    AGENT = "agent"
    BOT = "bot"
    SUPERVISOR = "supervisor"


STAFF_ROLES = frozenset({ParticipantRole.AGENT, ParticipantRole.BOT, ParticipantRole.SUPERVISOR})
"""Everyone who answers for the business, the bot included (checks, restricted data)."""

HUMAN_STAFF_ROLES = frozenset({ParticipantRole.AGENT, ParticipantRole.SUPERVISOR})
"""The people among the staff: who is reviewed, coached and measured (the bot is not)."""


@dataclass(frozen=True)
class LedgerParticipant:
    """A participant of a recorded conversation (from its ``conversation.opened`` record)."""

    id: str
    role: str  # customer | agent | bot | supervisor
    name: str | None = None
    team: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class LedgerEvent:
    """One event record of a conversation: its seq (the evidence), kind, time and body.

    ``body`` holds the event's fields as imported (``author`` and ``text`` for a message,
    ``name``/``outcome``/``actor`` for an action, ``scope``/``decision`` for consent, …)
    plus ``event_key``; see docs/import-format.md.
    """

    seq: int
    kind: str
    at: datetime
    body: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LedgerConversation:
    """Everything recorded about one conversation: the unit of checking, review and reporting."""

    key: str
    channel: str
    customer: str
    participants: Mapping[str, LedgerParticipant]
    events: tuple[LedgerEvent, ...]
    intents: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    segment: str | None = None
    opened_seq: int = 0
    source: str | None = None
    """Where it came from: the ``conversation.opened`` record's ``source``."""

    @property
    def last_seq(self) -> int:
        """The newest record of this conversation (changes when events are appended)."""
        return self.events[-1].seq if self.events else self.opened_seq

    def role_of(self, participant_id: str | None) -> str | None:
        """The role of a participant id, or None when unknown."""
        if participant_id is None:
            return None
        person = self.participants.get(participant_id)
        return person.role if person else None


def participants_of(opened_body: Mapping[str, Any]) -> dict[str, LedgerParticipant]:
    """The participants a ``conversation.opened`` body names (with names, e-mails and phones
    when the body is opened), by id."""
    return {
        p["id"]: LedgerParticipant(
            id=p["id"],
            role=p["role"],
            name=p.get("name"),
            team=p.get("team"),
            email=p.get("email"),
            phone=p.get("phone"),
        )
        for p in opened_body["participants"]
    }


def conversation_from_records(
    records: Sequence[tuple[int, str, Mapping[str, Any]]],
) -> LedgerConversation:
    """Build a conversation from its records ``(seq, kind, decoded entry)`` in seq order.

    The first record must be its ``conversation.opened``; later event records follow.
    """
    seq, kind, opened = records[0]
    if kind != RecordKind.CONVERSATION_OPENED:
        raise ValueError(f"seq {seq}: a conversation starts with conversation.opened, not {kind}")
    events = tuple(
        LedgerEvent(seq=s, kind=k, at=_parse_time(entry["occurred_at"]), body=entry["body"])
        for s, k, entry in records[1:]
        if k in EVENT_KINDS
    )
    return conversation_from_opened(opened["conversation"], seq, opened["body"], events)


def conversation_from_opened(
    key: str, opened_seq: int, body: Mapping[str, Any], events: tuple[LedgerEvent, ...]
) -> LedgerConversation:
    """The conversation ``key`` its ``conversation.opened`` body (record ``opened_seq``)
    describes, holding ``events``."""
    return LedgerConversation(
        key=key,
        channel=body["channel"],
        customer=body["customer"],
        participants=participants_of(body),
        events=events,
        intents=tuple(body.get("intents") or ()),
        tags=tuple(body.get("tags") or ()),
        segment=body.get("segment"),
        opened_seq=opened_seq,
        source=body.get("source"),
    )


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
