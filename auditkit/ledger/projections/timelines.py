"""Compact per-conversation timelines: one row per conversation that the whole-conversation
evaluators (checks, AutoQA) read instead of decoding and unsealing every record.

A timeline holds the conversation's header (channel, customer, intents, tags, segment,
source, and each participant's id, role and team: never a name, e-mail or phone) and every
event record's seq, kind, time and body fields that are clear in the log, plus the text of
messages and notes, which the ``messages`` query table already keeps in clear (and erasure
overwrites). Any other personal field of an event (a message's ``acts``, an action's or a
note's ``fields``, a ``reason``, a CSAT ``comment``, a correction's text) stays sealed: the
record's sealed object is kept as the log holds it, and opened with the subject's key only
when a reader asks for opened bodies. With sealing off the log holds everything in clear,
and so does the timeline.

Every append keeps the rows up to date, ``verify`` rebuilds them from the log and compares
(registered below), and erasure re-derives its subject's rows from the log as it then reads
(registered below), so erased text survives in no timeline.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from auditkit.db import Connection
from auditkit.ledger import store as ledger_store
from auditkit.ledger.conversation import LedgerConversation, LedgerEvent, LedgerParticipant
from auditkit.ledger.projections import timeline_store
from auditkit.ledger.projections.registry import (
    ErasedSubject,
    ProjectionSource,
    Row,
    register_projection,
    register_staff_text_eraser,
)
from auditkit.ledger.projections.replay import EVENT_KINDS, TEXT_KINDS
from auditkit.ledger.records import Record, RecordKind, canonical_json, decode_entry
from auditkit.ledger.sealing.cipher import PERSONAL_FIELDS, SEALED, MasterKey, unseal_body
from auditkit.ledger.sealing.data_keys import DataKeys, open_records

# Per event kind: the personal fields a timeline does not hold in clear (when sealed).
HIDDEN: Mapping[str, frozenset[str]] = {
    kind: frozenset(
        name
        for name in PERSONAL_FIELDS.get(kind, ())
        if not (name == "text" and kind in TEXT_KINDS)
    )
    for kind in EVENT_KINDS
}

Timeline = dict[str, Any]


def header_of(record: Record) -> Timeline:
    """A new timeline from a ``conversation.opened`` record: its header, no events yet."""
    body = record.body
    return {
        "opened_seq": record.seq,
        "conversation": record.conversation,
        "channel": body["channel"],
        "customer": body["customer"],
        "participants": [
            {"id": p["id"], "role": p["role"], "team": p.get("team")} for p in body["participants"]
        ],
        "intents": body.get("intents"),
        "tags": body.get("tags"),
        "segment": body.get("segment"),
        "source": body.get("source"),
        "events": [],
    }


def event_of(record: Record) -> list[Any]:
    """One event record as a timeline holds it: ``[seq, kind, occurred_at, body]``, plus the
    sealed object and the names of the fields it seals when the record seals more than a
    message's or note's text.

    ``record.body`` is the clear body (as appended, or as read with the current keys);
    ``record.entry`` the stored bytes, decoded only when a hidden field is present.
    """
    body = record.body
    if _has_float(body):
        # Stored bytes are canonical JSON, which writes 1.0 as 1: keep what a reader decodes.
        body = json.loads(canonical_json(body))
    hidden = HIDDEN.get(record.kind, frozenset())
    if hidden and any(name in body for name in hidden):
        stored = json.loads(record.entry)["body"]
        envelope = stored.get(SEALED)
        if envelope is not None:
            clear = {k: v for k, v in body.items() if k not in hidden and k != SEALED}
            # The names of the fields it seals (names only): a reader opens only what it reads.
            names = sorted(name for name in hidden if name in body)
            return [record.seq, record.kind, record.occurred_at, clear, envelope, names]
    return [record.seq, record.kind, record.occurred_at, dict(body)]


def _has_float(value: Any) -> bool:
    # Strings, flags, integers and None answered inline: a body is mostly those, and this
    # runs for every event an import appends.
    items = value.values() if isinstance(value, Mapping) else value
    for item in items:
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is float or (isinstance(item, Mapping | list | tuple) and _has_float(item)):
            return True
    return False


def last_seq_of(timeline: Timeline) -> int:
    """The conversation's last event seq (its opened seq before any event)."""
    events = timeline["events"]
    return int(events[-1][0]) if events else int(timeline["opened_seq"])


