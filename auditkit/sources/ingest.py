"""Import conversations from files: validate everything first, then append only what is new."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditkit.db.engine import analyze_tables
from auditkit.ledger import store as ledger_store
from auditkit.ledger.append import AppendBatch, appending
from auditkit.ledger.conversation import conversation_from_records
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import Record, RecordDraft, RecordKind
from auditkit.ledger.sealing.event_digests import DigestKey
from auditkit.metrics.measures import ConversationMetrics, compute_metrics
from auditkit.metrics.refresh import refresh_metrics, store_metrics
from auditkit.periods import utc_now
from auditkit.sources.chatwoot.lifecycle import recorded_facts, restated
from auditkit.sources.formats import detect_format, read_conversations
from auditkit.sources.identity import event_identities
from auditkit.sources.model import Conversation, Event, SourceItem

# Conversations per flush: the whole import is one write transaction (all or nothing), and
# what it appended is written to the database this many conversations at a time.
BATCH_CONVERSATIONS = 500
# An import that appends at least this many records, and a tenth of the log it found, refreshes
# the PostgreSQL planner's statistics of the tables it wrote (``analyze_tables``).
LARGE_IMPORT_RECORDS = 10_000
IMPORTED_TABLES = (
    "log_entries",
    "merkle_nodes",
    "conversations",
    "participants",
    "staff_participants",
    "conversation_events",
    "messages",
    "conversation_timelines",
    "conversation_metrics",
    "subject_keys",
)

# Called after each written batch with (conversations done, conversations in total).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileSummary:
    """One input file of an import run."""

    path: str
    format: str
    sha256: str
    conversations: int


@dataclass
class ImportReport:
    """What an import run found and appended."""

    files: list[FileSummary] = field(default_factory=list)
    new_conversations: int = 0
    updated_conversations: int = 0
    unchanged_conversations: int = 0
    records_appended: int = 0
    tree_size: int = 0
    metrics_refreshed: int = 0
    analyzed: bool = False  # the written tables' statistics refreshed (a large import)

    @property
    def conversations(self) -> int:
        """Conversations read from the input."""
        return self.new_conversations + self.updated_conversations + self.unchanged_conversations


def conversation_body(conversation: Conversation, source: str) -> dict[str, Any]:
    """The body of the ``conversation.opened`` record for an imported conversation."""
    return {
        "conversation_id": conversation.conversation_id,
        "channel": conversation.channel,
        "customer": conversation.customer,
        "participants": [
            {
                key: value
                for key, value in {
                    "id": p.id,
                    "role": str(p.role),
                    "name": p.name,
                    "team": p.team,
                    "email": p.email,
                    "phone": p.phone,
                }.items()
                if value is not None
            }
            for p in conversation.participants
        ],
        "intents": list(conversation.intents),
        "tags": list(conversation.tags),
        "segment": conversation.segment,
        "source": source,
    }


def event_draft(conversation: str, event: Event, key: str) -> RecordDraft:
    """The record of one conversation event."""
    body: dict[str, Any] = {"event_key": key, **dict(event.data)}
    return RecordDraft(
        kind=RecordKind(str(event.type)), conversation=conversation, occurred_at=event.at, body=body
    )


def read_inputs(
    paths: Sequence[Path], fmt: str | None
) -> tuple[list[SourceItem], list[FileSummary]]:
    """Parse and validate every input file completely; the first bad line raises ImportRejected."""
    items: list[SourceItem] = []
    summaries: list[FileSummary] = []
    for path in paths:
        before = len(items)
        items.extend(read_conversations(path, fmt))
        summaries.append(
            FileSummary(
                path=str(path),
                format=fmt or _detected_format(path),
                sha256=_file_digest(path),
                conversations=len(items) - before,
            )
        )
    return items, summaries


def import_files(
    installation: Installation,
    paths: Sequence[Path],
    *,
    fmt: str | None = None,
    progress: Progress | None = None,
    batch_conversations: int = BATCH_CONVERSATIONS,
) -> ImportReport:
    """Validate all ``paths``, then append new conversations and events and the run's
    ``import.run`` record in one write transaction under one signed checkpoint.

    The import is one unit: if anything fails after validation (a record refused by the
    ledger, a crash, a lost connection) nothing of it is kept, whatever the number of
    batches. ``batch_conversations`` only bounds how much is held in memory before it is
    written inside that transaction. ``conversation_metrics`` is brought up to date after
    the commit, so the write transaction stays as short as the appends.
    """
    installation.require_schema()
    items, summaries = read_inputs(paths, fmt)
    report = ImportReport(files=summaries)
    size = max(1, batch_conversations)
    batches = [items[start : start + size] for start in range(0, len(items), size)]
    done = 0
    # Chatwoot exports restate changes its webhooks may already have recorded (lifecycle.py).
    merged = {summary.path for summary in summaries if summary.format == "chatwoot"}
    computed: dict[str, ConversationMetrics] = {}
    digest_key = installation.event_digest_key()
    with appending(installation) as batch:
        before = batch.size
        for chunk in batches:
            _append_chunk(batch, chunk, report, computed, digest_key, merged)
            batch.flush()
            done += len(chunk)
            if progress is not None:
                progress(done, len(items))
        batch.append([_run_record(installation, report)])
        report.records_appended = batch.size - before
        report.tree_size = batch.size
    # Conversations this import created have their metrics from the records in hand; the
    # ones it added events to are recomputed from the log, as every stale row is.
    stored = store_metrics(installation, list(computed.values()))
    report.metrics_refreshed = stored + refresh_metrics(installation)
    if is_large_import(report.records_appended, before):
        report.analyzed = analyze_tables(installation.engine, IMPORTED_TABLES)
    return report


def is_large_import(appended: int, before: int) -> bool:
    """Whether an import appended enough to move the planner's statistics: at least
    ``LARGE_IMPORT_RECORDS`` records and a tenth of what the log held before."""
    return appended >= LARGE_IMPORT_RECORDS and appended * 10 >= before


def _new_conversation_metrics(
    records: Sequence[Record], new: set[str]
) -> dict[str, ConversationMetrics]:
    """Metrics of the conversations in ``new``, whose every record is in ``records``."""
    grouped: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
    for record in records:
        if record.conversation in new:
            entry = {
                "conversation": record.conversation,
                "occurred_at": record.occurred_at,
                "body": record.body,
            }
            grouped.setdefault(record.conversation, []).append((record.seq, record.kind, entry))
    return {key: compute_metrics(conversation_from_records(rows)) for key, rows in grouped.items()}


def _append_chunk(
    batch: AppendBatch,
    chunk: Sequence[SourceItem],
    report: ImportReport,
    computed: dict[str, ConversationMetrics],
    digest_key: DigestKey,
    merged: Collection[str] = (),
) -> None:
    keys = [item.conversation.conversation_id for item in chunk]
    known = batch.known_conversations(keys)
    new = set(keys) - known
    for key in known:  # created by an earlier chunk and grown here: left to the refresh
        computed.pop(key, None)
    recorded = ledger_store.known_event_keys(batch.conn, sorted(known))
    # The chunk's drafts are appended together: its subjects' data keys are looked up in one
    # query and new ones stored in one insert, rather than once per conversation.
    drafts: list[RecordDraft] = []
    records: list[Record] = []
    for item in chunk:
        conversation = item.conversation
        key = conversation.conversation_id
        ids = event_identities(conversation.events, digest_key)
        if key not in known:
            drafts.append(
                RecordDraft(
                    kind=RecordKind.CONVERSATION_OPENED,
                    conversation=key,
                    occurred_at=conversation.events[0].at if conversation.events else utc_now(),
                    body=conversation_body(conversation, f"{item.source}:{item.line}"),
                )
            )
        dropped: set[int] = set()
        if key in known and item.source in merged:
            records += batch.append(drafts)
            drafts = []
            batch.flush()  # what this import appended so far is read back too
            dropped = restated(recorded_facts(batch.conn, key), conversation.events)
        # An event recorded under its pre-keyed (plain SHA-256) identity is recorded.
        fresh = [
            event_draft(key, event, identity.key)
            for number, (event, identity) in enumerate(zip(conversation.events, ids, strict=True))
            if identity.recorded_as(key, recorded) is None and number not in dropped
        ]
        drafts.extend(fresh)
        recorded.update((key, identity.key) for identity in ids)
        if key not in known:
            report.new_conversations += 1
            known.add(key)
        elif fresh:
            report.updated_conversations += 1
        else:
            report.unchanged_conversations += 1
    records += batch.append(drafts)
    computed.update(_new_conversation_metrics(records, new))


def _run_record(installation: Installation, report: ImportReport) -> RecordDraft:
    return RecordDraft(
        kind=RecordKind.IMPORT_RUN,
        conversation=None,
        occurred_at=utc_now(),
        body={
            "actor": installation.settings.actor,
            "files": [
                {
                    "path": f.path,
                    "format": f.format,
                    "sha256": f.sha256,
                    "conversations": f.conversations,
                }
                for f in report.files
            ],
            "new_conversations": report.new_conversations,
            "updated_conversations": report.updated_conversations,
            "unchanged_conversations": report.unchanged_conversations,
        },
    )


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _detected_format(path: Path) -> str:
    return detect_format(path)
