"""Legal holds: erasure and retention of what a hold names are refused until it is removed."""

from __future__ import annotations

from dataclasses import dataclass

from auditkit.db.engine import read_transaction
from auditkit.errors import NotFound
from auditkit.ledger.append import AppendBatch, appending
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import RecordDraft, RecordKind, format_time
from auditkit.ledger.sealing import store as sealing_store
from auditkit.ledger.sealing.cipher import ERASED
from auditkit.periods import utc_now
from auditkit.privacy import store as privacy_store
from auditkit.privacy.subjects import ErasureRefused, identifiers_of, safe_references


@dataclass(frozen=True)
class Hold:
    """A legal hold on a subject or a conversation."""

    id: int
    subject: str | None
    conversation_key: str | None
    reason: str
    created_by: str
    created_at: str


def add_hold(
    installation: Installation,
    *,
    subject: str | None = None,
    conversation: str | None = None,
    reason: str,
    actor: str | None = None,
) -> Hold:
    """Place a legal hold: erasure of what it names is refused until it is removed.

    ``actor`` is who placed it (the web's signed-in user); the settings' actor otherwise.
    """
    installation.require_schema()
    actor = actor or installation.settings.actor
    if (subject is None) == (conversation is None):
        raise ErasureRefused("a hold names exactly one of --subject or --conversation")
    if not reason.strip():
        raise ErasureRefused("a hold needs a reason (--reason)")
    with appending(installation) as batch:
        conn = batch.conn
        if conversation is not None and not batch.known_conversations([conversation]):
            raise NotFound(f"unknown conversation {conversation!r}")
        if subject is not None and not sealing_store.conversations_of_subject(conn, subject):
            raise NotFound(f"no data subject {subject!r}: no conversation has them as customer")
        now = utc_now()
        recorded, references = _hold_text(batch, installation, subject, conversation, reason)
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.LEGAL_HOLD_ADDED,
                    conversation=conversation,
                    occurred_at=now,
                    body={
                        "subject": subject,
                        "reason": recorded,
                        "references": references,
                        "actor": actor,
                    },
                )
            ]
        )
        hold_id = privacy_store.insert_hold(
            conn,
            subject=subject,
            conversation_key=conversation,
            reason=recorded,
            created_by=actor,
            created_at=format_time(now),
            hold_seq=record.seq,
        )
    return Hold(hold_id, subject, conversation, recorded, actor, format_time(now))


def remove_hold(
    installation: Installation, hold_id: int, *, reason: str, actor: str | None = None
) -> None:
    """Release a legal hold (recorded with who and why; ``actor`` as for :func:`add_hold`)."""
    installation.require_schema()
    actor = actor or installation.settings.actor
    if not reason.strip():
        raise ErasureRefused("removing a hold needs a reason (--reason)")
    with appending(installation) as batch:
        conn = batch.conn
        hold = privacy_store.hold_by_id(conn, hold_id)
        if hold is None:
            raise NotFound(f"no legal hold #{hold_id}")
        if hold["released_at"] is not None:
            raise ErasureRefused(
                f"legal hold #{hold_id} was already removed at {hold['released_at']}"
            )
        now = utc_now()
        recorded, references = _hold_text(
            batch, installation, hold["subject"], hold["conversation_key"], reason
        )
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.LEGAL_HOLD_REMOVED,
                    conversation=hold["conversation_key"],
                    occurred_at=now,
                    body={
                        "hold_seq": hold["hold_seq"],
                        # Named so the reason is sealed under the subject's key when the
                        # hold is on a subject (a conversation's hold: its customer's).
                        **({"subject": hold["subject"]} if hold["subject"] else {}),
                        "reason": recorded,
                        "references": references,
                        "actor": actor,
                    },
                )
            ]
        )
        privacy_store.release_hold(
            conn,
            hold_id=hold_id,
            released_by=actor,
            released_at=format_time(now),
            release_seq=record.seq,
        )


def _hold_text(
    batch: AppendBatch,
    installation: Installation,
    subject: str | None,
    conversation: str | None,
    reason: str,
) -> tuple[str, list[str]]:
    """The reason to record for a hold on ``subject`` (or ``conversation``'s customer), and
    the references in it that give nothing of the subject away (kept clear: the reason is
    sealed under the subject's key and reads as erased once they are).

    A subject already erased has no key to seal under, and nothing typed about them may be
    kept: the reason is recorded as erased, its references only.
    """
    if subject is None and conversation is not None:
        batch.known_conversations([conversation])
        subject = str(batch.projection.conversations[conversation]["customer"])
    master = installation.master_key()
    if subject is None or master is None:
        return reason, safe_references(reason, [subject] if subject else [])
    row = sealing_store.subject_key_rows(batch.conn, [subject]).get(subject)
    if row is not None and row.wrapped_key is None:
        return ERASED, safe_references(reason, [subject])
    keys = sealing_store.conversations_of_subject(batch.conn, subject)
    opened = load_conversations(batch.conn, keys, master=master)
    return reason, safe_references(reason, identifiers_of(opened, subject))


def list_holds(installation: Installation) -> list[Hold]:
    """Holds in force."""
    installation.require_schema()
    with read_transaction(installation.engine) as conn:
        rows = privacy_store.active_holds(conn)
    return [
        Hold(
            r["id"],
            r["subject"],
            r["conversation_key"],
            r["reason"],
            r["created_by"],
            r["created_at"],
        )
        for r in rows
    ]
