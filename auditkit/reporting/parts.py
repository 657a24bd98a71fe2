"""Pieces every report shares (audit and coaching reports, coaching packs, the example library):
scope errors and checks, redaction of excerpts, marked examples as shown, and writing a
rendered report and recording it in the ledger.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from auditkit.db import Connection
from auditkit.errors import AuditkitError
from auditkit.home import private_dir, write_private
from auditkit.ledger.access import AccessAction, access_record
from auditkit.ledger.append import append_records
from auditkit.ledger.conversation import HUMAN_STAFF_ROLES, LedgerConversation
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import RecordKind, format_time
from auditkit.periods import utc_now
from auditkit.pii.masking import Redactor
from auditkit.review import store as review_store
from auditkit.review.rubrics import available_rubrics
from auditkit.review.transcript import transcript_item

MAX_EVIDENCE_CHARS = 400


class ReportScopeInvalid(AuditkitError):
    """The scope asked for cannot make a report (inverted dates, unknown agent, …)."""


class EmptyScope(ReportScopeInvalid):
    """No conversation (or no review) falls in the scope: no empty report is written."""


class ReportRefused(AuditkitError):
    """The report cannot be written where asked."""


@dataclass(frozen=True)
class BundleInfo:
    """The export bundle that proves the report's records."""

    directory: str
    manifest_sha256: str
    records: int
    export_seq: int


@dataclass(frozen=True)
class ExampleLine:
    """One redacted message of an example excerpt."""

    seq: int
    author: str
    text: str
    kind: str = "message"  # or the kind of a non-message event the example depends on


@dataclass(frozen=True)
class CoachingExampleView:
    """A message range a reviewer marked, with the comment and the criterion it illustrates."""

    conversation_key: str
    label: str
    criterion_id: str
    criterion_label: str
    reviewer: str
    note: str
    lines: tuple[ExampleLine, ...]
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenderedReport:
    """A report laid out: its HTML and the PDF made from it."""

    html: str
    pdf: bytes


Renderer = Callable[[Any], RenderedReport]


@dataclass(frozen=True)
class ReportResult:
    """Where a report was written and the ledger record of it."""

    html_path: Path
    pdf_path: Path
    record_seq: int
    pdf_sha256: str
    bundle: BundleInfo | None = None


def check_dates(since: datetime | None, until: datetime | None) -> None:
    """Refuse a period whose start is not before its end."""
    if since and until and since >= until:
        raise ReportScopeInvalid(
            f"--since ({format_time(since)}) must be earlier than --until ({format_time(until)})"
        )


def check_out(out: Path) -> None:
    """Refuse an output directory that exists and is not empty (nothing is overwritten)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReportRefused(f"{out} already exists and is not an empty directory")


def redact(redactor: Redactor, text: str, conversation: LedgerConversation | None = None) -> str:
    """``text`` redacted (knowing the conversation's participants) and cut to an excerpt."""
    people = conversation.participants.values() if conversation is not None else ()
    redacted = redactor.redact(text, participants=people).text
    if len(redacted) > MAX_EVIDENCE_CHARS:
        redacted = redacted[: MAX_EVIDENCE_CHARS - 1] + "…"
    return redacted


def criterion_labels(installation: Installation) -> dict[str, str]:
    """Criterion id → label, over every available rubric (the first label of an id wins)."""
    labels: dict[str, str] = {}
    for rubric in available_rubrics(installation):
        for _section, item in rubric.criteria():
            labels.setdefault(item.id, item.label)
    return labels


def comments_by_message(conn: Connection, keys: Sequence[str]) -> dict[int, list[str]]:
    """Reviewers' comments on the conversations ``keys``, as ``author: text`` by message seq."""
    found: dict[int, list[str]] = defaultdict(list)
    for key in keys:
        for row in review_store.comments_for_conversation(conn, key):
            found[int(row["message_seq"])].append(f"{row['author']}: {row['text']}")
    return found


CONTEXT_KINDS = frozenset(
    {RecordKind.CONSENT, RecordKind.ACTION, RecordKind.ESCALATION, RecordKind.ASSIGNMENT}
)


def view_example(
    row: Mapping[str, Any],
    conversation: LedgerConversation,
    labels: Mapping[str, str],
    comments: Mapping[int, list[str]],
    redactor: Redactor,
) -> CoachingExampleView:
    """A marked example row as shown: its message range, note and comments, all redacted."""
    lines = []
    notes: list[str] = []
    # The consent in force when the range starts: an example about consent depends on it.
    before = [
        e for e in conversation.events if e.kind == RecordKind.CONSENT and e.seq < row["first_seq"]
    ]
    for event in conversation.events:
        inside = row["first_seq"] <= event.seq <= row["last_seq"]
        if event.kind in CONTEXT_KINDS and (inside or (before and event is before[-1])):
            item = transcript_item(conversation, event, clear=False, redactor=redactor)
            lines.append(ExampleLine(seq=event.seq, author="", text=item.text, kind=item.kind))
            continue
        if event.kind != RecordKind.MESSAGE or not inside:
            continue
        author = event.body.get("author")
        role = conversation.role_of(author) or "unknown"
        person = conversation.participants.get(str(author))
        if role in HUMAN_STAFF_ROLES or role == "bot":
            who = (person.name if person and person.name else None) or str(author)
        else:
            who = role.capitalize()
        lines.append(
            ExampleLine(
                seq=event.seq,
                author=who,
                text=redact(redactor, str(event.body.get("text", "")), conversation),
            )
        )
        notes.extend(redact(redactor, c, conversation) for c in comments.get(event.seq, ()))
    return CoachingExampleView(
        conversation_key=row["conversation_key"],
        label=row["label"],
        criterion_id=row["criterion_id"],
        criterion_label=labels.get(row["criterion_id"], row["criterion_id"]),
        reviewer=row["reviewer"],
        note=redact(redactor, row["note"], conversation),
        lines=tuple(lines),
        comments=tuple(notes),
    )


def write_report(
    installation: Installation,
    out: Path,
    stem: str,
    rendered: RenderedReport,
    body: dict[str, Any],
    *,
    actor: str | None,
    bundle: BundleInfo | None = None,
) -> ReportResult:
    """Write the HTML and PDF, then append the ``access`` record naming their hashes."""
    private_dir(out)
    html_path, pdf_path = out / f"{stem}.html", out / f"{stem}.pdf"
    html_bytes = rendered.html.encode("utf-8")
    # Reports hold redacted text and the trail of who saw whom: the owner's alone.
    write_private(html_path, html_bytes)
    write_private(pdf_path, rendered.pdf)
    pdf_sha = hashlib.sha256(rendered.pdf).hexdigest()
    (record,) = append_records(
        installation,
        [
            access_record(
                AccessAction.REPORT,
                actor=actor or installation.settings.actor,
                occurred_at=utc_now(),
                **body,
                pdf_sha256=pdf_sha,
                html_sha256=hashlib.sha256(html_bytes).hexdigest(),
            )
        ],
    )
    return ReportResult(
        html_path=html_path,
        pdf_path=pdf_path,
        record_seq=record.seq,
        pdf_sha256=pdf_sha,
        bundle=bundle,
    )
