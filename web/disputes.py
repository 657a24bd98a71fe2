"""Disputes: contest a review with a comment and proposed scores; the reviewer answers."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditkit.accounts.users import Permission
from auditkit.errors import InputRefused
from auditkit.quality import disputes

from .base.context import installation, user
from .base.errors import status_for
from .base.security import requires

bp = Blueprint("disputes", __name__)


def _choices(prefix: str) -> dict[str, str]:
    return {k[len(prefix) :]: v for k, v in request.form.items() if k.startswith(prefix) and v}


@bp.get("/disputes")
@requires(Permission.DISPUTE_READ)
def index() -> str:
    """Disputes, newest first, optionally by status."""
    status = request.args.get("status", "")
    rows = disputes.dispute_list(installation(), user(), status=status)
    return render_template("disputes.html", rows=rows, status=status)


def _new(seq: int, problems: list[str] | None = None) -> str:
    form = disputes.dispute_form(installation(), user(), seq)
    return render_template(
        "dispute_new.html",
        form=form,
        problems=problems or [],
        proposed=_choices("proposed."),
        comment=request.form.get("comment", ""),
    )


@bp.get("/review-records/<int:seq>/dispute")
@requires(Permission.DISPUTE_OPEN)
def new(seq: int) -> str:
    """The contested review next to the proposal form."""
    return _new(seq)


@bp.post("/review-records/<int:seq>/dispute")
@requires(Permission.DISPUTE_OPEN)
def contest(seq: int) -> Response | tuple[str, int]:
    """Open the dispute (a ``review.dispute`` record)."""
    try:
        dispute_id = disputes.open_dispute(
            installation(),
            user(),
            seq,
            comment=request.form.get("comment", ""),
            proposed=_choices("proposed."),
        )
    except InputRefused as exc:
        return _new(seq, exc.problems), status_for(exc)
    flash(f"Dispute {dispute_id} opened; the reviewer will answer it.", "success")
    return redirect(url_for("disputes.show", dispute_id=dispute_id))


def _show(dispute_id: int, problems: list[str] | None = None) -> str:
    detail = disputes.dispute_detail(installation(), user(), dispute_id)
    return render_template("dispute.html", detail=detail, problems=problems or [])


@bp.get("/disputes/<int:dispute_id>")
@requires(Permission.DISPUTE_READ)
def show(dispute_id: int) -> str:
    """A dispute: the comment, ratings side by side, the answer."""
    return _show(dispute_id)


@bp.post("/disputes/<int:dispute_id>/resolve")
@requires(Permission.DISPUTE_RESOLVE)
def resolve(dispute_id: int) -> Response | tuple[str, int]:
    """The reviewer accepts, partially accepts or rejects."""
    try:
        result = disputes.resolve_dispute(
            installation(),
            user(),
            dispute_id,
            decision=request.form.get("decision", ""),
            response=request.form.get("response", ""),
            final=_choices("final."),
        )
    except InputRefused as exc:
        return _show(dispute_id, exc.problems), status_for(exc)
    if result is None:
        flash("Dispute rejected; the review stands.", "success")
    else:
        flash(f"Dispute answered: the review's new version is record {result}.", "success")
    return redirect(url_for("disputes.show", dispute_id=dispute_id))
