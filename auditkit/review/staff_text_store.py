"""Erasure of what reviewers typed about a subject's conversations, in the review tables.

The log keeps review summaries, notes, example notes and comments sealed under the
subject's key; these are the query and working tables' clear copies, overwritten with the
erased marker (the same value ``verify`` rebuilds from the erased records).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select, update

from auditkit.ledger.projections.registry import ErasedSubject
from auditkit.review.tables import (
    coaching_examples,
    review_assignments,
    review_comments,
    review_drafts,
)

CHUNK = 500


def _erased_draft(content: dict[str, Any], erased: str) -> dict[str, Any]:
    return {
        **content,
        "notes": {criterion: erased for criterion in content.get("notes", {})},
        "summary": erased if content.get("summary") else "",
        "examples": [
            {**example, "note": erased if example.get("note") else ""}
            for example in content.get("examples", [])
        ],
    }


def erase_review_staff_text(conn: Connection, subject: ErasedSubject, erased: str) -> None:
    """Overwrite comments, example notes, reassignment reasons and drafts of ``keys``."""
    keys = list(subject.conversations)
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        conn.execute(
            update(review_comments)
            .where(review_comments.c.conversation_key.in_(part))
            .values(text=erased)
        )
        conn.execute(
            update(coaching_examples)
            .where(coaching_examples.c.conversation_key.in_(part))
            .values(note=erased)
        )
        conn.execute(
            update(review_assignments)
            .where(review_assignments.c.conversation_key.in_(part))
            .where(review_assignments.c.reassign_reason.is_not(None))
            .values(reassign_reason=erased)
        )
        drafts = conn.execute(
            select(review_drafts.c.assignment_id, review_drafts.c.content).where(
                review_drafts.c.assignment_id.in_(
                    select(review_assignments.c.id).where(
                        review_assignments.c.conversation_key.in_(part)
                    )
                )
            )
        ).tuples()
        for assignment_id, content in list(drafts):
            conn.execute(
                update(review_drafts)
                .where(review_drafts.c.assignment_id == assignment_id)
                .values(
                    content=json.dumps(_erased_draft(json.loads(content), erased), sort_keys=True)
                )
            )
