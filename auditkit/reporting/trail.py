"""The audit report's trail: who revealed, exported, erased or held what.

Two views, both in the report and labelled apart: every access, erasure and legal-hold
record that *touched the conversations in scope* (whenever it was done: a March report
generated in May shows the May reveal of a March conversation), and every such record
*done during the period* (whatever it touched).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from auditkit.db import Connection
from auditkit.ledger.access import REFERENCE, AccessAction
from auditkit.ledger.records import RecordKind
from auditkit.ledger.sealing.cipher import ERASED, MasterKey, sealed_subject
from auditkit.ledger.sealing.data_keys import DataKeys, unseal_mapping
from auditkit.pii.masking import Redactor
from auditkit.reporting.parts import redact

# The steps of a four-eyes erasure request (issue 15): each names the subject.
REQUEST_KINDS = {
    RecordKind.ERASURE_REQUESTED: "erasure requested",
    RecordKind.ERASURE_APPROVED: "erasure approved",
    RecordKind.ERASURE_REJECTED: "erasure rejected",
}
TRAIL_KINDS = (
    RecordKind.ACCESS,
    RecordKind.ERASURE,
    *REQUEST_KINDS,
    RecordKind.LEGAL_HOLD_ADDED,
    RecordKind.LEGAL_HOLD_REMOVED,
)


@dataclass(frozen=True)
class AccessEntry:
    """One ``access``, ``erasure`` or legal-hold record, as an auditor reads it."""

    seq: int
    at: str
    kind: str
    action: str
    actor: str
    conversation: str | None
    detail: str


@dataclass(frozen=True)
class Trail:
    """The access and erasure/hold records, by what they touched and by when they were done."""

    access_touching: tuple[AccessEntry, ...]
    access_during: tuple[AccessEntry, ...]
    erasures_touching: tuple[AccessEntry, ...]
    erasures_during: tuple[AccessEntry, ...]


def subject_reference(subject: str) -> str:
    """A stable pseudonym for a data subject: customer ids often embed the person's name."""
    return "subject-" + hashlib.sha256(subject.encode("utf-8")).hexdigest()[:12]


def redact_keeping_references(redactor: Redactor, text: str) -> str:
    """``text`` redacted, except case, ticket and request references, kept as written."""
    pieces: list[str] = []
    start = 0
    for match in REFERENCE.finditer(text):
        if match.start() > start:
            pieces.append(redact(redactor, text[start : match.start()]))
        pieces.append(match.group(0))
        start = match.end()
    if start < len(text) or not pieces:
        pieces.append(redact(redactor, text[start:]))
    return "".join(pieces)


def open_trail_rows(
    conn: Connection,
    rows: Iterable[tuple[int, str, str | None, str, bytes]],
    master: MasterKey | None,
) -> list[tuple[int, str, str | None, str, dict[str, Any]]]:
    """Decode trail records, opening the reveal reasons sealed under a subject's key (an
    erased subject's read as erased)."""
    keys = DataKeys(conn, master) if master is not None else None
    opened = []
    for seq, kind, key, at, entry in rows:
        body = json.loads(entry).get("body", {})
        if keys is not None and sealed_subject(body) is not None:
            body = unseal_mapping(kind, body, seq=seq, conversation=key, keys=keys)
        opened.append((seq, kind, key, at, body))
    return opened


def build_trail(
    rows: Iterable[tuple[int, str, str | None, str, Mapping[str, Any]]],
    *,
    scoped: set[str],
    customers: Mapping[str, set[str]],
    since: str | None,
    until: str | None,
    redactor: Redactor,
) -> Trail:
    """Sort the trail records (seq, kind, conversation, occurred_at, body) into both views.

    ``customers`` maps each data subject of a scoped conversation to those conversations,
    so a hold or erasure on the subject counts as touching them.
    """
    access_touching: list[AccessEntry] = []
    access_during: list[AccessEntry] = []
    erasures_touching: list[AccessEntry] = []
    erasures_during: list[AccessEntry] = []
    subject_of_hold: dict[int, str] = {}
    for seq, kind, key, at, body in rows:
        if kind == RecordKind.LEGAL_HOLD_ADDED and body.get("subject"):
            subject_of_hold[seq] = str(body["subject"])
        touched = _touches(kind, key, body, scoped, customers, subject_of_hold)
        during = (since is None or at >= since) and (until is None or at < until)
        if not (touched or during):
            continue
        line = _entry(seq, kind, key, at, body, redactor, subject_of_hold)
        is_access = kind == RecordKind.ACCESS
        if touched:
            (access_touching if is_access else erasures_touching).append(line)
        if during:
            (access_during if is_access else erasures_during).append(line)
    return Trail(
        tuple(access_touching),
        tuple(access_during),
        tuple(erasures_touching),
        tuple(erasures_during),
    )


