"""Rubrics: what each criterion means, its levels, weight and critical rule."""

from __future__ import annotations

from flask import Blueprint, render_template

from auditkit.accounts.users import Permission
from auditkit.review import history as review_history

from .base.context import installation, user
from .base.security import requires

bp = Blueprint("rubrics", __name__, url_prefix="/rubrics")


@bp.get("")
@requires(Permission.RUBRIC_READ)
def index() -> str:
    """The rubrics available for new assignments, with their content hashes."""
    return render_template(
        "rubrics.html", rubrics=review_history.rubrics_overview(installation(), user())
    )


@bp.get("/<content_hash>")
@requires(Permission.RUBRIC_READ)
def show(content_hash: str) -> str:
    """One rubric in full."""
    rubric = review_history.rubric_detail(installation(), user(), content_hash)
    return render_template("rubric.html", rubric=rubric)
