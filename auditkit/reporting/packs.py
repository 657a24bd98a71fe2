"""Coaching packs and the example library: marked examples and reviewed conversations across
agents, found and redacted.

A coaching pack gathers N real examples reviewers marked (exemplary or needing work) for a
criterion or an intent, across agents, for an enablement session. Every piece of text goes
through the same redaction as the coaching report before it is searched or shown, so a
full-text search can never reveal personal data. The pack is written as HTML and PDF by a
:class:`~auditkit.reporting.parts.Renderer` and recorded in the ledger like a report.

The *score* filter (0-100) reads the score of what an item illustrates: for a marked example,
the review's score on the example's criterion; for a reviewed conversation, the review's score
on the chosen criterion, or its IQS when no criterion is chosen. An item without that score
(criterion not applicable, no IQS) does not match a score filter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.ledger.conversation import HUMAN_STAFF_ROLES, LedgerConversation
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import RecordKind, format_time
from auditkit.periods import utc_now
from auditkit.pii.masking import Redactor, default_redactor, scan_redactor
from auditkit.reporting import store as report_store
from auditkit.reporting.parts import (
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
from auditkit.review import store as review_store
from auditkit.review.rubrics import available_rubrics
from auditkit.review.workspace import EXAMPLE_LABELS

MAX_LIMIT = 100
SCAN_ROWS = 5000  # marked examples looked at, newest first
REVIEW_SCAN_ROWS = 2000  # reviews looked at, newest first
SNIPPET_CHARS = 80  # redacted text shown either side of a search match
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
    min_score: float | None = None
    max_score: float | None = None

    def score_matches(self, score: float | None) -> bool:
        """Whether ``score`` (0-100, None when not rated) is within the score filter."""
        if self.min_score is None and self.max_score is None:
            return True
        if score is None:
            return False
        return (self.min_score is None or score >= self.min_score) and (
            self.max_score is None or score <= self.max_score
        )

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
            "min_score": self.min_score,
            "max_score": self.max_score,
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
    score: float | None = None  # the review's score on the example's criterion, 0-100

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
    # The criteria the examples illustrate with their level descriptions, from the rubrics
    # in use: (criterion label, ((level, description), ...)).
    levels: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    @property
    def agents(self) -> tuple[str, ...]:
        """The agents whose conversations the examples come from."""
        return tuple(sorted({e.agent_id for e in self.examples if e.agent_id}))


def library_channels(installation: Installation) -> list[str]:
    """The channels the example library's channel filter offers."""
    with read_transaction(installation.engine) as conn:
        return sorted(report_store.known_channels(conn))


def find_examples(
    installation: Installation,
    filters: PackFilters,
    *,
    limit: int = 50,
    redactor: Redactor | None = None,
) -> tuple[PackExample, ...]:
    """Marked examples of the latest review versions matching ``filters``, newest first.

    Raises :class:`ReportScopeInvalid` for a bad scope (unknown criterion, label, agent or
    channel, inverted dates, a score or limit out of range); an empty result is returned as
    such.
    """
    installation.require_schema()
    if filters.label and filters.label not in EXAMPLE_LABELS:
        raise ReportScopeInvalid(
            f"unknown label: {filters.label} (use {' or '.join(EXAMPLE_LABELS)})"
        )
    labels = criterion_labels(installation)
    since, until = _period(filters)
    needle = (filters.search or "").strip().casefold()
    found: list[PackExample] = []
    with read_transaction(installation.engine) as conn:
        _check_filters(conn, filters, labels, limit)
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
        scores = _scores(conn, [int(r["review_seq"]) for r in rows])
        rows = [
            r
            for r in rows
            if filters.score_matches(scores.get((int(r["review_seq"]), r["criterion_id"])))
        ]
        master = installation.master_key()
        for batch in _batches(rows):
            keys = sorted({r["conversation_key"] for r in batch})
            conversations = {c.key: c for c in load_conversations(conn, keys, master=master)}
            comments = comments_by_message(conn, keys)
            shown = redactor or scan_redactor(conn, installation, conversations.values())
            for row in batch:
                conversation = conversations.get(row["conversation_key"])
                if conversation is None:
                    continue
                if filters.channel and conversation.channel != filters.channel:
                    continue
                if filters.intent and filters.intent not in conversation.intents:
                    continue
                item = PackExample(
                    example=view_example(row, conversation, labels, comments, shown),
                    first_seq=int(row["first_seq"]),
                    agent_id=row["agent_id"],
                    channel=conversation.channel,
                    intents=tuple(conversation.intents),
                    submitted_at=row["submitted_at"],
                    score=scores.get((int(row["review_seq"]), row["criterion_id"])),
                )
                if needle and needle not in item.searchable():
                    continue
                found.append(item)
                if len(found) >= limit:
                    return tuple(found)
    return tuple(found)


