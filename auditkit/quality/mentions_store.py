"""Storage of the read state of @mentions: single comments read, and each user's "all read"
mark (every mention up to that comment seq)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select, update

from auditkit.quality.tables import mention_read_marks, mention_reads


def read_through(conn: Connection, user_id: int) -> int | None:
    """The user's "all read" mark (a comment seq), or None before the first."""
    found = conn.execute(
        select(mention_read_marks.c.read_through_seq).where(mention_read_marks.c.user_id == user_id)
    ).scalar()
    return None if found is None else int(found)


def read_seqs(conn: Connection, user_id: int, seqs: Sequence[int]) -> set[int]:
    """Which of ``seqs`` the user marked read one by one."""
    if not seqs:
        return set()
    rows = conn.execute(
        select(mention_reads.c.comment_seq).where(
            mention_reads.c.user_id == user_id, mention_reads.c.comment_seq.in_(list(seqs))
        )
    ).scalars()
    return {int(seq) for seq in rows}


def mark_read(conn: Connection, user_id: int, comment_seq: int, *, at: str) -> None:
    """Mark one mention read (again is harmless)."""
    if read_seqs(conn, user_id, [comment_seq]):
        return
    conn.execute(
        mention_reads.insert(), {"user_id": user_id, "comment_seq": comment_seq, "read_at": at}
    )


def mark_read_through(conn: Connection, user_id: int, seq: int, *, at: str) -> None:
    """Move the user's "all read" mark up to ``seq`` (never back)."""
    current = read_through(conn, user_id)
    if current is None:
        conn.execute(
            mention_read_marks.insert(),
            {"user_id": user_id, "read_through_seq": seq, "read_at": at},
        )
    elif seq > current:
        conn.execute(
            update(mention_read_marks)
            .where(mention_read_marks.c.user_id == user_id)
            .values(read_through_seq=seq, read_at=at)
        )
