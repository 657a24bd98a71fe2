"""AutoQA on screen: a reviewer marks an automatic level wrong. The automatic scorecard and the
agreement table are partials (``_autoqa.html``) of the conversation, workspace and dashboard."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from auditkit.accounts.users import Permission
from auditkit.autoqa import results as autoqa_results
from auditkit.errors import InputRefused

from .base.context import installation, user
from .base.security import requires

bp = Blueprint("autoqa", __name__)


@bp.post("/reviews/<int:assignment_id>/autoqa-prefill")
@requires(Permission.REVIEW_WRITE)
def prefill(assignment_id: int) -> Response:
    """Fill the criteria the reviewer has not rated with the automatic levels, on request."""
    try:
        filled = autoqa_results.prefill_draft(installation(), user(), assignment_id)
    except InputRefused as exc:
        flash("; ".join(exc.problems), "error")
    else:
        flash(f"Filled {filled} unrated criteria with the automatic levels: check each.", "info")
    return redirect(url_for("reviews.workspace", assignment_id=assignment_id))


@bp.post("/autoqa/<path:key>/flag")
@requires(Permission.REVIEW_WRITE)
def flag(key: str) -> Response:
    """Record that one criterion's automatic level is wrong, then go back to where it was."""
    back = request.form.get("back", "")
    try:
        autoqa_results.flag_by(
            installation(),
            user(),
            conversation_id=key,
            rubric_hash=request.form.get("rubric_hash", ""),
            criterion_id=request.form.get("criterion", ""),
            note=request.form.get("note", ""),
        )
    except InputRefused as exc:
        flash("; ".join(exc.problems), "error")
    else:
        flash("Marked the automatic level wrong; it is counted in the agreement table.", "success")
    if back.isdigit():
        return redirect(url_for("reviews.workspace", assignment_id=int(back)) + "#autoqa")
    return redirect(url_for("conversations.show", key=key) + "#autoqa")