@dataclass(frozen=True)
class ReviewedConversation:
    """A conversation's latest submitted review as the library lists it; its text is redacted."""

    conversation_key: str
    review_seq: int
    reviewer: str
    agent_id: str | None
    channel: str
    intents: tuple[str, ...]
    submitted_at: str
    iqs: float | None
    critical_failed: bool
    examples: int  # coaching examples marked in the review
    criterion_score: float | None = None  # the chosen criterion's score, when one is chosen
    snippet: str = ""  # redacted text around the search match, when searching

    @property
    def score(self) -> float | None:
        """What the score filter reads: the chosen criterion's score, else the IQS."""
        return self.criterion_score if self.criterion_score is not None else self.iqs


def find_reviewed(
    installation: Installation,
    filters: PackFilters,
    *,
    limit: int = 50,
    redactor: Redactor | None = None,
) -> tuple[ReviewedConversation, ...]:
    """Conversations whose latest review matches ``filters``, newest review first, whether or
    not the reviewer marked examples in it.

    ``criterion`` keeps reviews that rated it (and the score filter reads its score instead of
    the IQS); ``label`` is a filter of marked examples and is not used here. ``search`` is a
    case-insensitive substring match over the redacted messages and comments of the
    conversation. Bad filters raise :class:`ReportScopeInvalid`, as in :func:`find_examples`.
    """
    installation.require_schema()
    labels = criterion_labels(installation)
    since, until = _period(filters)
    needle = (filters.search or "").strip().casefold()
    found: list[ReviewedConversation] = []
    with read_transaction(installation.engine) as conn:
        _check_filters(conn, filters, labels, limit)
        rows = report_store.latest_reviews(
            conn, agent_id=filters.agent, since=since, until=until, limit=REVIEW_SCAN_ROWS
        )
        scores = _scores(conn, [int(r["seq"]) for r in rows]) if filters.criterion else {}
        candidates = []
        for row in rows:
            criterion_score = (
                scores.get((int(row["seq"]), filters.criterion)) if filters.criterion else None
            )
            if filters.criterion and criterion_score is None:
                continue  # the criterion was not rated in this review
            score = criterion_score if filters.criterion else row["score"]
            if filters.score_matches(None if score is None else float(score)):
                candidates.append((row, criterion_score))
        master = installation.master_key()
        for start in range(0, len(candidates), BATCH):
            batch = candidates[start : start + BATCH]
            keys = sorted({row["conversation_key"] for row, _score in batch})
            conversations = {c.key: c for c in load_conversations(conn, keys, master=master)}
            comments = comments_by_message(conn, keys) if needle else {}
            shown = redactor or default_redactor()
            if needle and redactor is None:
                shown = scan_redactor(conn, installation, conversations.values())
            for row, criterion_score in batch:
                conversation = conversations.get(row["conversation_key"])
                if conversation is None:
                    continue
                if filters.channel and conversation.channel != filters.channel:
                    continue
                if filters.intent and filters.intent not in conversation.intents:
                    continue
                snippet = ""
                if needle:
                    snippet = _matching_snippet(conversation, comments, needle, shown)
                    if not snippet:
                        continue
                found.append(
                    ReviewedConversation(
                        conversation_key=row["conversation_key"],
                        review_seq=int(row["seq"]),
                        reviewer=row["reviewer"],
                        agent_id=row["agent_id"],
                        channel=conversation.channel,
                        intents=tuple(conversation.intents),
                        submitted_at=row["submitted_at"],
                        iqs=None if row["score"] is None else float(row["score"]),
                        critical_failed=bool(row["critical_failed"]),
                        examples=int(row["examples"] or 0),
                        criterion_score=criterion_score,
                        snippet=snippet,
                    )
                )
                if len(found) >= limit:
                    return tuple(found)
    return tuple(found)


