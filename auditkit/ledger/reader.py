"""Read whole conversations back from the ledger, for checks, scans, reviews and reports."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from auditkit.db import Connection
from auditkit.errors import NotFound
from auditkit.ledger import store as ledger_store
from auditkit.ledger.conversation import LedgerConversation, conversation_from_records
from auditkit.ledger.sealing.cipher import MasterKey
from auditkit.ledger.sealing.data_keys import DataKeys, open_records, unseal_mapping

PAGE = 500


def load_conversations(
    conn: Connection, keys: Sequence[str], *, master: MasterKey | None = None
) -> list[LedgerConversation]:
    """The conversations ``keys`` (in that order) with every event record.

    With the installation's master key, sealed personal content is opened (erased
    subjects read as erased); without it, sealed bodies are returned as stored.
    """
    records = ledger_store.conversation_records(conn, keys)
    missing = [key for key in keys if not records.get(key)]
    if missing:
        raise NotFound(f"unknown conversation(s): {', '.join(missing[:5])}")
    data_keys = DataKeys(conn, master) if master is not None else None
    return [
        conversation_from_records(
            open_records(
                [(seq, kind, json.loads(entry)) for seq, kind, entry in records[key]], data_keys
            )
        )
        for key in keys
    ]


def record_body(conn: Connection, seq: int, *, master: MasterKey | None) -> dict[str, Any]:
    """The body of record ``seq``, its sealed content opened with the master key (staff text
    of an erased subject reads as erased); without the key, as stored."""
    entries = ledger_store.entries_by_seq(conn, [seq])
    if not entries:
        raise NotFound(f"no record {seq}")
    entry = json.loads(entries[0].entry)
    body: dict[str, Any] = entry["body"]
    if master is None:
        return body
    return unseal_mapping(
        entry["kind"],
        body,
        seq=seq,
        conversation=entry["conversation"],
        keys=DataKeys(conn, master),
    )


def iter_conversations(
    conn: Connection, *, page: int = PAGE, master: MasterKey | None = None
) -> Iterator[LedgerConversation]:
    """Every conversation, in key order, read a page at a time."""
    after: str | None = None
    while True:
        keys = ledger_store.conversation_keys(conn, after=after, limit=page)
        if not keys:
            return
        yield from load_conversations(conn, keys, master=master)
        after = keys[-1]
