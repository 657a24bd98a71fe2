"""Erasure by crypto-shredding, legal holds, retention and master-key rotation."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from auditkit.db.engine import read_transaction, scrub_free_space
from auditkit.errors import NotFound
from auditkit.ledger.append import AppendBatch, appending
from auditkit.ledger.installation import Installation
from auditkit.ledger.projections import staff_store
from auditkit.ledger.projections.registry import ErasedSubject, registered_staff_text_erasers
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import RecordDraft, RecordKind, format_time
from auditkit.ledger.sealing import store as sealing_store
from auditkit.ledger.sealing.cipher import (
    ERASED,
    MasterKey,
    SealingError,
    generate_master_key,
    unwrap_data_key,
    wrap_data_key,
)
from auditkit.periods import utc_now
from auditkit.privacy import store as privacy_store
from auditkit.privacy.holds import Hold as Hold  # re-exported: holds were defined here
from auditkit.privacy.holds import add_hold as add_hold
from auditkit.privacy.holds import list_holds as list_holds
from auditkit.privacy.holds import remove_hold as remove_hold
from auditkit.privacy.retention import closed_at as closed_at  # re-exported: defined here before
from auditkit.privacy.retention import subjects_due
from auditkit.privacy.subjects import ErasureRefused as ErasureRefused
from auditkit.privacy.subjects import clear_in_log, identifiers_of, names_of, safe_references


@dataclass(frozen=True)
class ErasureResult:
    """What one erasure did."""

    subject: str
    conversations: tuple[str, ...]
    messages_purged: int
    erasure_seq: int
    # Records written before their kind's free text was sealed (older auditkit versions)
    # that still hold it clear in the log: append-only keeps them as they are.
    clear_in_log: tuple[int, ...] = ()


@dataclass(frozen=True)
class Approval:
    """The four-eyes approval an erasure carries out: the request, who asked, who approved,
    and who carries it out (named in the ``erasure`` record; the request row is closed in the
    same transaction, so a request is carried out once)."""

    request_id: int
    request_seq: int
    approval_seq: int
    requested_by: str
    approved_by: str
    actor: str


def _require_sealing(installation: Installation) -> MasterKey:
    master = installation.master_key()
    if master is None:
        raise ErasureRefused(
            "erasure needs sealed storage (AUDITKIT_SEALING=on): with sealing off personal "
            "content is stored clear in the log and cannot be crypto-shredded"
        )
    return master


def erase_subject(installation: Installation, subject: str, *, reason: str) -> ErasureResult:
    """Destroy ``subject``'s data key, purge their clear text, and record the erasure."""
    (result,) = erase_subjects(installation, [subject], reason=reason)
    return result


def erase_subjects(
    installation: Installation,
    subjects: Sequence[str],
    *,
    reason: str,
    approval: Approval | None = None,
) -> list[ErasureResult]:
    """Erase several subjects in one transaction (all or none), then scrub free space once.

    ``approval`` names the approved four-eyes request of a single subject (what ``auditkit
    erasure carry-out`` does); retention runs erase by the configured rules without one.
    """
    installation.require_schema()
    master = _require_sealing(installation)
    if not reason.strip():
        raise ErasureRefused("an erasure needs a reason (--reason)")
    if len(set(subjects)) != len(subjects):
        raise ErasureRefused("a subject is named twice")
    if approval is not None and len(subjects) != 1:
        raise ErasureRefused("an approved request erases exactly one subject")
    results: list[ErasureResult] = []
    with appending(installation) as batch:
        conn = batch.conn
        rows = sealing_store.subject_key_rows(conn, subjects)
        for subject in subjects:
            results.append(
                _erase_one(
                    batch, master, subject, rows.get(subject), reason, installation, approval
                )
            )
    _scrub_free_space(installation)
    return results