def _matching_snippet(
    conversation: LedgerConversation,
    comments: Mapping[int, list[str]],
    needle: str,
    redactor: Redactor,
) -> str:
    """The redacted text around the first match of ``needle`` (casefolded), or ``""``."""
    people = list(conversation.participants.values())
    texts = [
        str(event.body.get("text", ""))
        for event in conversation.events
        if event.kind == RecordKind.MESSAGE
    ]
    texts.extend(c for event in conversation.events for c in comments.get(event.seq, ()))
    for text in texts:
        redacted = redactor.redact(text, participants=people).text
        at = redacted.casefold().find(needle)
        if at >= 0:
            start = max(0, at - SNIPPET_CHARS)
            end = min(len(redacted), at + len(needle) + SNIPPET_CHARS)
            return (
                ("…" if start else "") + redacted[start:end] + ("…" if end < len(redacted) else "")
            )
    return ""


def _period(filters: PackFilters) -> tuple[str | None, str | None]:
    return (
        format_time(filters.since) if filters.since else None,
        format_time(filters.until) if filters.until else None,
    )


def _check_filters(
    conn: Connection, filters: PackFilters, labels: Mapping[str, str], limit: int
) -> None:
    """Refuse a bad scope: limit or score out of range, inverted dates, unknown criterion,
    agent or channel."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ReportScopeInvalid(f"the limit must be between 1 and {MAX_LIMIT}, not {limit}")
    for name, score in (("minimum", filters.min_score), ("maximum", filters.max_score)):
        if score is not None and not 0 <= score <= 100:
            raise ReportScopeInvalid(f"the {name} score must be between 0 and 100, not {score:g}")
    if (
        filters.min_score is not None
        and filters.max_score is not None
        and filters.min_score > filters.max_score
    ):
        raise ReportScopeInvalid(
            f"the minimum score ({filters.min_score:g}) is above the maximum "
            f"({filters.max_score:g})"
        )
    check_dates(filters.since, filters.until)
    if filters.criterion and filters.criterion not in labels:
        raise ReportScopeInvalid(f"unknown criterion: {filters.criterion}")
    if filters.agent and not report_store.known_participants(
        conn, [filters.agent], roles=HUMAN_STAFF_ROLES
    ):
        raise ReportScopeInvalid(
            f"unknown agent: {filters.agent} (no conversation has them as staff)"
        )
    if filters.channel and filters.channel not in report_store.known_channels(conn):
        raise ReportScopeInvalid(f"unknown channel: {filters.channel}")


def _scores(conn: Connection, seqs: Sequence[int]) -> dict[tuple[int, str], float | None]:
    """(review seq, criterion id) → the criterion's score (0-100), None when not rated."""
    return {
        (int(r["seq"]), r["criterion_id"]): None if r["score"] is None else float(r["score"])
        for r in report_store.score_rows(conn, sorted(set(seqs)))
    }


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


def criterion_levels(
    installation: Installation, criterion_ids: Sequence[str]
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Each named criterion's label and level descriptions, as the rubrics in use give them."""
    wanted = list(dict.fromkeys(criterion_ids))
    found: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
    for rubric in available_rubrics(installation):
        for _section, criterion in rubric.criteria():
            if criterion.id in wanted and criterion.id not in found:
                found[criterion.id] = (
                    criterion.label,
                    tuple((lv.value, lv.description) for lv in criterion.levels),
                )
    return tuple(found[c] for c in wanted if c in found)


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
    min_score: float | None = None,
    max_score: float | None = None,
    limit: int = 10,
    renderer: Renderer,
    redactor: Redactor | None = None,
    actor: str | None = None,
) -> ReportResult:
    """Write a coaching pack of up to ``limit`` redacted examples (HTML, PDF); record it.

    ``actor`` is who asked (a web user); the configured actor when not given.
    """
    filters = PackFilters(
        criterion=criterion or None,
        intent=intent or None,
        agent=agent or None,
        label=label or None,
        channel=channel or None,
        since=since,
        until=until,
        search=search or None,
        min_score=min_score,
        max_score=max_score,
    )
    check_out(out)
    examples = find_examples(installation, filters, limit=limit, redactor=redactor)
    recorded = filters.as_json(redactor or default_redactor())
    if not examples:
        described = (
            ", ".join(f"{k}={v}" for k, v in recorded.items() if v is not None and v != "")
            or "everything"
        )
        raise EmptyScope(f"no marked example matches ({described}): no empty pack is written")
    subject = filters.criterion or filters.intent or "examples"
    pack = CoachingPack(
        title=f"Coaching pack: {examples[0].example.criterion_label if filters.criterion else subject}",
        origin=installation.origin,
        generated_at=format_time(utc_now()),
        generated_by=actor or installation.settings.actor,
        filters=recorded,
        examples=examples,
        levels=criterion_levels(installation, [e.example.criterion_id for e in examples]),
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
