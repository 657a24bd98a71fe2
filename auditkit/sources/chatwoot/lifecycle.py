"""One change, one record: a Chatwoot status or owner change seen by two paths is kept once.

Chatwoot tells auditkit about a conversation twice: live, by webhooks
(``conversation_status_changed``, ``conversation_updated``: keyed by the change's time),
and later by an export of the conversation object (its activity messages, ``msg-<id>``,
and the state it was exported in). The two paths give the same change different event
ids, and neither has the other's. So before appending a Chatwoot conversation's
lifecycle events, each is compared with what the log already holds for that
conversation: a status (``resolved``, ``reopened``) or an owner (an assignment's ``to``,
nobody after an ``unassign``) equal to the one next to it in time, before or after, is the
same change restated, and is not appended. In Chatwoot a conversation cannot be resolved
twice without a reopening between, nor assigned twice to the same agent without another
owner between, so equal neighbours are always one change.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from auditkit.db import Connection
from auditkit.ledger import store as ledger_store
from auditkit.ledger.records import RecordKind, decode_entry, parse_time
from auditkit.sources.model import Event, EventType

_STATUSES = frozenset({"resolved", "reopened"})
_NOBODY = "\x00nobody"


@dataclass(frozen=True)
class Fact:
    """A recorded state change of one conversation: its status or its owner, and when."""

    at: datetime
    aspect: str  # "status" | "owner"
    value: str


def fact_of(kind: str, body: object, at: datetime) -> Fact | None:
    """The state change a record or event stands for, if it is a status or owner change."""
    if not isinstance(body, dict):
        return None
    if kind == RecordKind.STATUS and body.get("status") in _STATUSES:
        return Fact(at, "status", str(body["status"]))
    if kind == RecordKind.ASSIGNMENT and isinstance(body.get("to"), str):
        return Fact(at, "owner", body["to"])
    if kind == RecordKind.ACTION and body.get("name") == "unassign":
        return Fact(at, "owner", _NOBODY)
    return None


def recorded_facts(conn: Connection, conversation: str) -> list[Fact]:
    """The status and owner changes the log holds for ``conversation``, in time order."""
    facts: list[Fact] = []
    records = ledger_store.conversation_records(conn, [conversation])[conversation]
    for seq, kind, entry in records:
        if kind not in (RecordKind.STATUS, RecordKind.ASSIGNMENT, RecordKind.ACTION):
            continue
        record = decode_entry(entry, expected_seq=seq)
        fact = fact_of(kind, dict(record.body), parse_time(record.occurred_at))
        if fact is not None:
            facts.append(fact)
    return sorted(facts, key=lambda fact: fact.at)


def restated(recorded: Iterable[Fact], events: Sequence[Event]) -> set[int]:
    """Indices of ``events`` that restate a change next to an equal one (see the module)."""
    lines: dict[str, list[Fact]] = {"status": [], "owner": []}
    for known in recorded:
        lines[known.aspect].append(known)
    for line in lines.values():
        line.sort(key=lambda fact: fact.at)
    dropped: set[int] = set()
    for index, event in enumerate(events):
        fact = fact_of(str(event.type), dict(event.data), event.at)
        if fact is None:
            continue
        line = lines[fact.aspect]
        times = [other.at for other in line]
        position = bisect.bisect_right(times, fact.at)
        before = line[position - 1] if position > 0 else None
        after = line[position] if position < len(line) else None
        if (before is not None and before.value == fact.value) or (
            after is not None and after.value == fact.value
        ):
            dropped.add(index)
            continue
        line.insert(position, fact)
    return dropped


def is_unknown_reopen(event: Event) -> bool:
    """A change to ``open`` whose old status the payload did not give (a
    ``conversation_status_changed`` without ``changed_attributes``): maybe a reopening."""
    fields = event.data.get("fields")
    return (
        event.type == EventType.ACTION
        and event.data.get("name") == "status-change"
        and isinstance(fields, dict)
        and fields.get("from") is None
        and fields.get("to") == "open"
    )


def with_known_reopens(recorded: Iterable[Fact], events: Sequence[Event]) -> tuple[Event, ...]:
    """``events`` with each change to ``open`` of unknown origin (:func:`is_unknown_reopen`)
    made the ``reopened`` status it is when the log's last status before it is ``resolved``:
    the same record, under the same id, that the delivery with ``changed_attributes`` of
    that change gives (whichever arrives first), so retention and metrics see the reopening."""
    statuses = sorted((f for f in recorded if f.aspect == "status"), key=lambda f: f.at)
    changed: list[Event] = []
    for event in events:
        if is_unknown_reopen(event):
            before = [f for f in statuses if f.at < event.at]
            if before and before[-1].value == "resolved":
                event = dataclasses.replace(
                    event,
                    type=EventType.STATUS,
                    data={"id": event.data["id"], "status": "reopened"},
                )
        changed.append(event)
        fact = fact_of(str(event.type), dict(event.data), event.at)
        if fact is not None and fact.aspect == "status":
            bisect.insort(statuses, fact, key=lambda f: f.at)
    return tuple(changed)


__all__ = [
    "Fact",
    "fact_of",
    "is_unknown_reopen",
    "recorded_facts",
    "restated",
    "with_known_reopens",
]
