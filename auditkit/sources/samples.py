"""What ``auditkit pii`` runs on: one text, stdin, or each message of one conversation file."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from auditkit.errors import AuditkitError
from auditkit.ledger.conversation import LedgerParticipant
from auditkit.ledger.records import TEXT_KINDS
from auditkit.pii.scan import Sample
from auditkit.sources.formats import read_conversations


def sample_texts(
    text: str | None, conversation_file: Path | None, *, stdin: TextIO
) -> list[Sample]:
    """What ``auditkit pii`` runs on: one text, stdin, or each message of one conversation."""
    if conversation_file is not None:
        if text is not None:
            raise AuditkitError("give either TEXT or --conversation-file, not both")
        items = list(read_conversations(conversation_file, None))
        if len(items) != 1:
            raise AuditkitError(
                f"{conversation_file}: expected one conversation, found {len(items)}"
            )
        conversation = items[0].conversation
        people = tuple(
            LedgerParticipant(p.id, str(p.role), p.name, p.team, p.email, p.phone)
            for p in conversation.participants
        )
        return [
            (
                f"{event.type} by {event.data.get('author')} at {event.at.isoformat()}",
                str(event.data["text"]),
                people,
            )
            for event in conversation.events
            if str(event.type) in TEXT_KINDS
        ]
    if text is None or text == "-":
        text = stdin.read()
    if not text.strip():
        raise AuditkitError("no text to scan: give TEXT, - for stdin, or --conversation-file")
    return [("", text, ())]
