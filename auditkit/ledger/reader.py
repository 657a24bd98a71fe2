"""Read whole conversations back from the ledger, for checks, scans, reviews and reports."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from auditkit.db import Connection
from auditkit.errors import NotFound
from auditkit.ledger import store as ledger_store
from auditkit.ledger.conversation import (
    LedgerConversation,
    LedgerEvent,
    conversation_from_opened,
    conversation_from_records,
)
from auditkit.ledger.projections import timeline_store
from auditkit.ledger.projections.replay import EVENT_KINDS
from auditkit.ledger.projections.timelines import decode_timelines, timelines_from_log
from auditkit.ledger.records import RecordKind, parse_time
from auditkit.ledger.sealing.cipher import PERSONAL_FIELDS, MasterKey
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


def load_timelines(
    conn: Connection,
    keys: Sequence[str],
    *,
    master: MasterKey | None = None,
    open_fields: frozenset[str] | None = None,
) -> list[LedgerConversation]:
    """The conversations ``keys`` (in that order) from their compact timelines: one row each,
    no per-record decoding, only the sealed objects that hold more than text opened.

    What checks and AutoQA read. Their events and bodies equal those of
    :func:`load_conversations` (with the master key and ``open_fields`` None), but
    participants carry no name, e-mail or phone (no evaluator reads them; a timeline never
    holds them). With ``open_fields``, only records sealing one of those fields are opened;
    the others keep their sealed object as stored (message and note text is there). A
    conversation without a row yet (stored before
    timelines existed, until ``auditkit init`` writes it) is built from the log.
    """
    rows = {key: text for key, (_seq, text) in timeline_store.timeline_rows(conn, keys).items()}
    data_keys = DataKeys(conn, master) if master is not None else None
    missing = [key for key in keys if key not in rows]
    if missing:
        rows.update(
            (row["conversation_key"], row["timeline"])
            for row in timelines_from_log(conn, missing, data_keys)
        )
        unknown = [key for key in missing if key not in rows]
        if unknown:
            raise NotFound(f"unknown conversation(s): {', '.join(unknown[:5])}")
    return decode_timelines(rows, keys, data_keys, open_fields=open_fields)


def load_excerpts(
    conn: Connection,
    keys: Sequence[str],
    seqs: Iterable[int],
    *,
    master: MasterKey | None,
    open_fields: frozenset[str] | None = None,
) -> list[LedgerConversation]:
    """The conversations ``keys`` (in that order) holding only their messages and notes and
    the other event records ``seqs``: what showing a few events (evidence) with their message
    numbers and masking needs, without decoding every record.

    Messages and notes come from the ``messages`` table (clear there, as the log reads now)
    with ``text`` as their only body field; the records ``seqs`` that are not messages are
    read from the log and opened like :func:`load_conversations`' (erased content reads as
    erased), as are the participants (names, e-mails, phones) from each ``conversation.opened``
    record: one data-key query for all of them. With ``open_fields``, a record among ``seqs``
    is opened only when its kind can seal one of those fields; the others keep their sealed
    object as stored (their clear fields are there).
    """
    opened_seqs = {
        row["conversation_key"]: int(row["opened_seq"])
        for row in ledger_store.conversation_rows(conn, keys)
    }
    missing = [key for key in keys if key not in opened_seqs]
    if missing:
        raise NotFound(f"unknown conversation(s): {', '.join(missing[:5])}")
    texts: dict[str, list[LedgerEvent]] = {key: [] for key in keys}
    for key, seq, kind, at, text in ledger_store.message_rows(conn, keys):
        texts[key].append(LedgerEvent(seq=seq, kind=kind, at=parse_time(at), body={"text": text}))
    shown = {event.seq for events in texts.values() for event in events}
    wanted = sorted({*opened_seqs.values(), *(seq for seq in seqs if seq not in shown)})
    data_keys = DataKeys(conn, master) if master is not None else None
    entries = ledger_store.entries_by_seq(conn, wanted)
    decoded = [(e.seq, e.kind, json.loads(e.entry)) for e in entries]

    def opens(kind: str) -> bool:
        return (
            open_fields is None
            or kind == RecordKind.CONVERSATION_OPENED
            or not open_fields.isdisjoint(PERSONAL_FIELDS.get(kind, ()))
        )

    records = [
        *open_records([r for r in decoded if opens(r[1])], data_keys),
        *(r for r in decoded if not opens(r[1])),
    ]
    opened: dict[int, dict[str, Any]] = {}
    others: dict[str, list[LedgerEvent]] = {key: [] for key in keys}
    for seq, kind, entry in records:
        if kind == RecordKind.CONVERSATION_OPENED:
            opened[seq] = entry["body"]
        elif kind in EVENT_KINDS and entry.get("conversation") in others:
            others[entry["conversation"]].append(
                LedgerEvent(
                    seq=seq, kind=kind, at=parse_time(entry["occurred_at"]), body=entry["body"]
                )
            )
    return [
        conversation_from_opened(
            key,
            opened_seqs[key],
            opened[opened_seqs[key]],
            tuple(sorted([*texts[key], *others[key]], key=lambda e: e.seq)),
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


def iter_timelines(conn: Connection, *, page: int = PAGE) -> Iterator[LedgerConversation]:
    """Every conversation from its compact timeline, in key order, a page at a time, with
    no key opened (sealed bodies stay sealed): for readers of the clear fields only
    (statuses, channels, intents, the customer's id), one row per conversation instead of
    decoding every record."""
    for keys in _key_pages(conn, page):
        yield from load_timelines(conn, keys)


def iter_conversations(
    conn: Connection, *, page: int = PAGE, master: MasterKey | None = None
) -> Iterator[LedgerConversation]:
    """Every conversation, in key order, read a page at a time."""
    for keys in _key_pages(conn, page):
        yield from load_conversations(conn, keys, master=master)


def _key_pages(conn: Connection, page: int) -> Iterator[list[str]]:
    """Every conversation key, in key order, ``page`` at a time."""
    after: str | None = None
    while keys := ledger_store.conversation_keys(conn, after=after, limit=page):
        yield keys
        after = keys[-1]
