"""Disputes: a coach or admin contests a review; its reviewer accepts, partially accepts or rejects.

Every step is a ``review.dispute`` record. Accepting (wholly or partly) appends a new
version of the review (a ``review`` record that supersedes the contested one and names the
dispute), so the change counts in IQS like any other latest version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.db.engine import read_transaction
from auditkit.errors import AccessDenied, Conflict, InputRefused, NotFound
from auditkit.ledger.append import appending
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import record_body
from auditkit.ledger.records import RecordDraft, RecordKind
from auditkit.ledger.sealing.cipher import MasterKey
from auditkit.periods import utc_now
from auditkit.pii.masking import staff_text_redactor
from auditkit.quality import store as quality_store
from auditkit.review import history as review_history
from auditkit.review import rubrics as review_rubrics
from auditkit.review import store as review_store
from auditkit.review.projections import review_projection
from auditkit.rubric import NOT_APPLICABLE, Rubric, format_score, rating_problems, score_review

MAX_TEXT = 4000


class Decision(StrEnum):
    """The reviewer's answer to a dispute."""

    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        """The decision as people write it."""
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class DisputeLine:
    """One criterion of the contested review: its rating, and the proposed one if any."""

    criterion_id: str
    label: str
    levels: tuple[str, ...]
    na_allowed: bool
    rating: str
    proposed: str | None
    final: str | None  # in the version the dispute produced, if any


@dataclass(frozen=True)
class Dispute:
    """A dispute and its current state."""

    id: int
    review_id: str
    review_seq: int
    conversation_key: str
    reviewer: str
    opened_by: str
    opened_at: str
    comment: str
    proposed: Mapping[str, str]
    status: str
    response: str | None
    resolved_at: str | None
    result_seq: int | None


@dataclass(frozen=True)
class DisputeDetail:
    """A dispute with the contested review's criteria side by side."""

    dispute: Dispute
    lines: tuple[DisputeLine, ...]
    score: str | None
    result_score: str | None
    can_resolve: bool


@dataclass(frozen=True)
class DisputeForm:
    """The contested review, for writing a dispute."""

    review: review_history.ReviewDetail
    lines: tuple[DisputeLine, ...]


def _dispute(row: Mapping[str, Any]) -> Dispute:
    return Dispute(
        id=int(row["id"]),
        review_id=row["review_id"],
        review_seq=int(row["review_seq"]),
        conversation_key=row["conversation_key"],
        reviewer=row["reviewer"],
        opened_by=row["opened_by"],
        opened_at=row["opened_at"],
        comment=row["comment"],
        proposed=json.loads(row["proposed"]),
        status=row["status"],
        response=row["response"],
        resolved_at=row["resolved_at"],
        result_seq=row["result_seq"],
    )


def _body(conn: Any, seq: int, master: MasterKey | None) -> dict[str, Any]:
    # Opened: the reviewer's notes are sealed under the conversation's subject.
    return record_body(conn, seq, master=master)


def _lines(
    rubric: Rubric,
    body: Mapping[str, Any],
    proposed: Mapping[str, str],
    final: Mapping[str, Any] | None = None,
) -> tuple[DisputeLine, ...]:
    final_ratings = {r["criterion"]: r["rating"] for r in final["ratings"]} if final else {}
    rated = {r["criterion"]: r["rating"] for r in body["ratings"]}
    return tuple(
        DisputeLine(
            criterion_id=c.id,
            label=c.label,
            levels=c.scale.levels,
            na_allowed=c.na_allowed,
            rating=rated.get(c.id, NOT_APPLICABLE),
            proposed=proposed.get(c.id),
            final=final_ratings.get(c.id),
        )
        for _section, c in rubric.criteria()
    )


def _rating_problems(rubric: Rubric, ratings: Mapping[str, str]) -> list[str]:
    return [str(p) for p in rating_problems(rubric, ratings, complete=False)]


def dispute_form(installation: Installation, user: User, review_seq: int) -> DisputeForm:
    """The latest version of a review, to contest."""
    user.require(Permission.DISPUTE_OPEN)
    return form_for(installation, review_history.review_detail(installation, user, review_seq))


def form_for(installation: Installation, detail: review_history.ReviewDetail) -> DisputeForm:
    """The proposal form over a review the caller may contest."""
    with read_transaction(installation.engine) as conn:
        body = _body(conn, detail.summary.seq, installation.master_key())
    return DisputeForm(review=detail, lines=_lines(detail.rubric, body, {}))


