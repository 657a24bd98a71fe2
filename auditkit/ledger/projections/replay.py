"""Derive the query-table rows (conversations, participants, events, messages) from records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from auditkit.errors import TamperDetected
from auditkit.ledger.records import Record, RecordKind

EVENT_KINDS = frozenset(
    {
        RecordKind.MESSAGE,
        RecordKind.INTERNAL_NOTE,
        RecordKind.ASSIGNMENT,
        RecordKind.STATUS,
        RecordKind.ACTION,
        RecordKind.CONSENT,
        RecordKind.ESCALATION,
        RecordKind.TAG,
        RecordKind.RESOLUTION_CODE,
        RecordKind.CSAT,
        # A correction (e.g. a message edited at the source) is an event of its own that points
        # at the original by event key; it adds no message row, the original stays as it was.
        RecordKind.CORRECTION,
    }
)
TEXT_KINDS = frozenset({RecordKind.MESSAGE, RecordKind.INTERNAL_NOTE})

Row = dict[str, Any]


@dataclass
class Projection:
    """Projection rows built by replaying records; ``new_*`` hold what this replay added."""

    conversations: dict[str, Row] = field(default_factory=dict)
    participants: dict[tuple[str, str], Row] = field(default_factory=dict)
    new_conversations: list[str] = field(default_factory=list)
    changed_conversations: set[str] = field(default_factory=set)
    new_participants: list[Row] = field(default_factory=list)
    new_events: list[Row] = field(default_factory=list)
    new_messages: list[Row] = field(default_factory=list)

    def seed(self, conversations: Iterable[Row], participants: Iterable[Row]) -> None:
        """Start from rows already stored (for appends to known conversations)."""
        for row in conversations:
            self.conversations[row["conversation_key"]] = dict(row)
        for row in participants:
            self.participants[(row["conversation_key"], row["participant_id"])] = dict(row)

    def apply(self, record: Record) -> None:
        """Fold one record into the rows; refuses records that break the event model."""
        kind = record.kind
        if kind == RecordKind.CONVERSATION_OPENED:
            self._open(record)
        elif kind == RecordKind.PARTICIPANT_ADDED:
            self._join(record)
        elif kind in EVENT_KINDS:
            self._event(record)

    def _open(self, record: Record) -> None:
        key = _conversation_of(record)
        if key in self.conversations:
            raise TamperDetected(seq=record.seq, reason=f"conversation {key!r} opened twice")
        body = record.body
        self.conversations[key] = {
            "conversation_key": key,
            "channel": body["channel"],
            "customer": body["customer"],
            "segment": body.get("segment"),
            "opened_seq": record.seq,
            "last_seq": record.seq,
            "event_count": 0,
            "first_event_at": None,
            "last_event_at": None,
        }
        self.new_conversations.append(key)
        for person in body["participants"]:
            row = {
                "conversation_key": key,
                "participant_id": person["id"],
                "role": person["role"],
                "name": person.get("name"),
                "team": person.get("team"),
            }
            self.participants[(key, person["id"])] = row
            self.new_participants.append(row)

    def _join(self, record: Record) -> None:
        """A participant who first appears after the conversation was opened (live ingestion)."""
        key = _conversation_of(record)
        if key not in self.conversations:
            raise TamperDetected(
                seq=record.seq, reason=f"participant added to unopened conversation {key!r}"
            )
        person = record.body["participant"]
        if (key, person["id"]) in self.participants:
            raise TamperDetected(
                seq=record.seq,
                reason=f"participant {person['id']!r} added twice to conversation {key!r}",
            )
        row = {
            "conversation_key": key,
            "participant_id": person["id"],
            "role": person["role"],
            "name": person.get("name"),
            "team": person.get("team"),
        }
        self.participants[(key, person["id"])] = row
        self.new_participants.append(row)

    def _event(self, record: Record) -> None:
        key = _conversation_of(record)
        conversation = self.conversations.get(key)
        if conversation is None:
            raise TamperDetected(seq=record.seq, reason=f"event for unopened conversation {key!r}")
        conversation["last_seq"] = record.seq
        conversation["event_count"] += 1
        at = record.occurred_at
        if conversation["first_event_at"] is None or at < conversation["first_event_at"]:
            conversation["first_event_at"] = at
        if conversation["last_event_at"] is None or at > conversation["last_event_at"]:
            conversation["last_event_at"] = at
        self.changed_conversations.add(key)
        self.new_events.append(
            {"conversation_key": key, "event_key": record.body["event_key"], "seq": record.seq}
        )
        if record.kind in TEXT_KINDS:
            author = record.body["author"]
            person = self.participants.get((key, author))
            self.new_messages.append(
                {
                    "seq": record.seq,
                    "conversation_key": key,
                    "kind": record.kind,
                    "author": author,
                    "role": person["role"] if person else "unknown",
                    "at": at,
                    "text": record.body["text"],
                }
            )


def _conversation_of(record: Record) -> str:
    if not isinstance(record.conversation, str):
        raise TamperDetected(seq=record.seq, reason=f"{record.kind} record has no conversation")
    return record.conversation
