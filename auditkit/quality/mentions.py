"""@mentions in review comments: a comment that names ``@username`` appears in that user's
mention list (newest first); the comment itself is the record, so the list is derived from
``review_comments`` and needs no table of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditkit.accounts.users import Permission, User, list_users
from auditkit.db.engine import read_transaction
from auditkit.ledger.installation import Installation
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


def mentioned(text: str, known: set[str]) -> tuple[str, ...]:
    """The known usernames ``text`` mentions, in order, once each."""
    return tuple(dict.fromkeys(m for m in MENTION.findall(text.lower()) if m in known))


def mentions_of(installation: Installation, user: User) -> list[Mention]:
    """Comments mentioning the user, newest first."""
    user.require(Permission.REVIEW_READ)
    with read_transaction(installation.engine) as conn:
        rows = search_store.comments_mentioning(conn, user.username, limit=LIMIT)
    return [
        Mention(
            comment_seq=int(r["seq"]),
            conversation_key=r["conversation_key"],
            message_seq=int(r["message_seq"]),
            author=r["author"],
            text=r["text"],
            created_at=r["created_at"],
        )
        for r in rows
        if user.username in mentioned(r["text"], {user.username})
    ]


def usernames(installation: Installation) -> set[str]:
    """Every username, for telling a mention from an e-mail-like word."""
    return {u.username for u in list_users(installation)}
