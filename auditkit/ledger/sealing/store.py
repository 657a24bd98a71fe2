"""Rows of per-subject data keys and legal holds, and the purge that erasure performs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select, update

from auditkit.ledger.store import bulk_insert
from auditkit.ledger.tables import (
    conversations,
    installation_keys,
    messages,
    participants,
    subject_keys,
)

CHUNK = 500


@dataclass(frozen=True)
class SubjectKeyRow:
    """A subject's wrapped data key (None once erased)."""

    subject: str
    wrapped_key: bytes | None
    master_key_id: str | None
    erased_at: str | None


def subject_key_rows(conn: Connection, subjects: Sequence[str]) -> dict[str, SubjectKeyRow]:
    """Key rows of ``subjects`` that exist."""
    found: dict[str, SubjectKeyRow] = {}
    unique = list(dict.fromkeys(subjects))
    for start in range(0, len(unique), CHUNK):
        part = unique[start : start + CHUNK]
        for row in conn.execute(select(subject_keys).where(subject_keys.c.subject.in_(part))):
            found[row.subject] = _key_row(row)
    return found


def all_subject_key_rows(conn: Connection) -> list[SubjectKeyRow]:
    """Every subject key row (for verification and master-key rotation)."""
    return [_key_row(row) for row in conn.execute(select(subject_keys))]


def _key_row(row: Any) -> SubjectKeyRow:
    return SubjectKeyRow(
        subject=row.subject,
        wrapped_key=bytes(row.wrapped_key) if row.wrapped_key is not None else None,
        master_key_id=row.master_key_id,
        erased_at=row.erased_at,
    )


def master_key_ids(conn: Connection) -> set[str]:
    """Ids of the master keys that wrapped the live data keys."""
    rows = conn.execute(
        select(subject_keys.c.master_key_id)
        .where(subject_keys.c.wrapped_key.is_not(None))
        .distinct()
    )
    return {key_id for (key_id,) in rows if key_id}


def insert_subject_key(
    conn: Connection, *, subject: str, wrapped_key: bytes, master_key_id: str, created_at: str
) -> None:
    """Store a new subject's wrapped data key."""
    conn.execute(
        subject_keys.insert(),
        {
            "subject": subject,
            "wrapped_key": wrapped_key,
            "master_key_id": master_key_id,
            "created_at": created_at,
        },
    )


def insert_subject_keys(
    conn: Connection, *, rows: Sequence[tuple[str, bytes]], master_key_id: str, created_at: str
) -> None:
    """Store new subjects' wrapped data keys in one statement."""
    bulk_insert(
        conn,
        subject_keys,
        ("subject", "wrapped_key", "master_key_id", "created_at"),
        [(subject, wrapped, master_key_id, created_at) for subject, wrapped in rows],
    )


def rewrap_subject_key(
    conn: Connection, *, subject: str, wrapped_key: bytes, master_key_id: str
) -> None:
    """Replace a subject's wrapped key after master-key rotation (the data key is unchanged)."""
    conn.execute(
        update(subject_keys)
        .where(subject_keys.c.subject == subject)
        .values(wrapped_key=wrapped_key, master_key_id=master_key_id)
    )


def destroy_subject_key(
    conn: Connection, *, subject: str, erased_at: str, erasure_seq: int
) -> None:
    """Crypto-shred: forget the subject's wrapped data key for good."""
    conn.execute(
        update(subject_keys)
        .where(subject_keys.c.subject == subject)
        .values(wrapped_key=None, erased_at=erased_at, erasure_seq=erasure_seq)
    )


def conversations_of_subject(conn: Connection, subject: str) -> list[str]:
    """Keys of the conversations whose customer is ``subject``."""
    rows = conn.execute(
        select(conversations.c.conversation_key)
        .where(conversations.c.customer == subject)
        .order_by(conversations.c.conversation_key)
    )
    return [key for (key,) in rows]


def purge_message_text(conn: Connection, conversation_keys: Sequence[str], erased: str) -> int:
    """Overwrite the clear text of every message and note of these conversations."""
    changed = 0
    for start in range(0, len(conversation_keys), CHUNK):
        part = list(conversation_keys[start : start + CHUNK])
        changed += conn.execute(
            update(messages).where(messages.c.conversation_key.in_(part)).values(text=erased)
        ).rowcount
    return changed


def set_participant_name(
    conn: Connection, *, conversation_key: str, participant_id: str, name: str | None
) -> None:
    """Replace a participant's name in the query table (erasure re-derives it from the log)."""
    conn.execute(
        update(participants)
        .where(
            and_(
                participants.c.conversation_key == conversation_key,
                participants.c.participant_id == participant_id,
            )
        )
        .values(name=name)
    )


def subjects_with_conversations(conn: Connection) -> list[str]:
    """Every customer subject with at least one conversation."""
    rows = conn.execute(
        select(conversations.c.customer).distinct().order_by(conversations.c.customer)
    )
    return [subject for (subject,) in rows]


def erased_subjects(conn: Connection) -> set[str]:
    """Subjects whose data key has been destroyed."""
    rows = conn.execute(select(subject_keys.c.subject).where(subject_keys.c.erased_at.is_not(None)))
    return {subject for (subject,) in rows}


def count_live_keys(conn: Connection) -> int:
    """How many data keys are still usable."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(subject_keys)
            .where(and_(subject_keys.c.wrapped_key.is_not(None)))
        ).scalar_one()
    )


def installation_key_id(conn: Connection, purpose: str) -> str | None:
    """The fingerprint of the installation's key for ``purpose`` (None: none recorded yet)."""
    value = conn.execute(
        select(installation_keys.c.key_id).where(installation_keys.c.purpose == purpose)
    ).scalar()
    return None if value is None else str(value)


def insert_installation_key(
    conn: Connection, *, purpose: str, key_id: str, created_at: str
) -> None:
    """Record the fingerprint of the installation's key for ``purpose`` (once)."""
    conn.execute(
        installation_keys.insert(),
        {"purpose": purpose, "key_id": key_id, "created_at": created_at},
    )
