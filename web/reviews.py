"""The reviewer's workspace: score, comment, mark coaching examples, autosave, submit; and
submitted reviews."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditkit.accounts.users import Permission
from auditkit.errors import InputRefused
from auditkit.quality import mentions
from auditkit.review import history as review_history
from auditkit.review import listing
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.workspace import DraftInput

from .base.context import installation, user
from .base.errors import status_for
from .base.forms import draft_from_form
from .base.pages import page_number, page_size
from .base.security import requires
from .base.templating import when
from .conversations import automatic, reveal_param

bp = Blueprint("reviews", __name__)


def _render(
    assignment_id: int, *, draft: DraftInput | None = None, problems: list[str] | None = None
) -> str:
    space = workspaces.workspace(installation(), user(), assignment_id, reveal_seq=reveal_param())
    if draft is not None:
        space = replace(space, draft=draft)
    auto = automatic(space.assignment.conversation_key)
    return render_template("workspace.html", space=space, problems=problems or [], auto=auto)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/reviews/<int:assignment_id>")
@requires(Permission.REVIEW_WRITE)
def workspace(assignment_id: int) -> str:
    """The conversation next to the scoring form generated from the rubric."""
    return _render(assignment_id)


@bp.post("/reviews/<int:assignment_id>/draft")
@requires(Permission.REVIEW_WRITE)
def save_draft(assignment_id: int) -> Response | tuple[str, int] | tuple[Response, int]:
    """Save the unfinished form (autosave posts here with ``Accept: application/json``)."""
    draft, action = draft_from_form(request.form)
    try:
        saved = workspaces.save_draft(installation(), user(), assignment_id, draft)
    except InputRefused as exc:
        if _wants_json() or action == "autosave":
            return jsonify(saved=False, problems=exc.problems), status_for(exc)
        return _render(assignment_id, draft=draft, problems=exc.problems), status_for(exc)
    if _wants_json() or action == "autosave":
        return jsonify(
            saved=True,
            saved_at=saved.saved_at,
            saved_at_display=when(saved.saved_at, seconds=True),
            score=saved.running.score,
            rated=saved.running.rated,
            total=saved.running.total,
            critical_failures=list(saved.running.critical_failures),
        )
    if action == "add_example":
        flash("Coaching example added to the draft.", "success")
    elif action.startswith("remove_example:"):
        flash("Coaching example removed from the draft.", "success")
    else:
        flash("Draft saved.", "success")
    return redirect(
        url_for("reviews.workspace", assignment_id=assignment_id, reveal=reveal_param())
    )


@bp.post("/reviews/<int:assignment_id>/submit")
@requires(Permission.REVIEW_WRITE)
def submit(assignment_id: int) -> Response | tuple[str, int]:
    """Score and append the review as a signed record."""
    draft, _action = draft_from_form(request.form)
    try:
        done = submissions.submit_review(installation(), user(), assignment_id, draft)
    except InputRefused as exc:
        return _render(assignment_id, draft=draft, problems=exc.problems), status_for(exc)
    score = f"score {done.score}" if done.score is not None else "not scorable (all N/A)"
    flash(
        f"Review version {done.version} submitted and signed as record {done.seq}: {score}.",
        "success",
    )
    if done.disagreements:
        flash(
            "Recorded with the review: your ratings disagree with the automated "
            f"check of {', '.join(done.disagreements)}.",
            "info",
        )
    return redirect(url_for("reviews.record", seq=done.seq))


@bp.post("/reviews/<int:assignment_id>/revise")
@requires(Permission.REVIEW_WRITE)
def revise(assignment_id: int) -> Response:
    """Start a new version of a submitted review (the old one stays, superseded)."""
    workspaces.start_revision(installation(), user(), assignment_id)
    flash("Editing a new version; the submitted one stays on record.", "info")
    return redirect(url_for("reviews.workspace", assignment_id=assignment_id))


@bp.post("/reviews/<int:assignment_id>/comments")
@requires(Permission.REVIEW_WRITE)
def comment(assignment_id: int) -> Response | tuple[str, int]:
    """Append a comment anchored to one message."""
    message_seq = request.form.get("message_seq", "")
    try:
        seq = submissions.add_comment(
            installation(), user(), assignment_id, message_seq, request.form.get("text", "")
        )
    except InputRefused as exc:
        return _render(assignment_id, problems=exc.problems), status_for(exc)
    named = mentions.mentioned(request.form.get("text", ""), mentions.usernames(installation()))
    told = f" Mentioned: {', '.join(named)} (in their Mentions list)." if named else ""
    flash(f"Comment recorded as record {seq}.{told}", "success")
    target = url_for("reviews.workspace", assignment_id=assignment_id, reveal=reveal_param())
    return redirect(f"{target}#m-{message_seq}")


@bp.get("/mentions")
@requires(Permission.REVIEW_READ)
def mentions_list() -> str:
    """Comments that mention the signed-in user (``@username``), newest first, read or not."""
    return render_template("mentions.html", found=mentions.mentions_of(installation(), user()))


@bp.post("/mentions/<int:comment_seq>/read")
@requires(Permission.REVIEW_READ)
def mention_read(comment_seq: int) -> Response:
    """Mark one mention of the signed-in user read."""
    mentions.mark_read(installation(), user(), comment_seq)
    return redirect(url_for("reviews.mentions_list"))


@bp.post("/mentions/read-all")
@requires(Permission.REVIEW_READ)
def mentions_read_all() -> Response:
    """Mark every mention of the signed-in user read (up to the newest the page showed)."""
    through = request.form.get("through", "")
    done = mentions.mark_all_read(
        installation(), user(), through=int(through) if through.isdecimal() else None
    )
    flash(f"{done} mention(s) marked read.", "success")
    return redirect(url_for("reviews.mentions_list"))


@bp.get("/review-records")
@requires(Permission.AGENT_SCORES_READ)
def index() -> str:
    """The reviews behind a number (latest versions): by agent, team, criterion, period."""
    query = listing.review_query(installation(), request.args)
    found = listing.review_listing(
        installation(),
        user(),
        query,
        page=page_number(request.args),
        per_page=page_size(request.args),
    )
    return render_template("review_list.html", found=found)


@bp.get("/review-records/<int:seq>")
@requires(Permission.REVIEW_READ)
def record(seq: int) -> str:
    """One submitted review version, read back from its ledger record."""
    detail = review_history.review_detail(installation(), user(), seq)
    return render_template("review.html", detail=detail)