def _erase_one(
    batch: AppendBatch,
    master: MasterKey,
    subject: str,
    row: sealing_store.SubjectKeyRow | None,
    reason: str,
    installation: Installation,
    approval: Approval | None,
) -> ErasureResult:
    conn = batch.conn
    conversations = sealing_store.conversations_of_subject(conn, subject)
    if not conversations and row is None:
        raise NotFound(f"no data subject {subject!r}: no conversation has them as customer")
    if row is not None and row.wrapped_key is None:
        raise ErasureRefused(f"subject {subject!r} was already erased at {row.erased_at}")
    holds = privacy_store.active_holds(conn, subject=subject, conversation_keys=conversations)
    if holds:
        named = ", ".join(f"#{h['id']} ({h['reason']})" for h in holds)
        raise ErasureRefused(f"subject {subject!r} is under legal hold {named}: not erased")
    now = utc_now()
    # Read while the key still opens them, never stored: what erasers look for outside the log.
    opened = load_conversations(conn, conversations, master=master)
    identifiers = identifiers_of(opened, subject)
    names = names_of(opened, subject)
    # The reason is sealed under the subject's key (it is about them, and reviewers type
    # their details into it): shredded with everything else a moment later. The case or
    # request references it names stay clear, for the auditor.
    body: dict[str, object] = {
        "subject": subject,
        "reason": reason,
        "references": safe_references(reason, identifiers),
        "actor": installation.settings.actor if approval is None else approval.actor,
        "conversations": conversations,
    }
    if approval is not None:
        body.update(
            request_seq=approval.request_seq,
            approval_seq=approval.approval_seq,
            requested_by=approval.requested_by,
            approved_by=approval.approved_by,
        )
    (record,) = batch.append(
        [RecordDraft(kind=RecordKind.ERASURE, conversation=None, occurred_at=now, body=body)]
    )
    if approval is not None and not privacy_store.mark_carried_out(
        conn,
        approval.request_id,
        by=approval.actor,
        at=format_time(now),
        erasure_seq=record.seq,
    ):
        raise ErasureRefused(f"erasure request #{approval.request_id} is no longer approved")
    # Sealing the reason created the key if the subject had none (conversations imported
    # with sealing off): it is destroyed all the same.
    sealing_store.destroy_subject_key(
        conn, subject=subject, erased_at=format_time(now), erasure_seq=record.seq
    )
    if batch.data_keys is not None:
        batch.data_keys.forget(subject)
    purged = sealing_store.purge_message_text(conn, conversations, ERASED)
    privacy_store.erase_hold_reasons(
        conn, subject=subject, conversation_keys=conversations, erased=ERASED
    )
    privacy_store.erase_request_reasons(conn, subject=subject, erased=ERASED)
    clear = clear_in_log(conn, subject, conversations)
    # What staff typed about these conversations is sealed in the log under this key; the
    # features' clear copies (comments, notes, disputes, drafts) are overwritten here.
    erased = ErasedSubject(
        subject, tuple(conversations), identifiers, names, master, erasure_seq=record.seq
    )
    for erase_staff_text in registered_staff_text_erasers():
        erase_staff_text(conn, erased, ERASED)
    # Names are re-derived from the log as it now reads (erased where they were sealed).
    staff: set[str] = set()
    for conversation in load_conversations(conn, conversations, master=master):
        for person in conversation.participants.values():
            sealing_store.set_participant_name(
                conn,
                conversation_key=conversation.key,
                participant_id=person.id,
                name=person.name,
            )
            if person.role != staff_store.CUSTOMER:
                staff.add(person.id)
    # The small staff table is kept from ``participants``: re-derive the rows of these ids.
    staff_store.refresh_staff(conn, staff)
    return ErasureResult(
        subject=subject,
        conversations=tuple(conversations),
        messages_purged=purged,
        erasure_seq=record.seq,
        clear_in_log=tuple(clear),
    )


# Tables whose overwritten bytes must leave the database files (PostgreSQL VACUUMs them).
SCRUBBED_TABLES = (
    "messages",
    "conversation_timelines",
    "participants",
    "subject_keys",
    "review_comments",
    "coaching_examples",
    "review_assignments",
    "review_drafts",
    "disputes",
    "grader_checks",
    "webhook_rejections",
    "legal_holds",
)


def _scrub_free_space(installation: Installation) -> None:
    scrub_free_space(installation.engine, SCRUBBED_TABLES)


# --- retention ------------------------------------------------------------------------------


@dataclass
class RetentionReport:
    """What a retention run erased, would erase (dry run), or skipped."""

    dry_run: bool
    erased: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    kept: int = 0


def apply_retention(
    installation: Installation, *, dry_run: bool, now: datetime | None = None
) -> RetentionReport:
    """Erase every subject whose conversations have all passed their retention period.

    A data key covers all of a subject's conversations, so a subject is erased only when
    none of their conversations is still within retention; holds are skipped and reported.
    """
    installation.require_schema()
    _require_sealing(installation)
    now = now or utc_now()
    report = RetentionReport(dry_run=dry_run)
    rules = installation.settings.retention
    due = subjects_due(installation, rules, now)
    report.kept = due.kept
    with read_transaction(installation.engine) as conn:
        holds = privacy_store.active_holds(conn)
        held = {h["subject"] for h in holds if h["subject"] is not None}
        held_conversations = {
            h["conversation_key"] for h in holds if h["conversation_key"] is not None
        }
        for subject in due.due:
            if subject in held or (
                held_conversations
                and held_conversations & set(sealing_store.conversations_of_subject(conn, subject))
            ):
                report.held.append(subject)
            else:
                report.erased.append(subject)
    if not dry_run and report.erased:
        erase_subjects(installation, report.erased, reason="retention period expired")
    return report


# --- master key rotation ----------------------------------------------------------------------


def rotate_master_key(installation: Installation) -> tuple[str, str, int]:
    """Re-wrap every live data key under a new master key; nothing is re-encrypted."""
    installation.require_schema()
    old = _require_sealing(installation)
    settings = installation.settings
    if settings.master_key_text:
        raise ErasureRefused(
            "the master key comes from AUDITKIT_MASTER_KEY: rotate it with a key file "
            "(AUDITKIT_MASTER_KEY_FILE) so auditkit can replace it atomically"
        )
    new = generate_master_key()
    path = settings.master_key_path
    staged = path.with_name(path.name + ".new")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(new.encoded() + "\n")
    count = 0
    try:
        with appending(installation) as batch:
            for row in sealing_store.all_subject_key_rows(batch.conn):
                if row.wrapped_key is None:
                    continue
                if row.master_key_id != old.key_id:
                    raise SealingError(
                        f"subject {row.subject!r} is wrapped by an unknown master key"
                    )
                data_key = unwrap_data_key(old, row.subject, row.wrapped_key)
                sealing_store.rewrap_subject_key(
                    batch.conn,
                    subject=row.subject,
                    wrapped_key=wrap_data_key(new, row.subject, data_key),
                    master_key_id=new.key_id,
                )
                count += 1
            batch.append(
                [
                    RecordDraft(
                        kind=RecordKind.MASTER_KEY_ROTATED,
                        conversation=None,
                        occurred_at=utc_now(),
                        body={
                            "previous_key_id": old.key_id,
                            "new_key_id": new.key_id,
                            "data_keys": count,
                            "actor": settings.actor,
                        },
                    )
                ]
            )
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    os.replace(staged, path)
    installation._master = new
    return old.key_id, new.key_id, count
