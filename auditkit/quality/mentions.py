"""@mentions in review comments: a comment that names ``@username`` appears in that user's
mention list (newest first); the comment itself is the record, so the list is derived from
``review_comments``. What each user has read is kept per user (``mention_reads``, and the
"mark all read" mark ``mention_read_marks``): reading is not a decision, so no record."""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditkit.accounts.users import Permission, User, list_users
from auditkit.db import Connection, operational_transaction
from auditkit.db.engine import read_transaction
from auditkit.errors import NotFound
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import format_time
from auditkit.periods import utc_now
from auditkit.quality import mentions_store
from auditkit.review import search_store

MENTION = re.compile(r"(?<![\w@])@([a-z0-9._@-]{2,100})")
LIMIT = 100


@dataclass(frozen=True)
class Mention:
    """A comment that named the user."""

    comment_seq: int
    conversation_key: str
    message_seq: int
    author: str
    text: str
    created_at: str
    read: bool = False


def mentioned(text: str, known: set[str]) -> tuple[str, ...]:
    """The known usernames ``text`` mentions, in order, once each."""
    return tuple(dict.fromkeys(m for m in MENTION.findall(text.lower()) if m in known))


def _mentions(conn: Connection, user: User, *, after_seq: int | None = None) -> list[Mention]:
    rows = search_store.comments_mentioning(conn, user.username, limit=LIMIT, after_seq=after_seq)
    rows = [r for r in rows if user.username in mentioned(r["text"], {user.username})]
    through = mentions_store.read_through(conn, user.id)
    read = mentions_store.read_seqs(conn, user.id, [int(r["seq"]) for r in rows])
    return [
        Mention(
            comment_seq=int(r["seq"]),
            conversation_key=r["conversation_key"],
            message_seq=int(r["message_seq"]),
            author=r["author"],
            text=r["text"],
            created_at=r["created_at"],
            read=(through is not None and int(r["seq"]) <= through) or int(r["seq"]) in read,
        )
        for r in rows
    ]


def mentions_of(installation: Installation, user: User) -> list[Mention]:
    """Comments mentioning the user, newest first (the latest ``LIMIT``), each read or not."""
    user.require(Permission.REVIEW_READ)
    with read_transaction(installation.engine) as conn:
        return _mentions(conn, user)


def unread_count(installation: Installation, user: User) -> int:
    """How many mentions of the user are unread (of the latest ``LIMIT`` after the "all read"
    mark); 0 for a user who cannot read reviews. Read only: the navigation shows it."""
    if not user.can(Permission.REVIEW_READ):
        return 0
    with read_transaction(installation.engine) as conn:
        through = mentions_store.read_through(conn, user.id)
        return sum(not m.read for m in _mentions(conn, user, after_seq=through))


def mark_read(installation: Installation, user: User, comment_seq: int) -> None:
    """Mark one mention of the user read; a comment that does not mention them is not found."""
    user.require(Permission.REVIEW_READ)
    with operational_transaction(installation.engine) as conn:
        if comment_seq not in {m.comment_seq for m in _mentions(conn, user)}:
            raise NotFound(f"comment {comment_seq} does not mention you")
        mentions_store.mark_read(conn, user.id, comment_seq, at=format_time(utc_now()))


def mark_all_read(installation: Installation, user: User, *, through: int | None = None) -> int:
    """Mark every mention of the user read, up to comment ``through`` (the newest the page
    showed, so one that arrived meanwhile stays unread; the newest of all when None).
    Returns how many were unread."""
    user.require(Permission.REVIEW_READ)
    with operational_transaction(installation.engine) as conn:
        found = _mentions(conn, user)
        if through is not None:
            found = [m for m in found if m.comment_seq <= through]
        if not found:
            return 0
        mentions_store.mark_read_through(
            conn, user.id, max(m.comment_seq for m in found), at=format_time(utc_now())
        )
    return sum(not m.read for m in found)


def usernames(installation: Installation) -> set[str]:
    """Every username, for telling a mention from an e-mail-like word."""
    return {u.username for u in list_users(installation)}
