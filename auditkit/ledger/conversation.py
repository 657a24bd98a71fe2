"""A whole conversation as the ledger holds it: metadata plus every event record, in order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
