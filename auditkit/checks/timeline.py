"""A conversation indexed once for checking: who wrote each event, its session and owner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditkit.checks.wording import normalise
from auditkit.ledger.conversation import STAFF_ROLES, LedgerConversation, LedgerEvent
from auditkit.ledger.records import RecordKind

# The body field naming who did each kind of event.
_ACTOR_FIELD = {
    "message": "author",
    "internal_note": "author",
    "action": "actor",
    "consent": "actor",
    "escalation": "by",
    "assignment": "from",
}


@dataclass(frozen=True)
class Timeline:
    """Everything rules need about a conversation's events, computed in one pass.

    Per event (by index into ``events``): the role of whoever did it, its session
    number and its ownership epoch (bumped by every assignment that changes the
    owner). Sessions are split by ``status`` events: ``session_started`` after
    anything happened, the first event after ``session_ended``, and ``reopened``
    each start a new session. Normalised message text is computed on demand once.
    """

    conversation: LedgerConversation
    events: tuple[LedgerEvent, ...]
    roles: list[str | None]
    sessions: list[int]
    epochs: list[int]
    epoch_starts: list[int | None]
    by_kind: dict[str, list[int]]
    _normalised: list[str | None] = field(repr=False)

    @classmethod
    def build(cls, conversation: LedgerConversation) -> Timeline:
        """Index ``conversation`` for checking."""
        events = conversation.events
        participants = conversation.participants
        roles: list[str | None] = []
        sessions: list[int] = []
        epochs: list[int] = []
        epoch_starts: list[int | None] = [None]
        by_kind: dict[str, list[int]] = {}
        session = 0
        session_has_events = False
        session_closed = False
        epoch = 0
        owner: Any = None
        for index, event in enumerate(events):
            kind = event.kind
            body = event.body
            actor_field = _ACTOR_FIELD.get(kind)
            # A body value is whatever was imported; looking up a missing one finds no one.
            actor: Any = body.get(actor_field) if actor_field else None
            person = participants.get(actor) if actor_field else None
            roles.append(person.role if person is not None else None)
            by_kind.setdefault(kind, []).append(index)
            if kind == RecordKind.STATUS:
                status = body.get("status")
                if status == "session_started":
                    if session_has_events or session_closed:
                        session += 1
                    session_has_events = session_closed = False
                elif status == "reopened":
                    session += 1
                    session_has_events = session_closed = False
                elif status == "session_ended":
                    session_closed = True
            elif session_closed:
                session += 1
                session_closed = False
                session_has_events = True
            else:
                session_has_events = True
            if kind == RecordKind.ASSIGNMENT:
                new_owner = body.get("to")
                if owner is not None and new_owner != owner:
                    epoch += 1
                    epoch_starts.append(index)
                owner = new_owner
            sessions.append(session)
            epochs.append(epoch)
        return cls(
            conversation=conversation,
            events=events,
            roles=roles,
            sessions=sessions,
            epochs=epochs,
            epoch_starts=epoch_starts,
            by_kind=by_kind,
            _normalised=[None] * len(events),
        )

    def indices(self, kind: str) -> list[int]:
        """Indices of the events of ``kind``, in order (empty when there are none)."""
        return self.by_kind.get(kind, [])

    @property
    def has_action_events(self) -> bool:
        """Whether the platform recorded any ``action`` event for this conversation."""
        return "action" in self.by_kind

    def seq(self, index: int) -> int:
        """The ledger seq of the event at ``index``."""
        return self.events[index].seq

    def is_staff(self, index: int) -> bool:
        """Whether the event at ``index`` was done by an agent, bot or supervisor."""
        return self.roles[index] in STAFF_ROLES

    def is_customer_message(self, index: int) -> bool:
        """Whether the event at ``index`` is a message written by the conversation's customer."""
        return self.roles[index] == "customer" and self.events[index].kind == RecordKind.MESSAGE

    def normalised(self, index: int) -> str:
        """The event's text, normalised for matching (computed once, then cached)."""
        cached = self._normalised[index]
        if cached is None:
            text = self.events[index].body.get("text")
            cached = normalise(text) if isinstance(text, str) else ""
            self._normalised[index] = cached
        return cached

    def acts(self, index: int) -> frozenset[str | None]:
        """The dialogue act names (``CONFIRM``, ``AFFIRM``, …) carried by a message."""
        acts = self.events[index].body.get("acts")
        if not acts:
            return frozenset()
        return frozenset(act.get("act") for act in acts if isinstance(act, Mapping))

    def transfer_between(self, earlier: int, later: int) -> int | None:
        """The index of the first ownership change after ``earlier`` up to ``later``, if any."""
        if self.epochs[earlier] == self.epochs[later]:
            return None
        return self.epoch_starts[self.epochs[earlier] + 1]