def open_dispute(
    installation: Installation,
    user: User,
    review_seq: int,
    *,
    comment: str,
    proposed: Mapping[str, str],
) -> int:
    """Contest the latest version of a review; returns the dispute id (its record's seq).

    Coaches and admins contest any review; an agent only a review of their own work.
    """
    if not user.can(Permission.DISPUTE_OPEN):
        user.require(Permission.OWN_WORK)
    comment = comment.strip()
    with appending(installation) as batch:
        conn = batch.conn
        row = review_store.review_at(conn, review_seq)
        if row is None:
            raise NotFound(f"no review record {review_seq}")
        if not user.can(Permission.DISPUTE_OPEN) and (
            not user.participant_id or row["agent_id"] != user.participant_id
        ):
            raise NotFound(f"no review record {review_seq} of your work")
        versions = review_store.review_versions(conn, row["review_id"])
        if int(versions[-1]["seq"]) != review_seq:
            raise Conflict("a newer version of this review exists: contest that one")
        if quality_store.open_dispute_for(conn, row["review_id"]) is not None:
            raise Conflict("this review already has an open dispute")
        body = _body(conn, review_seq, installation.master_key())
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
        rated = {r["criterion"]: r["rating"] for r in body["ratings"]}
        changes = {k: v for k, v in proposed.items() if v and rated.get(k) != v}
        problems = []
        if not comment:
            problems.append("comment: say what is wrong with the review")
        if len(comment) > MAX_TEXT:
            problems.append(f"comment: at most {MAX_TEXT} characters")
        problems.extend(_rating_problems(rubric, changes))
        if not changes:
            problems.append("proposed scores: change at least one criterion")
        if problems:
            raise InputRefused(problems)
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.REVIEW_DISPUTE,
                    conversation=row["conversation_key"],
                    occurred_at=utc_now(),
                    body={
                        "action": "opened",
                        "review_id": row["review_id"],
                        "review_seq": review_seq,
                        "reviewer": row["reviewer"],
                        "actor": user.username,
                        "role": str(user.role),
                        "comment": comment,
                        "proposed": [
                            {"criterion": k, "rating": v} for k, v in sorted(changes.items())
                        ],
                    },
                )
            ]
        )
        quality_store.insert_dispute(
            conn,
            {
                "id": record.seq,
                "review_id": row["review_id"],
                "review_seq": review_seq,
                "conversation_key": row["conversation_key"],
                "reviewer": row["reviewer"],
                "opened_by": user.username,
                "opened_at": record.recorded_at,
                "opened_seq": record.seq,
                "comment": comment,
                "proposed": json.dumps(changes, sort_keys=True),
                "status": "open",
                "response": None,
                "resolved_at": None,
                "resolved_seq": None,
                "result_seq": None,
            },
        )
    return record.seq