def _touches(
    kind: str,
    key: str | None,
    body: Mapping[str, Any],
    scoped: set[str],
    customers: Mapping[str, set[str]],
    subject_of_hold: Mapping[int, str],
) -> bool:
    if key is not None:
        return key in scoped
    if kind == RecordKind.ACCESS:
        scope = body.get("scope")
        named = scope.get("conversations") if isinstance(scope, dict) else None
        if body.get("action") == AccessAction.EXPORT and not named:
            return True  # a whole-log export holds every conversation
        return bool(set(named or ()) & scoped)
    if kind == RecordKind.ERASURE:
        return bool(set(body.get("conversations") or ()) & scoped) or (
            str(body.get("subject")) in customers
        )
    if kind == RecordKind.LEGAL_HOLD_ADDED or kind in REQUEST_KINDS:
        return str(body.get("subject")) in customers
    if kind == RecordKind.LEGAL_HOLD_REMOVED:
        return subject_of_hold.get(int(body.get("hold_seq", -1)), "") in customers
    return False


def _entry(
    seq: int,
    kind: str,
    key: str | None,
    at: str,
    body: Mapping[str, Any],
    redactor: Redactor,
    subject_of_hold: Mapping[int, str],
) -> AccessEntry:
    actor = str(body.get("actor", ""))
    if kind == RecordKind.ACCESS:
        action = str(body.get("action", "access"))
        return AccessEntry(
            seq, at, kind, action, actor, key, _access_detail(action, body, redactor)
        )
    if kind == RecordKind.ERASURE:
        conversations = body.get("conversations") or []
        detail = (
            f"{subject_reference(str(body.get('subject', '')))}; "
            f"{len(conversations)} conversation(s)"
        )
        action = "erasure"
        if body.get("approved_by"):
            detail += (
                f"; request at seq {body.get('request_seq')} by {body.get('requested_by')}, "
                f"approved by {body.get('approved_by')}"
            )
    elif kind in REQUEST_KINDS:
        action = REQUEST_KINDS[RecordKind(kind)]
        detail = subject_reference(str(body.get("subject", "")))
        if kind != RecordKind.ERASURE_REQUESTED:
            detail += f"; request at seq {body.get('request_seq', '?')}"
            note = redact_keeping_references(redactor, str(body.get("note", "")))
            return AccessEntry(
                seq, at, kind, action, actor, key, f"{detail}; note: {note}" if note else detail
            )
    elif kind == RecordKind.LEGAL_HOLD_ADDED:
        action = "hold added"
        subject = body.get("subject")
        detail = subject_reference(str(subject)) if subject else ""
    else:
        action = "hold released"
        subject = subject_of_hold.get(int(body.get("hold_seq", -1)))
        detail = f"hold at seq {body.get('hold_seq', '?')}"
        if subject:
            detail += f" on {subject_reference(subject)}"
    reason = redact_keeping_references(redactor, str(body.get("reason", "")))
    references = body.get("references")
    if reason == ERASED and isinstance(references, list) and references:
        # Sealed under the erased subject's key: the references it named were kept clear.
        reason += " (references: " + ", ".join(str(r) for r in references) + ")"
    detail = f"{detail}; reason: {reason}" if detail else f"reason: {reason}"
    return AccessEntry(seq, at, kind, action, actor, key, detail)


def _access_detail(action: str, body: Mapping[str, Any], redactor: Redactor) -> str:
    if action == AccessAction.REVEAL:
        return "reason: " + redact_keeping_references(redactor, str(body.get("reason", "")))
    if action == AccessAction.EXPORT:
        scope = body.get("scope") or {}
        count = len(scope.get("conversations") or [])
        what = f"{count} conversation(s)" if count else "whole log"
        return f"{what}, {body.get('records', '?')} records"
    if action == AccessAction.REPORT:
        return f"{body.get('report', '')} report, {body.get('conversations', '?')} conversations"
    if action == AccessAction.DOWNLOAD:
        return (
            f"{body.get('file', '')} of the {body.get('report', '')} report "
            f"at seq {body.get('report_seq', '?')}"
        )
    return redact_keeping_references(redactor, str(body.get("reason", "")))
