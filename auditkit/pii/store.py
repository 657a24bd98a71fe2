"""Rows of PII scans, findings and restricted-data findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select

from auditkit.ledger.store import bulk_insert
from auditkit.ledger.tables import messages
from auditkit.pii.tables import pii_findings, pii_scans, restricted_findings

CHUNK = 500


def unscanned_conversations(conn: Connection, detector_key: str, *, limit: int) -> list[str]:
    """Conversations with a message the detector ``detector_key`` has not scanned yet."""
    scanned = select(pii_scans.c.message_seq).where(pii_scans.c.detector_key == detector_key)
    query = (
        select(messages.c.conversation_key)
        .where(messages.c.seq.not_in(scanned))
        .group_by(messages.c.conversation_key)
        .order_by(messages.c.conversation_key)
        .limit(limit)
    )
    return [key for (key,) in conn.execute(query)]


def count_unscanned(conn: Connection, detector_key: str) -> int:
    """Messages the detector has not scanned yet."""
    scanned = select(pii_scans.c.message_seq).where(pii_scans.c.detector_key == detector_key)
    query = select(func.count()).select_from(messages).where(messages.c.seq.not_in(scanned))
    return int(conn.execute(query).scalar_one())


def scanned_seqs(conn: Connection, detector_key: str, keys: Sequence[str]) -> set[int]:
    """Message seqs of these conversations already scanned by ``detector_key``."""
    found: set[int] = set()
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        rows = conn.execute(
            select(pii_scans.c.message_seq).where(
                and_(
                    pii_scans.c.detector_key == detector_key, pii_scans.c.conversation_key.in_(part)
                )
            )
        )
        found.update(int(seq) for (seq,) in rows)
    return found


def findings_of(conn: Connection, detector_key: str, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Stored findings of these conversations by ``detector_key``."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        result = conn.execute(
            select(pii_findings).where(
                and_(
                    pii_findings.c.detector_key == detector_key,
                    pii_findings.c.conversation_key.in_(part),
                )
            )
        )
        rows.extend(dict(row._mapping) for row in result)
    return rows


def record_scan(
    conn: Connection,
    *,
    detector_key: str,
    scans: Sequence[tuple[int, str, int, int]],
    findings: Sequence[tuple[Any, ...]],
) -> None:
    """Store scanned messages (seq, conversation, record seq, count) and their findings."""
    bulk_insert(
        conn,
        pii_scans,
        ("message_seq", "detector_key", "conversation_key", "record_seq", "finding_count"),
        [(seq, detector_key, key, record_seq, count) for seq, key, record_seq, count in scans],
    )
    bulk_insert(
        conn,
        pii_findings,
        (
            "message_seq",
            "detector_key",
            "conversation_key",
            "entity_type",
            "start",
            "end",
            "score",
            "recognizer",
            "record_seq",
        ),
        findings,
    )


def replace_restricted(
    conn: Connection, *, detector_key: str, keys: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Replace the restricted-data findings of these conversations for ``detector_key``."""
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        conn.execute(
            delete(restricted_findings).where(
                and_(
                    restricted_findings.c.detector_key == detector_key,
                    restricted_findings.c.conversation_key.in_(part),
                )
            )
        )
    bulk_insert(
        conn,
        restricted_findings,
        (
            "conversation_key",
            "detector_key",
            "kind",
            "entity_type",
            "message_seq",
            "evidence",
            "rule",
            "record_seq",
        ),
        rows,
    )


def entity_types_by_seq(conn: Connection, detector_key: str, key: str) -> dict[int, list[str]]:
    """Entity types found per message of one conversation (for the checks' restricted rules)."""
    rows = conn.execute(
        select(pii_findings.c.message_seq, pii_findings.c.entity_type).where(
            and_(
                pii_findings.c.detector_key == detector_key, pii_findings.c.conversation_key == key
            )
        )
    )
    found: dict[int, list[str]] = {}
    for seq, entity in rows:
        found.setdefault(int(seq), []).append(entity)
    return found


def any_scan(conn: Connection, detector_key: str, key: str) -> bool:
    """Whether this conversation has been scanned by ``detector_key`` at all."""
    row = conn.execute(
        select(pii_scans.c.message_seq)
        .where(and_(pii_scans.c.detector_key == detector_key, pii_scans.c.conversation_key == key))
        .limit(1)
    ).first()
    return row is not None


def entity_types_for(
    conn: Connection, detector_key: str, keys: Sequence[str]
) -> dict[str, dict[int, list[str]]]:
    """Per conversation scanned by ``detector_key``: entity types found per message seq."""
    found: dict[str, dict[int, list[str]]] = {}
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        scanned = conn.execute(
            select(pii_scans.c.conversation_key)
            .where(
                and_(
                    pii_scans.c.detector_key == detector_key, pii_scans.c.conversation_key.in_(part)
                )
            )
            .distinct()
        )
        for (key,) in scanned:
            found[key] = {}
        rows = conn.execute(
            select(
                pii_findings.c.conversation_key,
                pii_findings.c.message_seq,
                pii_findings.c.entity_type,
            ).where(
                and_(
                    pii_findings.c.detector_key == detector_key,
                    pii_findings.c.conversation_key.in_(part),
                )
            )
        )
        for key, seq, entity in rows:
            found.setdefault(key, {}).setdefault(int(seq), []).append(entity)
    return found


def add_name_digests(conn: Connection, rows: Sequence[tuple[str, str]]) -> int:
    """Store (conversation key, digest) pairs not stored yet; returns how many were new."""
    from auditkit.pii.tables import pii_name_digests

    wanted = set(rows)
    if not wanted:
        return 0
    keys = sorted({key for key, _ in wanted})
    have: set[tuple[str, str]] = set()
    for start in range(0, len(keys), CHUNK):
        query = select(pii_name_digests.c.conversation_key, pii_name_digests.c.digest).where(
            pii_name_digests.c.conversation_key.in_(keys[start : start + CHUNK])
        )
        have.update((key, digest) for key, digest in conn.execute(query))
    new = sorted(wanted - have)
    if new:
        conn.execute(
            pii_name_digests.insert(), [{"conversation_key": k, "digest": d} for k, d in new]
        )
    return len(new)


def name_digests_of(conn: Connection, keys: Sequence[str]) -> frozenset[str]:
    """Every name digest stored for these conversations."""
    from auditkit.pii.tables import pii_name_digests

    found: set[str] = set()
    keys = list(keys)
    for start in range(0, len(keys), CHUNK):
        query = select(pii_name_digests.c.digest).where(
            pii_name_digests.c.conversation_key.in_(keys[start : start + CHUNK])
        )
        found.update(digest for (digest,) in conn.execute(query))
    return frozenset(found)