def resolve_dispute(
    installation: Installation,
    user: User,
    dispute_id: int,
    *,
    decision: str,
    response: str,
    final: Mapping[str, str] | None = None,
) -> int | None:
    """The reviewer's answer, as a record; accepting appends a new review version (its seq
    is returned). ``final`` holds the ratings kept for a partial acceptance."""
    user.require(Permission.DISPUTE_RESOLVE)
    response = response.strip()
    with appending(installation) as batch:
        conn = batch.conn
        row = quality_store.dispute(conn, dispute_id)
        if row is None:
            raise NotFound(f"no dispute {dispute_id}")
        if row["reviewer"] != user.username:
            raise AccessDenied("only the review's reviewer answers its dispute")
        if row["status"] != "open":
            raise Conflict("this dispute was already answered")
        problems = []
        if decision not in set(Decision):
            problems.append("decision: accept, partially accept or reject")
        if decision != Decision.ACCEPTED and not response:
            problems.append("response: say why")
        if len(response) > MAX_TEXT:
            problems.append(f"response: at most {MAX_TEXT} characters")
        proposed: dict[str, str] = json.loads(row["proposed"])
        body = _body(conn, int(row["review_seq"]), installation.master_key())
        rubric = review_rubrics.stored_rubric(conn, body["rubric"]["content_hash"])
        ratings = {r["criterion"]: r["rating"] for r in body["ratings"]}
        if decision == Decision.ACCEPTED:
            ratings.update(proposed)
        elif decision == Decision.PARTIALLY_ACCEPTED:
            chosen = {k: v for k, v in (final or {}).items() if v and k in proposed}
            problems.extend(_rating_problems(rubric, chosen))
            if not any(ratings.get(k) != v for k, v in chosen.items()):
                problems.append("partial acceptance: change at least one proposed criterion")
            if chosen == proposed:
                problems.append("partial acceptance: that is every proposed change — accept it")
            ratings.update(chosen)
        if problems:
            raise InputRefused(problems)
        versions = review_store.review_versions(conn, row["review_id"])
        if int(versions[-1]["seq"]) != int(row["review_seq"]):
            raise Conflict("the review changed since it was contested")
        result_seq = None
        drafts = []
        if decision != Decision.REJECTED:
            drafts.append(_new_version(rubric, body, ratings, row, versions[-1]))
        drafts.append(
            RecordDraft(
                kind=RecordKind.REVIEW_DISPUTE,
                conversation=row["conversation_key"],
                occurred_at=utc_now(),
                body={
                    "action": decision,
                    "dispute": dispute_id,
                    "review_id": row["review_id"],
                    "actor": user.username,
                    "response": response,
                    "ratings": [{"criterion": k, "rating": ratings[k]} for k in sorted(proposed)],
                },
            )
        )
        records = batch.append(drafts)
        if decision != Decision.REJECTED:
            version_record = records[0]
            result_seq = version_record.seq
            review_row, score_rows, example_rows = review_projection(version_record)
            review_store.insert_review(conn, review_row, score_rows, example_rows)
        done = quality_store.resolve_dispute(
            conn,
            dispute_id,
            {
                "status": decision,
                "response": response,
                "resolved_at": records[-1].recorded_at,
                "resolved_seq": records[-1].seq,
                "result_seq": result_seq,
            },
        )
        if not done:
            raise Conflict("this dispute was answered meanwhile")
    return result_seq


def _new_version(
    rubric: Rubric,
    body: Mapping[str, Any],
    ratings: Mapping[str, str],
    row: Mapping[str, Any],
    latest: Mapping[str, Any],
) -> RecordDraft:
    result = score_review(rubric, ratings)
    notes = {r["criterion"]: r.get("note", "") for r in body["ratings"]}
    new_body = {
        **body,
        "version": int(latest["version"]) + 1,
        "supersedes": int(latest["seq"]),
        "dispute": int(row["id"]),
        "ratings": [
            {
                "criterion": r.criterion,
                "section": r.section,
                "rating": r.rating,
                "score": format_score(r.score),
                "note": notes.get(r.criterion, ""),
            }
            for r in result.criteria
        ],
        "sections": [
            {"section": s.section, "score": format_score(s.score), "zeroed": s.zeroed}
            for s in result.sections
        ],
        "critical_failures": list(result.critical_failures),
        "score": format_score(result.score),
    }
    return RecordDraft(
        kind=RecordKind.REVIEW,
        conversation=row["conversation_key"],
        occurred_at=utc_now(),
        body=new_body,
    )


def dispute_list(
    installation: Installation, user: User, *, status: str | None = None
) -> list[Dispute]:
    """Disputes, newest first; a reviewer sees the ones on their reviews first."""
    user.require(Permission.DISPUTE_READ)
    with read_transaction(installation.engine) as conn:
        rows = quality_store.dispute_rows(conn, status=status or None)
    return [_dispute(r) for r in rows]


def dispute_detail(installation: Installation, user: User, dispute_id: int) -> DisputeDetail:
    """A dispute with the contested ratings, the proposed ones and the outcome."""
    user.require(Permission.DISPUTE_READ)
    with read_transaction(installation.engine) as conn:
        row = quality_store.dispute(conn, dispute_id)
        if row is None:
            raise NotFound(f"no dispute {dispute_id}")
        found = _dispute(row)
        body = _body(conn, found.review_seq, installation.master_key())
        result = (
            _body(conn, found.result_seq, installation.master_key())
            if found.result_seq is not None
            else None
        )
        rubric = review_rubrics.stored_rubric(conn, body["rubric"]["content_hash"])
        # Staff-typed text is masked like the conversation's messages (see pii.masking).
        mask = staff_text_redactor(conn, installation, found.conversation_key)
        found = replace(
            found,
            comment=mask(found.comment),
            response=mask(found.response) if found.response else found.response,
        )
    return DisputeDetail(
        dispute=found,
        lines=_lines(rubric, body, found.proposed, result),
        score=body["score"],
        result_score=result["score"] if result else None,
        can_resolve=found.status == "open"
        and found.reviewer == user.username
        and user.can(Permission.DISPUTE_RESOLVE),
    )
