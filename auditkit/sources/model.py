"""Domain values for an imported conversation, independent of its source format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from auditkit.ledger.conversation import ParticipantRole


class EventType(StrEnum):
    """The kinds of event a conversation carries; each becomes a ledger record of that kind."""

    MESSAGE = "message"
    INTERNAL_NOTE = "internal_note"
    ASSIGNMENT = "assignment"
    STATUS = "status"
    ACTION = "action"
    CONSENT = "consent"
    ESCALATION = "escalation"
    TAG = "tag"
    RESOLUTION_CODE = "resolution_code"
    CSAT = "csat"


@dataclass(frozen=True)
class Participant:
    """A person or bot taking part in a conversation."""

    id: str
    role: ParticipantRole
    name: str | None = None
    team: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Event:
    """One thing that happened in a conversation, at a time (UTC, timezone-aware).

    ``data`` holds the type-specific fields exactly as the JSONL format names them
    (e.g. ``author`` and ``text`` for a message), JSON-serialisable, without
    ``type`` and ``at``.
    """

    type: EventType
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conversation:
    """A whole conversation (all its sessions) ready to be appended to the ledger."""

    conversation_id: str
    channel: str
    customer: str
    participants: tuple[Participant, ...]
    events: tuple[Event, ...]
    intents: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    segment: str | None = None


@dataclass(frozen=True)
class SourceItem:
    """A parsed conversation with where it came from, for error messages and progress."""

    source: str
    line: int
    conversation: Conversation
