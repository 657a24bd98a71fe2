"""Four-eyes erasure: one compliance officer requests the erasure of a data subject with a
reason, a second, different one approves (or either rejects), then it is carried out by
the one erasure path (``privacy.erasure``). Every step is a signed record, the same from
the CLI (``auditkit erasure``) and the web (``/admin/erasure``):
``erasure.requested``, ``erasure.approved``, ``erasure.rejected`` and the ``erasure`` itself,
which names the request, who asked and who approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.db.engine import read_transaction
from auditkit.errors import AccessDenied, Conflict, InputRefused, NotFound
from auditkit.ledger.append import appending
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import RecordDraft, RecordKind, format_time
from auditkit.ledger.sealing import store as sealing_store
from auditkit.periods import utc_now
from auditkit.privacy import erasure
from auditkit.privacy import store as privacy_store

MIN_REASON = 10
LIST_LIMIT = 200


class RequestStatus(StrEnum):
    """Where an erasure request stands."""

    PENDING = "pending"  # waiting for a second compliance officer
    APPROVED = "approved"  # may be carried out
    REJECTED = "rejected"  # closed; nothing erased
    CARRIED_OUT = "carried_out"  # erased (``erasure_seq`` names the record)


@dataclass(frozen=True)
class ErasureRequest:
    """One four-eyes erasure request and its steps."""

    id: int
    subject: str
    reason: str
    status: RequestStatus
    requested_by: str
    requested_at: str
    request_seq: int
    decided_by: str | None
    decided_at: str | None
    decision_seq: int | None
    decision_note: str | None
    carried_out_by: str | None
    carried_out_at: str | None
    erasure_seq: int | None


def _request(row: Mapping[str, Any]) -> ErasureRequest:
    return ErasureRequest(
        id=int(row["id"]),
        subject=row["subject"],
        reason=row["reason"],
        status=RequestStatus(row["status"]),
        requested_by=row["requested_by"],
        requested_at=row["requested_at"],
        request_seq=int(row["request_seq"]),
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        decision_seq=row["decision_seq"],
        decision_note=row["decision_note"],
        carried_out_by=row["carried_out_by"],
        carried_out_at=row["carried_out_at"],
        erasure_seq=row["erasure_seq"],
    )


def request_erasure(
    installation: Installation, user: User, *, subject: str, reason: str
) -> ErasureRequest:
    """Ask for the erasure of ``subject`` (a customer participant id), with a reason."""
    user.require(Permission.ERASURE_MANAGE)
    installation.require_schema()
    subject, reason = subject.strip(), reason.strip()
    problems = []
    if not subject:
        problems.append("subject: name the data subject (the customer's participant id)")
    if len(reason) < MIN_REASON:
        problems.append(
            f"reason: at least {MIN_REASON} characters (the request or case it answers)"
        )
    if problems:
        raise InputRefused(problems)
    if installation.master_key() is None:
        raise erasure.ErasureRefused(
            "erasure needs sealed storage (AUDITKIT_SEALING=on): nothing can be erased here"
        )
    now = utc_now()
    with appending(installation) as batch:
        conn = batch.conn
        if not sealing_store.conversations_of_subject(conn, subject):
            raise NotFound(f"no data subject {subject!r}: no conversation has them as customer")
        if subject in sealing_store.erased_subjects(conn):
            raise Conflict(f"subject {subject!r} is already erased")
        open_requests = privacy_store.open_requests_of(conn, subject)
        if open_requests:
            raise Conflict(
                f"subject {subject!r} already has erasure request #{open_requests[0]['id']} "
                f"({open_requests[0]['status']})"
            )
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.ERASURE_REQUESTED,
                    conversation=None,
                    occurred_at=now,
                    body={"subject": subject, "reason": reason, "actor": user.username},
                )
            ]
        )
        request_id = privacy_store.insert_erasure_request(
            conn,
            subject=subject,
            reason=reason,
            requested_by=user.username,
            requested_at=format_time(now),
            request_seq=record.seq,
        )
        row = privacy_store.erasure_request(conn, request_id)
    assert row is not None
    return _request(row)


def decide(
    installation: Installation,
    user: User,
    request_id: int,
    *,
    approve: bool,
    note: str = "",
) -> ErasureRequest:
    """Approve (a compliance officer other than the requester) or reject (with a reason) a
    pending request; the decision is a signed record."""
    user.require(Permission.ERASURE_MANAGE)
    installation.require_schema()
    note = note.strip()
    if not approve and len(note) < MIN_REASON:
        raise InputRefused([f"reason: a rejection needs at least {MIN_REASON} characters"])
    now = utc_now()
    with appending(installation) as batch:
        conn = batch.conn
        row = privacy_store.erasure_request(conn, request_id)
        if row is None:
            raise NotFound(f"no erasure request #{request_id}")
        if row["status"] != RequestStatus.PENDING:
            raise Conflict(f"erasure request #{request_id} is {row['status']}, not pending")
        if approve and row["requested_by"] == user.username:
            raise AccessDenied(
                f"erasure request #{request_id} was made by you ({user.username}): "
                "a second compliance officer must approve it (four-eyes)"
            )
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.ERASURE_APPROVED if approve else RecordKind.ERASURE_REJECTED,
                    conversation=None,
                    occurred_at=now,
                    body={
                        "request_seq": row["request_seq"],
                        "subject": row["subject"],
                        "actor": user.username,
                        "note": note,
                    },
                )
            ]
        )
        if not privacy_store.decide_erasure_request(
            conn,
            request_id,
            status=RequestStatus.APPROVED if approve else RequestStatus.REJECTED,
            decided_by=user.username,
            decided_at=format_time(now),
            decision_seq=record.seq,
            note=note or None,
        ):
            raise Conflict(f"erasure request #{request_id} was decided meanwhile")
        decided = privacy_store.erasure_request(conn, request_id)
    assert decided is not None
    return _request(decided)


def carry_out(
    installation: Installation, user: User, request_id: int
) -> tuple[ErasureRequest, erasure.ErasureResult]:
    """Erase the subject of an approved request (refused under a legal hold; the request then
    stays approved); the ``erasure`` record names the request and both officers."""
    user.require(Permission.ERASURE_MANAGE)
    installation.require_schema()
    with read_transaction(installation.engine) as conn:
        row = privacy_store.erasure_request(conn, request_id)
    if row is None:
        raise NotFound(f"no erasure request #{request_id}")
    if row["status"] != RequestStatus.APPROVED:
        raise Conflict(
            f"erasure request #{request_id} is {row['status']}: only an approved request "
            "is carried out"
        )
    approval = erasure.Approval(
        request_id=request_id,
        request_seq=int(row["request_seq"]),
        approval_seq=int(row["decision_seq"]),
        requested_by=row["requested_by"],
        approved_by=row["decided_by"],
        actor=user.username,
    )
    (result,) = erasure.erase_subjects(
        installation, [row["subject"]], reason=row["reason"], approval=approval
    )
    with read_transaction(installation.engine) as conn:
        done = privacy_store.erasure_request(conn, request_id)
    assert done is not None
    return _request(done), result


def list_requests(
    installation: Installation, user: User, *, include_closed: bool = True
) -> list[ErasureRequest]:
    """Open requests (pending, approved) first, then, unless left out, the closed ones;
    newest first within each."""
    user.require(Permission.ERASURE_MANAGE)
    installation.require_schema()
    statuses = [RequestStatus.PENDING, RequestStatus.APPROVED]
    closed = [RequestStatus.CARRIED_OUT, RequestStatus.REJECTED]
    with read_transaction(installation.engine) as conn:
        rows = privacy_store.erasure_requests_by_status(conn, statuses, limit=LIST_LIMIT)
        if include_closed:
            rows += privacy_store.erasure_requests_by_status(conn, closed, limit=LIST_LIMIT)
    return [_request(r) for r in rows]