def row_of(key: str, timeline: Timeline) -> Row:
    """The ``conversation_timelines`` row of one timeline (its text deterministic)."""
    return {
        "conversation_key": key,
        "last_seq": last_seq_of(timeline),
        "timeline": json.dumps(timeline, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    }


class TimelineBuilder:
    """Folds records (in seq order) into timelines: what the append path and verify share."""

    def __init__(self) -> None:
        self.timelines: dict[str, Timeline] = {}
        self.extended: dict[str, list[list[Any]]] = {}  # events of conversations opened before

    def apply(self, record: Record) -> None:
        """Add one record: an opening starts a timeline, an event extends one."""
        key = record.conversation
        if key is None:
            return
        if record.kind == RecordKind.CONVERSATION_OPENED:
            self.timelines[key] = header_of(record)
        elif record.kind in EVENT_KINDS:
            timeline = self.timelines.get(key)
            if timeline is not None:
                timeline["events"].append(event_of(record))
            else:
                self.extended.setdefault(key, []).append(event_of(record))

    def flush(self, conn: Connection) -> None:
        """Store what was folded since the last flush: new rows, and stored rows extended."""
        timeline_store.insert_timelines(
            conn, [row_of(key, timeline) for key, timeline in self.timelines.items()]
        )
        if self.extended:
            stored = timeline_store.timeline_rows(conn, list(self.extended))
            rows = []
            for key, events in self.extended.items():
                if key not in stored:
                    continue  # opened before timelines existed: ``backfill_timelines`` writes it
                timeline = json.loads(stored[key][1])
                timeline["events"].extend(events)
                rows.append(row_of(key, timeline))
            timeline_store.update_timelines(conn, rows)
        self.timelines, self.extended = {}, {}


class TimelineRebuilder:
    """Replays every record into the rows ``conversation_timelines`` should hold (verify)."""

    def __init__(self) -> None:
        self.builder = TimelineBuilder()

    def apply(self, record: Record) -> None:
        """Add one record (in seq order)."""
        self.builder.apply(record)

    def rows(self) -> Mapping[str, Iterable[Row]]:
        """The expected rows."""
        return {
            "conversation_timelines": [
                row_of(key, timeline) for key, timeline in self.builder.timelines.items()
            ]
        }


def decode_timelines(
    rows: Mapping[str, str],
    keys: Sequence[str],
    data_keys: DataKeys | None,
    *,
    open_fields: frozenset[str] | None = None,
) -> list[LedgerConversation]:
    """The conversations ``keys`` from their timeline texts ``rows``.

    With the data keys, the sealed objects a timeline kept are opened (erased subjects read
    as erased): all of them (``open_fields`` None), and the bodies then equal those the log
    reads with the master key; or only those sealing one of ``open_fields`` (the fields a
    reader reads). A body left sealed carries its sealed object as stored, its hidden fields
    absent; message and note text is there either way.
    """
    timelines = [json.loads(rows[key]) for key in keys]
    if data_keys is not None:
        data_keys.load(
            event[4]["subject"]
            for t in timelines
            for event in t["events"]
            if len(event) > 4 and _opens(event, open_fields)
        )
    return [_conversation(t, data_keys, open_fields) for t in timelines]


def _opens(event: list[Any], open_fields: frozenset[str] | None) -> bool:
    return open_fields is None or not open_fields.isdisjoint(event[5])


def _conversation(
    timeline: Timeline, data_keys: DataKeys | None, open_fields: frozenset[str] | None
) -> LedgerConversation:
    key = timeline["conversation"]
    events = []
    for event in timeline["events"]:
        seq, kind, at, body = event[0], event[1], event[2], event[3]
        if len(event) > 4:
            sealed = {**body, SEALED: event[4]}
            if data_keys is not None and _opens(event, open_fields):
                body = unseal_body(
                    kind,
                    sealed,
                    data_key=data_keys.for_reading(event[4]["subject"]),
                    seq=seq,
                    conversation=key,
                )
            else:
                body = sealed
        events.append(LedgerEvent(seq=seq, kind=kind, at=_parse_time(at), body=body))
    return LedgerConversation(
        key=key,
        channel=timeline["channel"],
        customer=timeline["customer"],
        participants={
            p["id"]: LedgerParticipant(id=p["id"], role=p["role"], team=p["team"])
            for p in timeline["participants"]
        },
        events=tuple(events),
        intents=tuple(timeline["intents"] or ()),
        tags=tuple(timeline["tags"] or ()),
        segment=timeline["segment"],
        opened_seq=timeline["opened_seq"],
        source=timeline["source"],
    )


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def timelines_from_log(
    conn: Connection, keys: Sequence[str], data_keys: DataKeys | None
) -> list[Row]:
    """The rows of the conversations ``keys`` rebuilt from their records, read with the
    current keys: what the backfill and erasure store."""
    records = ledger_store.conversation_records(conn, keys)
    builder = TimelineBuilder()
    for key in keys:
        stored = [decode_entry(entry, expected_seq=seq) for seq, _kind, entry in records[key]]
        opened = open_records(
            [(r.seq, r.kind, {"conversation": r.conversation, "body": r.body}) for r in stored],
            data_keys,
        )
        for record, (_seq, _kind, clear) in zip(stored, opened, strict=True):
            builder.apply(dataclasses.replace(record, body=clear["body"]))
    return [row_of(key, timeline) for key, timeline in builder.timelines.items()]


def backfill_timelines(conn: Connection, master: MasterKey | None, *, page: int = 500) -> int:
    """Write the rows of conversations that have none (stored before timelines existed, or
    stale): what ``auditkit init`` runs after migrating. Returns how many were written."""
    data_keys = DataKeys(conn, master) if master is not None else None
    written = 0
    after: str | None = None
    while keys := timeline_store.keys_without_timeline(conn, after=after, limit=page):
        timeline_store.replace_timelines(conn, timelines_from_log(conn, keys, data_keys))
        written += len(keys)
        after = keys[-1]
    return written


def erase_timelines(conn: Connection, subject: ErasedSubject, _erased: str) -> None:
    """Re-derive the erased subject's timelines from the log as it now reads (their data key
    is destroyed, so sealed text reads as erased and no clear copy survives)."""
    if not subject.conversations:
        return
    keys = DataKeys(conn, subject.master) if subject.master is not None else None
    timeline_store.replace_timelines(
        conn, timelines_from_log(conn, list(subject.conversations), keys)
    )


register_projection(
    ProjectionSource(
        feature="timelines",
        primary_keys={"conversation_timelines": ("conversation_key",)},
        rebuilder=TimelineRebuilder,
    )
)
register_staff_text_eraser("timelines", erase_timelines)
