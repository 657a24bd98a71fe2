"""Coaching examples: message ranges reviewers marked exemplary or needing work, by criterion."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from auditkit.services import review
from auditkit.services.accounts import Permission
from auditkit.services.review import EXAMPLE_LABELS

from .context import installation, user
from .security import requires

bp = Blueprint("coaching", __name__, url_prefix="/coaching")


@bp.get("")
@requires(Permission.COACHING_READ)
def index() -> str:
    """Examples of the latest reviews, filtered by criterion, label and agent."""
    criterion = request.args.get("criterion", "").strip() or None
    label = request.args.get("label", "").strip() or None
    agent = request.args.get("agent", "").strip() or None
    view = review.coaching_examples(
        installation(), user(), criterion=criterion, label=label, agent=agent
    )
    return render_template(
        "coaching.html",
        view=view,
        labels=EXAMPLE_LABELS,
        chosen={"criterion": criterion or "", "label": label or "", "agent": agent or ""},
    )
