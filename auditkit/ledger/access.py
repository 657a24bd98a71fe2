"""Access records: who revealed, exported, reported on or downloaded what, and why.

Every service that records an access builds it here, so the body keys cannot drift apart:
``action`` (an ``AccessAction``), ``actor``, ``role`` when a signed-in user acted, and the
action's own details.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from auditkit.ledger.records import RecordDraft, RecordKind


class AccessAction(StrEnum):
    """What an ``access`` record says was done with personal data."""

    REVEAL = "reveal"
    EXPORT = "export"
    REPORT = "report"
    DOWNLOAD = "download"


def access_record(
    action: AccessAction,
    *,
    actor: str,
    occurred_at: datetime,
    role: str | None = None,
    conversation: str | None = None,
    **details: Any,
) -> RecordDraft:
    """The ``access`` record of one action (``details`` are the action's own body keys)."""
    body: dict[str, Any] = {"action": str(action), "actor": actor, **details}
    if role is not None:
        body["role"] = role
    return RecordDraft(
        kind=RecordKind.ACCESS, conversation=conversation, occurred_at=occurred_at, body=body
    )
