"""Coaching packs and the example library: marked examples across agents, found and redacted.

A coaching pack gathers N real examples reviewers marked (exemplary or needing work) for a
criterion or an intent, across agents, for an enablement session. Every piece of text goes
through the same redaction as the coaching report before it is searched or shown, so a
full-text search can never reveal personal data. The pack is written as HTML and PDF by a
:class:`~auditkit.services.report_parts.Renderer` and recorded in the ledger like a report.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from auditkit.ledger.records import format_time
from auditkit.services.conversations import load_conversations
from auditkit.services.installation import Installation, utc_now
from auditkit.services.report_parts import (
    STAFF_ROLES,
    CoachingExampleView,
    EmptyScope,
    Renderer,
    ReportResult,
    ReportScopeInvalid,
    check_dates,
    check_out,
    comments_by_message,
    criterion_labels,
    redact,
    view_example,
    write_report,
)
from auditkit.services.review import EXAMPLE_LABELS
from auditkit.services.review_redaction import Redactor, default_redactor
from auditkit.storage import report_store, review_store
from auditkit.storage.db import read_transaction

MAX_LIMIT = 100
SCAN_ROWS = 5000  # marked examples looked at, newest first
BATCH = 50  # conversations loaded at a time


@dataclass(frozen=True)
class PackFilters:
    """Which marked examples to gather; empty filters mean all."""

    criterion: str | None = None
    intent: str | None = None
    agent: str | None = None
    label: str | None = None
    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None

    def as_json(self, redactor: Redactor) -> dict[str, Any]:
        """The filters as recorded in the ledger and printed in the pack (search redacted)."""
        return {
            "criterion": self.criterion,
            "intent": self.intent,
            "agent": self.agent,
            "label": self.label,
            "channel": self.channel,
            "since": format_time(self.since) if self.since else None,
            "until": format_time(self.until) if self.until else None,
            "search": redact(redactor, self.search) if self.search else None,
        }


@dataclass(frozen=True)
class PackExample:
    """A marked example with where it comes from; all its text is redacted."""

    example: CoachingExampleView
    first_seq: int
    agent_id: str | None
    channel: str
    intents: tuple[str, ...]
    submitted_at: str

    def searchable(self) -> str:
        """The redacted text a search runs over (casefolded)."""
        e = self.example
        parts = [e.note, e.criterion_label, *e.comments, *(line.text for line in e.lines)]
        return "\n".join(parts).casefold()


@dataclass(frozen=True)
class CoachingPack:
    """Everything a coaching pack shows."""

    title: str
    origin: str
    generated_at: str
    generated_by: str
    filters: dict[str, Any]
    examples: tuple[PackExample, ...]

    @property
    def agents(self) -> tuple[str, ...]:
        """The agents whose conversations the examples come from."""
        return tuple(sorted({e.agent_id for e in self.examples if e.agent_id}))


def find_examples(
    installation: Installation,
    filters: PackFilters,
    *,
    limit: int = 50,
    redactor: Redactor | None = None,
) -> tuple[PackExample, ...]:
    """Marked examples of the latest review versions matching ``filters``, newest first.

    Raises :class:`ReportScopeInvalid` for a bad scope (unknown criterion, label, agent or
    channel, inverted dates, a limit out of range); an empty result is returned as such.
    """
    installation.require_schema()
    redactor = redactor or default_redactor()
    if not 1 <= limit <= MAX_LIMIT:
        raise ReportScopeInvalid(f"the limit must be between 1 and {MAX_LIMIT}, not {limit}")
    check_dates(filters.since, filters.until)
    if filters.label and filters.label not in EXAMPLE_LABELS:
        raise ReportScopeInvalid(
            f"unknown label: {filters.label} (use {' or '.join(EXAMPLE_LABELS)})"
        )
    labels = criterion_labels(installation)
    if filters.criterion and filters.criterion not in labels:
        raise ReportScopeInvalid(f"unknown criterion: {filters.criterion}")
    since = format_time(filters.since) if filters.since else None
    until = format_time(filters.until) if filters.until else None
    needle = (filters.search or "").strip().casefold()
    found: list[PackExample] = []
    with read_transaction(installation.engine) as conn:
        if filters.agent and not report_store.known_participants(
            conn, [filters.agent], roles=STAFF_ROLES
        ):
            raise ReportScopeInvalid(
                f"unknown agent: {filters.agent} (no conversation has them as staff)"
            )
        if filters.channel and filters.channel not in report_store.known_channels(conn):
            raise ReportScopeInvalid(f"unknown channel: {filters.channel}")
        rows = [
            dict(row)
            for row in review_store.coaching_example_rows(
                conn,
                criterion_id=filters.criterion,
                label=filters.label,
                agent_id=filters.agent,
                limit=SCAN_ROWS,
            )
        ]
        rows = [
            r
            for r in rows
            if (since is None or r["submitted_at"] >= since)
            and (until is None or r["submitted_at"] < until)
        ]
        master = installation.master_key()
        for batch in _batches(rows):
            keys = sorted({r["conversation_key"] for r in batch})
            conversations = {c.key: c for c in load_conversations(conn, keys, master=master)}
            comments = comments_by_message(conn, keys)
            for row in batch:
                conversation = conversations.get(row["conversation_key"])
                if conversation is None:
                    continue
                if filters.channel and conversation.channel != filters.channel:
                    continue
                if filters.intent and filters.intent not in conversation.intents:
                    continue
                item = PackExample(
                    example=view_example(row, conversation, labels, comments, redactor),
                    first_seq=int(row["first_seq"]),
                    agent_id=row["agent_id"],
                    channel=conversation.channel,
                    intents=tuple(conversation.intents),
                    submitted_at=row["submitted_at"],
                )
                if needle and needle not in item.searchable():
                    continue
                found.append(item)
                if len(found) >= limit:
                    return tuple(found)
    return tuple(found)


def _batches(rows: Sequence[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Rows in order, cut so each piece touches at most ``BATCH`` conversations."""
    batch: list[dict[str, Any]] = []
    keys: set[str] = set()
    for row in rows:
        if row["conversation_key"] not in keys and len(keys) >= BATCH:
            yield batch
            batch, keys = [], set()
        batch.append(row)
        keys.add(row["conversation_key"])
    if batch:
        yield batch


