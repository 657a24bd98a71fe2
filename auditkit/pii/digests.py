"""Keyed digests of customers' name parts, so masking goes on after erasure removed the names.

The floor (:class:`auditkit.pii.masking.InterimRedactor`) masks a customer's declared
name in every text, including staff-typed text no scan saw (review comments, notes,
summaries). Erasing the customer destroys the name; a comment that says "María called"
would then show in clear. So before that, ``auditkit scan`` (and anyone about to erase,
through :func:`remember_names`) stores, per conversation, HMAC-SHA256 digests of each
customer's name parts (folded to lower case without accents, two letters or more, no
stop words) under a key derived from the installation's master key. The floor masks any
word whose digest is stored for the conversation shown. The digests hold no name and
cannot be tested against a guess without the master key; installations without sealing
store none (they cannot erase either).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable

from spacy.lang.en.stop_words import STOP_WORDS

from auditkit.db import Connection
from auditkit.ledger.conversation import STAFF_ROLES, LedgerConversation
from auditkit.ledger.installation import Installation
from auditkit.ledger.projections.registry import ErasedSubject, register_staff_text_eraser
from auditkit.ledger.sealing.cipher import MasterKey
from auditkit.pii import store as pii_store

_PART = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W\d_])?")


def digest_key(master: MasterKey) -> bytes:
    """The HMAC key of name digests, derived from (and only usable with) the master key."""
    return hmac.new(master.secret, b"auditkit pii name digest v1", hashlib.sha256).digest()


def fold(word: str) -> str:
    """Lower case without accents: the form a name part is digested in."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def word_digest(key: bytes, word: str) -> str:
    """The digest of one word (folded)."""
    return hmac.new(key, fold(word).encode("utf-8"), hashlib.sha256).hexdigest()


def name_digests(key: bytes, name: str) -> set[str]:
    """Digests of the parts of a name worth masking alone."""
    parts = {fold(p) for p in _PART.findall(name)}
    return {word_digest(key, p) for p in parts if len(p) >= 2 and p not in STOP_WORDS}


def remember_names(
    conn: Connection, installation: Installation, conversations: Iterable[LedgerConversation]
) -> int:
    """Store the name digests of these conversations' customers; returns how many were new."""
    master = installation.master_key()
    if master is None:
        return 0
    key = digest_key(master)
    rows = [
        (conversation.key, digest)
        for conversation in conversations
        for person in conversation.participants.values()
        if person.name and person.role not in STAFF_ROLES
        for digest in name_digests(key, person.name)
    ]
    return pii_store.add_name_digests(conn, rows)


def remember_erased_names(conn: Connection, subject: ErasedSubject, _erased: str) -> None:
    """Erasure's hook: digest the names being erased for each of the subject's conversations,
    in the erasure's own transaction, so masking goes on even where no scan ran before."""
    if subject.master is None:
        return
    key = digest_key(subject.master)
    pii_store.add_name_digests(
        conn,
        [
            (conversation_key, digest)
            for conversation_key in subject.conversations
            for name in subject.names
            for digest in name_digests(key, name)
        ],
    )


register_staff_text_eraser("pii", remember_erased_names)
