"""Calibration sessions: open one, score blind, record the baseline, read the agreement."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditkit.accounts.users import Permission, Role, users_by_role
from auditkit.errors import InputRefused
from auditkit.quality import calibration
from auditkit.review import rubrics as review_rubrics

from .base.context import installation, user
from .base.errors import status_for
from .base.security import requires

bp = Blueprint("calibration", __name__, url_prefix="/calibration")


def _ratings() -> dict[str, str]:
    return {
        k[len("rating.") :]: v for k, v in request.form.items() if k.startswith("rating.") and v
    }


def _index(problems: list[str] | None = None) -> str:
    me = user()
    return render_template(
        "calibration.html",
        sessions=calibration.session_list(installation(), me),
        rubrics=review_rubrics.available_rubrics(installation())
        if me.can(Permission.CALIBRATION_MANAGE)
        else [],
        reviewers=users_by_role(installation(), {Role.ADMIN, Role.QA_REVIEWER})
        if me.can(Permission.CALIBRATION_MANAGE)
        else [],
        problems=problems or [],
        form=request.form,
    )


@bp.get("")
@requires(Permission.CALIBRATION_READ)
def index() -> str:
    """Calibration sessions; the form to open one for those who may."""
    return _index()


@bp.post("")
@requires(Permission.CALIBRATION_MANAGE)
def create() -> Response | tuple[str, int]:
    """Open a session over some conversations with some reviewers."""
    try:
        session_id = calibration.open_session(
            installation(),
            user(),
            title=request.form.get("title", ""),
            rubric_hash=request.form.get("rubric", ""),
            conversation_keys=request.form.get("conversations", "").split(),
            participant_ids=[int(v) for v in request.form.getlist("participant") if v.isdigit()],
        )
    except InputRefused as exc:
        return _index(exc.problems), status_for(exc)
    flash("Calibration session opened: participants score blind.", "success")
    return redirect(url_for("calibration.show", session_id=session_id))


@bp.get("/<int:session_id>")
@requires(Permission.CALIBRATION_READ)
def show(session_id: int) -> str:
    """Progress, and once the user is no longer blind, agreement and the side-by-side view."""
    view = calibration.session_view(installation(), user(), session_id)
    return render_template("calibration_session.html", view=view)


def _form(session_id: int, key: str, *, baseline: bool, problems: list[str] | None = None) -> str:
    form = calibration.scoring_form(installation(), user(), session_id, key, baseline=baseline)
    return render_template(
        "calibration_score.html",
        form=form,
        problems=problems or [],
        current=form.submitted or _ratings(),
    )


def _submit(session_id: int, key: str, *, baseline: bool) -> Response | tuple[str, int]:
    try:
        seq = calibration.submit_answer(
            installation(), user(), session_id, key, _ratings(), baseline=baseline
        )
    except InputRefused as exc:
        return _form(session_id, key, baseline=baseline, problems=exc.problems), status_for(exc)
    what = "Baseline" if baseline else "Calibration answer"
    flash(f"{what} for {key} recorded as record {seq}.", "success")
    return redirect(url_for("calibration.show", session_id=session_id))


@bp.get("/<int:session_id>/score/<path:key>")
@requires(Permission.CALIBRATION_WORK)
def score(session_id: int, key: str) -> str:
    """A participant's blind scoring form for one conversation."""
    return _form(session_id, key, baseline=False)


@bp.post("/<int:session_id>/score/<path:key>")
@requires(Permission.CALIBRATION_WORK)
def submit(session_id: int, key: str) -> Response | tuple[str, int]:
    """Record a participant's answer."""
    return _submit(session_id, key, baseline=False)


@bp.get("/<int:session_id>/baseline/<path:key>")
@requires(Permission.CALIBRATION_MANAGE)
def baseline(session_id: int, key: str) -> str:
    """The facilitator's baseline form for one conversation."""
    return _form(session_id, key, baseline=True)


@bp.post("/<int:session_id>/baseline/<path:key>")
@requires(Permission.CALIBRATION_MANAGE)
def submit_baseline(session_id: int, key: str) -> Response | tuple[str, int]:
    """Record the facilitator's baseline."""
    return _submit(session_id, key, baseline=True)


@bp.post("/<int:session_id>/close")
@requires(Permission.CALIBRATION_MANAGE)
def close(session_id: int) -> Response:
    """Close the session: its results become visible to everyone who may read it."""
    calibration.close_session(installation(), user(), session_id)
    flash("Session closed.", "success")
    return redirect(url_for("calibration.show", session_id=session_id))
