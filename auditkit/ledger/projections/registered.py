"""The ledger's own projections (conversations, participants and staff, events,
messages), registered."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from auditkit.ledger.projections.registry import ProjectionSource, Row, register_projection
from auditkit.ledger.projections.replay import Projection
from auditkit.ledger.projections.staff_store import staff_rows_of
from auditkit.ledger.records import Record


class ConversationRebuilder:
    """Replays every record into the conversation projection's rows."""

    def __init__(self) -> None:
        self.projection = Projection()

    def apply(self, record: Record) -> None:
        """Add one record (in seq order) to what the tables should hold."""
        self.projection.apply(record)

    def rows(self) -> Mapping[str, Iterable[Row]]:
        """The expected rows of each conversation table."""
        projection = self.projection
        return {
            "conversations": projection.conversations.values(),
            "participants": projection.participants.values(),
            "staff_participants": staff_rows_of(projection.participants.values()),
            "conversation_events": projection.new_events,
            "messages": projection.new_messages,
        }


register_projection(
    ProjectionSource(
        feature="ledger",
        primary_keys={
            "conversations": ("conversation_key",),
            "participants": ("conversation_key", "participant_id"),
            "staff_participants": ("participant_id", "role", "name", "team"),
            "conversation_events": ("conversation_key", "event_key"),
            "messages": ("seq",),
        },
        rebuilder=ConversationRebuilder,
    )
)
