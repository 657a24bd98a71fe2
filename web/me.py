"""An agent's own view (role ``agent``): their reviews, scores, reviewers' comments and
coaching examples; acknowledge a review (optionally with a comment) and contest it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditkit.accounts.users import Permission
from auditkit.errors import Conflict, InputRefused
from auditkit.quality import disputes, own_work

from .base.context import installation, user
from .base.errors import status_for
from .base.security import requires

bp = Blueprint("me", __name__, url_prefix="/me")


@bp.get("")
@requires(Permission.OWN_WORK)
def index() -> str:
    """The agent's reviews, IQS and coaching examples."""
    return render_template("me.html", work=own_work.my_work(installation(), user()))


def _review(seq: int, problems: list[str] | None = None) -> str:
    mine = own_work.my_review(installation(), user(), seq)
    return render_template("me_review.html", mine=mine, problems=problems or [])


@bp.get("/reviews/<int:seq>")
@requires(Permission.OWN_WORK)
def review(seq: int) -> str:
    """One review of the agent's work: ratings, notes, summary, comments, examples."""
    return _review(seq)


@bp.post("/reviews/<int:seq>/acknowledge")
@requires(Permission.OWN_WORK)
def acknowledge(seq: int) -> Response | tuple[str, int]:
    """Record that the agent read the review, with an optional comment (a signed record)."""
    try:
        own_work.acknowledge(installation(), user(), seq, request.form.get("comment", ""))
    except (InputRefused, Conflict) as exc:
        problems = exc.problems if isinstance(exc, InputRefused) else [str(exc)]
        return _review(seq, problems), status_for(exc)
    flash("Acknowledged: the reviewer and your coach can see it.", "success")
    return redirect(url_for("me.review", seq=seq))


def _dispute_form(seq: int, problems: list[str] | None = None) -> str:
    return render_template(
        "dispute_new.html",
        form=own_work.my_dispute_form(installation(), user(), seq),
        problems=problems or [],
        proposed={k[9:]: v for k, v in request.form.items() if k.startswith("proposed.")},
        comment=request.form.get("comment", ""),
    )


@bp.get("/reviews/<int:seq>/dispute")
@requires(Permission.OWN_WORK)
def dispute_form(seq: int) -> str:
    """The proposal form to contest a review of one's own work."""
    return _dispute_form(seq)


@bp.post("/reviews/<int:seq>/dispute")
@requires(Permission.OWN_WORK)
def dispute(seq: int) -> Response | tuple[str, int]:
    """Contest a review of one's own work (a ``review.dispute`` record)."""
    proposed = {k[9:]: v for k, v in request.form.items() if k.startswith("proposed.")}
    try:
        disputes.open_dispute(
            installation(), user(), seq, comment=request.form.get("comment", ""), proposed=proposed
        )
    except InputRefused as exc:
        return _dispute_form(seq, exc.problems), status_for(exc)
    flash("Dispute opened; the reviewer will answer it.", "success")
    return redirect(url_for("me.review", seq=seq))
