"""The quality dashboard and grading the grader."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditkit.accounts.users import Permission
from auditkit.autoqa import agreement as autoqa_agreement
from auditkit.errors import InputRefused
from auditkit.quality import dashboard
from auditkit.review import history as review_history

from .base.context import installation, user
from .base.errors import status_for
from .base.forms import period_from_args
from .base.security import requires

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@requires(Permission.DASHBOARD_READ)
def index() -> str:
    """IQS by agent, team, criterion and week; queue progress; policy failures."""
    since, until, period = period_from_args(request.args)
    board = dashboard.dashboard(installation(), user(), since=since, until=until)
    agreement = autoqa_agreement.dashboard_agreement(installation(), user())
    return render_template("dashboard.html", board=board, period=period, agreement=agreement)


@bp.get("/graders")
@requires(Permission.GRADER_CHECK)
def graders() -> str:
    """Each reviewer's spot-check verdicts and calibration alignment."""
    overview = dashboard.grader_overview(installation(), user())
    return render_template("dashboard_graders.html", overview=overview)


def _check_form(seq: int, problems: list[str] | None = None) -> str:
    detail = review_history.review_detail(installation(), user(), seq)
    return render_template(
        "dashboard_check.html",
        detail=detail,
        verdicts=list(dashboard.Verdict),
        causes=list(dashboard.RootCause),
        problems=problems or [],
        form=request.form,
    )


@bp.get("/review-records/<int:seq>/grader-check")
@requires(Permission.GRADER_CHECK)
def check_form(seq: int) -> str:
    """The spot-check scorecard for one review version."""
    return _check_form(seq)


@bp.post("/review-records/<int:seq>/grader-check")
@requires(Permission.GRADER_CHECK)
def check(seq: int) -> Response | tuple[str, int]:
    """Record the spot-check."""
    try:
        dashboard.check_review(
            installation(),
            user(),
            seq,
            verdict=request.form.get("verdict", ""),
            root_cause=request.form.get("root_cause", ""),
            note=request.form.get("note", ""),
        )
    except InputRefused as exc:
        return _check_form(seq, exc.problems), status_for(exc)
    flash("Spot-check recorded.", "success")
    return redirect(url_for("dashboard.graders"))
