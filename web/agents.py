"""Each agent's review scores (the full dashboard comes with calibration)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from auditkit.accounts.users import Permission
from auditkit.autoqa import agreement as autoqa_agreement
from auditkit.review import history as review_history
from auditkit.review import listing

from .base.context import installation, user
from .base.forms import period_from_args
from .base.security import requires

bp = Blueprint("agents", __name__, url_prefix="/agents")


@bp.get("")
@requires(Permission.AGENT_SCORES_READ)
def index() -> str:
    """Agents with review count, IQS and critical failures over a period."""
    since, until, period = period_from_args(request.args)
    rows = review_history.agents_overview(installation(), user(), since=since, until=until)
    return render_template("agents.html", rows=rows, period=period)


@bp.get("/<path:agent_id>")
@requires(Permission.AGENT_SCORES_READ)
def show(agent_id: str) -> str:
    """One agent's reviews and per-criterion means, with AutoQA's beside them."""
    since, until, period = period_from_args(request.args)
    history = review_history.agent_history(
        installation(), user(), agent_id, since=since, until=until
    )
    trends = listing.agent_trends(installation(), user(), agent_id, since=since, until=until)
    examples = None
    if user().can(Permission.COACHING_READ):
        examples = review_history.coaching_examples(
            installation(), user(), agent=agent_id, limit=5
        ).examples
    autoqa = autoqa_agreement.agent_autoqa(
        installation(), user(), agent_id, since=since, until=until
    )
    return render_template(
        "agent.html",
        history=history,
        period=period,
        trends=trends,
        examples=examples,
        autoqa=autoqa,
    )