def coaching_pack(
    installation: Installation,
    out: Path,
    *,
    criterion: str | None = None,
    intent: str | None = None,
    agent: str | None = None,
    label: str | None = None,
    channel: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    search: str | None = None,
    limit: int = 10,
    renderer: Renderer,
    redactor: Redactor | None = None,
    actor: str | None = None,
) -> ReportResult:
    """Write a coaching pack of up to ``limit`` redacted examples (HTML, PDF); record it.

    ``actor`` is who asked (a web user); the configured actor when not given.
    """
    redactor = redactor or default_redactor()
    filters = PackFilters(
        criterion=criterion or None,
        intent=intent or None,
        agent=agent or None,
        label=label or None,
        channel=channel or None,
        since=since,
        until=until,
        search=search or None,
    )
    check_out(out)
    examples = find_examples(installation, filters, limit=limit, redactor=redactor)
    recorded = filters.as_json(redactor)
    if not examples:
        described = ", ".join(f"{k}={v}" for k, v in recorded.items() if v) or "everything"
        raise EmptyScope(f"no marked example matches ({described}): no empty pack is written")
    subject = filters.criterion or filters.intent or "examples"
    pack = CoachingPack(
        title=f"Coaching pack: {examples[0].example.criterion_label if filters.criterion else subject}",
        origin=installation.origin,
        generated_at=format_time(utc_now()),
        generated_by=actor or installation.settings.actor,
        filters=recorded,
        examples=examples,
    )
    return write_report(
        installation,
        out,
        "coaching-pack",
        renderer(pack),
        {
            "report": "pack",
            "filters": recorded,
            "examples": len(examples),
            "conversations": len({e.example.conversation_key for e in examples}),
        },
        actor=actor,
    )
