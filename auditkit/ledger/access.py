"""Access records: who revealed, exported, reported on or downloaded what, and why.

Every service that records an access builds it here, so the body keys cannot drift apart:
``action`` (an ``AccessAction``), ``actor``, ``role`` when a signed-in user acted, and the
action's own details. It also holds the rule that finds case, ticket and request references
in the reasons of these and of erasure and hold records.
"""

from __future__ import annotations

import re
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


# A case, ticket or request reference ("case 2024-117", "ticket #A-5521", "DSAR-0042") is
# how an auditor finds the paperwork: it is kept as written, never masked as a number. The
# reference is one token (letters, digits, '-', '/', '.') right after the word, so a phone
# number written with spaces after "case" is still masked; a token that runs into an '@'
# is the start of an e-mail address, not a reference.
REFERENCE = re.compile(
    r"\b(?:case|ticket|incident|ref(?:erence)?|request|matter|d?sar)"
    r"(?:\s*(?:no\.?|number|#|:))?[\s-]*#?"
    r"(?=[A-Za-z0-9./-]*\d)[A-Za-z0-9][A-Za-z0-9./-]{0,31}\b(?![@.\w-]*@)",
    re.IGNORECASE,
)


def reason_references(reason: str) -> list[str]:
    """The case, ticket and request references in a free-text reason, as written."""
    return [match.group(0) for match in REFERENCE.finditer(reason)]
