"""Storage of privacy: legal holds and erasure requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select, update

from auditkit.ledger.tables import subject_keys
from auditkit.privacy.tables import erasure_requests, legal_holds, retention_facts

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


def insert_erasure_request(
    conn: Connection,
    *,
    subject: str,
    reason: str,
    requested_by: str,
    requested_at: str,
    request_seq: int,
) -> int:
    """Record a pending erasure request; returns its id."""
    result = conn.execute(
        erasure_requests.insert().returning(erasure_requests.c.id),
        {
            "subject": subject,
            "reason": reason,
            "status": "pending",
            "requested_by": requested_by,
            "requested_at": requested_at,
            "request_seq": request_seq,
        },
    )
    return int(result.scalar_one())


def erasure_request(conn: Connection, request_id: int) -> dict[str, Any] | None:
    """One erasure request, whatever its status."""
    row = conn.execute(select(erasure_requests).where(erasure_requests.c.id == request_id)).first()
    return dict(row._mapping) if row else None


def open_requests_of(conn: Connection, subject: str) -> list[dict[str, Any]]:
    """The subject's requests still pending or approved (not yet carried out)."""
    query = select(erasure_requests).where(
        erasure_requests.c.subject == subject,
        erasure_requests.c.status.in_(("pending", "approved")),
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def erasure_requests_by_status(
    conn: Connection, statuses: Sequence[str], *, limit: int
) -> list[dict[str, Any]]:
    """Requests with one of ``statuses``, newest first."""
    query = (
        select(erasure_requests)
        .where(erasure_requests.c.status.in_(list(statuses)))
        .order_by(erasure_requests.c.id.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def decide_erasure_request(
    conn: Connection,
    request_id: int,
    *,
    status: str,
    decided_by: str,
    decided_at: str,
    decision_seq: int,
    note: str | None,
) -> bool:
    """Approve or reject a pending request; False when it was no longer pending."""
    result = conn.execute(
        update(erasure_requests)
        .where(erasure_requests.c.id == request_id, erasure_requests.c.status == "pending")
        .values(
            status=status,
            decided_by=decided_by,
            decided_at=decided_at,
            decision_seq=decision_seq,
            decision_note=note,
        )
    )
    return result.rowcount == 1


def mark_carried_out(
    conn: Connection, request_id: int, *, by: str, at: str, erasure_seq: int
) -> bool:
    """Mark an approved request carried out; False when it was not (or no longer) approved."""
    result = conn.execute(
        update(erasure_requests)
        .where(erasure_requests.c.id == request_id, erasure_requests.c.status == "approved")
        .values(status="carried_out", carried_out_by=by, carried_out_at=at, erasure_seq=erasure_seq)
    )
    return result.rowcount == 1


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


def erase_request_reasons(conn: Connection, *, subject: str, erased: str) -> int:
    """Overwrite the reasons and decision notes of ``subject``'s erasure requests (erasure:
    the request records keep them sealed under the subject's key); returns how many."""
    result = conn.execute(
        update(erasure_requests)
        .where(erasure_requests.c.subject == subject)
        .values(reason=erased, decision_note=erased)
    )
    return int(result.rowcount or 0)


def subject_hold_seqs(conn: Connection, subject: str) -> list[int]:
    """Seqs of the records that placed and released the holds on ``subject`` itself."""
    rows = conn.execute(
        select(legal_holds.c.hold_seq, legal_holds.c.release_seq).where(
            legal_holds.c.subject == subject
        )
    )
    return sorted(int(seq) for row in rows.tuples() for seq in row if seq is not None)


# --- retention facts -------------------------------------------------------------------------


def retention_combinations(conn: Connection) -> list[tuple[str, str]]:
    """Every (channel, intents JSON list) of the retention facts: what a rule can match on."""
    table = retention_facts
    query = select(table.c.channel, table.c.intents).distinct()
    return [(channel, intents) for channel, intents in conn.execute(query).tuples()]


def retention_subjects(
    conn: Connection, cutoffs: Mapping[tuple[str, str], str]
) -> tuple[list[str], int]:
    """The subjects not erased whose every conversation closed at or before the cutoff of its
    (channel, intents) in ``cutoffs`` (a conversation of another combination, or still open,
    keeps its subject), sorted; and how many subjects not erased there are. Grouped by
    subject in SQL: one row per subject due, not one per conversation."""
    table = retention_facts
    erased = select(subject_keys.c.subject).where(subject_keys.c.erased_at.is_not(None))
    live = table.c.customer.not_in(erased)
    subjects = select(func.count(table.c.customer.distinct())).where(live)
    total = int(conn.execute(subjects).scalar_one())
    if not cutoffs:
        return [], total
    cutoff = case(
        *(
            (and_(table.c.channel == channel, table.c.intents == intents), moment)
            for (channel, intents), moment in sorted(cutoffs.items())
        ),
        else_=None,
    )
    past = case((and_(table.c.closed_at.is_not(None), table.c.closed_at <= cutoff), 1), else_=0)
    query = (
        select(table.c.customer)
        .where(live)
        .group_by(table.c.customer)
        .having(func.min(past) == 1)
        .order_by(table.c.customer)
    )
    return [subject for (subject,) in conn.execute(query).tuples()], total
