"""Storage of privacy: legal holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, or_, select, update

from auditkit.privacy.tables import legal_holds

CHUNK = 500


def insert_hold(
    conn: Connection,
    *,
    subject: str | None,
    conversation_key: str | None,
    reason: str,
    created_by: str,
    created_at: str,
    hold_seq: int,
) -> int:
    """Record a legal hold; returns its id."""
    result = conn.execute(
        legal_holds.insert().returning(legal_holds.c.id),
        {
            "subject": subject,
            "conversation_key": conversation_key,
            "reason": reason,
            "created_by": created_by,
            "created_at": created_at,
            "hold_seq": hold_seq,
        },
    )
    return int(result.scalar_one())


def release_hold(
    conn: Connection, *, hold_id: int, released_by: str, released_at: str, release_seq: int
) -> None:
    """Mark a hold released."""
    conn.execute(
        update(legal_holds)
        .where(legal_holds.c.id == hold_id)
        .values(released_by=released_by, released_at=released_at, release_seq=release_seq)
    )


def active_holds(
    conn: Connection, *, subject: str | None = None, conversation_keys: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Holds not released that name ``subject`` or any of ``conversation_keys`` (all when none given)."""
    query = select(legal_holds).where(legal_holds.c.released_at.is_(None))
    conditions = []
    if subject is not None:
        conditions.append(legal_holds.c.subject == subject)
    if conversation_keys:
        conditions.append(legal_holds.c.conversation_key.in_(list(conversation_keys)))
    if conditions:
        query = query.where(or_(*conditions))
    return [dict(row._mapping) for row in conn.execute(query.order_by(legal_holds.c.id))]


def hold_by_id(conn: Connection, hold_id: int) -> dict[str, Any] | None:
    """One hold, released or not."""
    row = conn.execute(select(legal_holds).where(legal_holds.c.id == hold_id)).first()
    return dict(row._mapping) if row else None


def erase_hold_reasons(
    conn: Connection, *, subject: str, conversation_keys: Sequence[str], erased: str
) -> int:
    """Overwrite the reasons of the holds on ``subject`` or their conversations (erasure:
    the records keep them sealed under the subject's key); returns how many."""
    changed = int(
        conn.execute(
            update(legal_holds).where(legal_holds.c.subject == subject).values(reason=erased)
        ).rowcount
        or 0
    )
    for start in range(0, len(conversation_keys), CHUNK):
        part = list(conversation_keys[start : start + CHUNK])
        changed += int(
            conn.execute(
                update(legal_holds)
                .where(legal_holds.c.conversation_key.in_(part))
                .values(reason=erased)
            ).rowcount
            or 0
        )
    return changed


def subject_hold_seqs(conn: Connection, subject: str) -> list[int]:
    """Seqs of the records that placed and released the holds on ``subject`` itself."""
    rows = conn.execute(
        select(legal_holds.c.hold_seq, legal_holds.c.release_seq).where(
            legal_holds.c.subject == subject
        )
    )
    return sorted(int(seq) for row in rows.tuples() for seq in row if seq is not None)
