"""What erasure and legal holds know of a subject's free text: who they are known as, which
references in a reason are safe to keep clear, which records the log holds in clear."""

from __future__ import annotations

import json
from collections.abc import Sequence

from auditkit.db import Connection
from auditkit.errors import AuditkitError
from auditkit.ledger import store as ledger_store
from auditkit.ledger.access import reason_references
from auditkit.ledger.conversation import LedgerConversation
from auditkit.ledger.sealing.cipher import ERASED, holds_clear_personal
from auditkit.privacy import store as privacy_store


class ErasureRefused(AuditkitError):
    """An erasure cannot be carried out (legal hold, already erased, sealing off)."""


def safe_references(reason: str, identifiers: Sequence[str]) -> list[str]:
    """The references in ``reason`` (``ledger.access.reason_references``) that give away
    none of the subject's identifiers (their id, a declared name, e-mail or phone)."""
    known = [i.casefold() for i in identifiers if len(i) >= 4]
    digits = ["".join(c for c in i if c.isdigit()) for i in identifiers]
    safe = []
    for reference in reason_references(reason):
        folded = reference.casefold()
        number = "".join(c for c in reference if c.isdigit())
        if any(i in folded or folded in i for i in known):
            continue
        if len(number) >= 4 and any(number in d for d in digits if d):
            continue
        safe.append(reference)
    return safe


def clear_in_log(conn: Connection, subject: str, conversations: Sequence[str]) -> list[int]:
    """Seqs of the subject's records whose personal content the log holds in clear: written
    with sealing off, or before their kind's free text was sealed (staff text before issue
    20, hold reasons before this version). Append-only: they cannot be rewritten, so the
    erasure names them (see docs/architecture.md, "Erasure of free text")."""
    found = [
        seq
        for records in ledger_store.conversation_records(conn, conversations).values()
        for seq, kind, entry in records
        if holds_clear_personal(kind, json.loads(entry).get("body", {}))
    ]
    for stored in ledger_store.entries_by_seq(conn, privacy_store.subject_hold_seqs(conn, subject)):
        if stored.conversation_key is None and holds_clear_personal(
            stored.kind, json.loads(stored.entry).get("body", {})
        ):
            found.append(stored.seq)
    return sorted(set(found))


def identifiers_of(conversations: Sequence[LedgerConversation], subject: str) -> tuple[str, ...]:
    """The subject's id and the names, e-mails and phones their conversations declared."""
    found = {subject}
    for conversation in conversations:
        person = conversation.participants.get(subject)
        if person is None:
            continue
        found.update(v for v in (person.name, person.email, person.phone) if v and v != ERASED)
    return tuple(sorted(found))


def names_of(conversations: Sequence[LedgerConversation], subject: str) -> tuple[str, ...]:
    """The names the subject was declared under in their conversations."""
    found = set()
    for conversation in conversations:
        person = conversation.participants.get(subject)
        if person is not None and person.name and person.name != ERASED:
            found.add(person.name)
    return tuple(sorted(found))
