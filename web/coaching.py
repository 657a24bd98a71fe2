"""The example library: marked examples and reviewed conversations across agents, filtered and
searched (redacted text), and a coaching pack built from the same filters."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.datastructures import MultiDict

from auditkit.accounts.users import Permission
from auditkit.periods import day_bounds
from auditkit.reporting.packs import (
    PackExample,
    PackFilters,
    ReviewedConversation,
    find_examples,
    find_reviewed,
    library_channels,
)
from auditkit.reporting.parts import ReportScopeInvalid, criterion_labels
from auditkit.review.workspace import EXAMPLE_LABELS

from .base.context import installation
from .base.forms import optional_date, refuse_if
from .base.security import requires

bp = Blueprint("coaching", __name__, url_prefix="/coaching")

FIELDS = (
    "criterion",
    "label",
    "intent",
    "channel",
    "agent",
    "since",
    "until",
    "min_score",
    "max_score",
    "q",
)
VIEWS = ("examples", "reviewed")
LIBRARY_LIMIT = 50


def pack_filters(form: MultiDict[str, str]) -> tuple[PackFilters, dict[str, str]]:
    """The library's filters from a query string or form, and the values to show again."""
    problems: list[str] = []
    since = optional_date(form, "since", "from", problems)
    until = optional_date(form, "until", "to", problems)
    min_score = _optional_score(form, "min_score", "minimum score", problems)
    max_score = _optional_score(form, "max_score", "maximum score", problems)
    refuse_if(problems)
    start, end = day_bounds(since, until)
    chosen = {name: form.get(name, "").strip() for name in FIELDS}
    filters = PackFilters(
        criterion=chosen["criterion"] or None,
        label=chosen["label"] or None,
        intent=chosen["intent"] or None,
        channel=chosen["channel"] or None,
        agent=chosen["agent"] or None,
        since=start,
        until=end,
        search=chosen["q"] or None,
        min_score=min_score,
        max_score=max_score,
    )
    return filters, chosen


def _optional_score(
    form: MultiDict[str, str], name: str, label: str, problems: list[str]
) -> float | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        problems.append(f"{label}: {value!r} is not a number (0-100)")
        return None


@bp.get("")
@requires(Permission.COACHING_READ)
def index() -> str:
    """Marked examples (``view=examples``, the default) or reviewed conversations
    (``view=reviewed``) of the latest reviews, filtered by criterion, score, kind, intent,
    channel, agent and period, searched over their redacted text."""
    filters, chosen = pack_filters(request.args)
    view = request.args.get("view", "examples")
    if view not in VIEWS:
        view = "examples"
    problem = None
    examples: tuple[PackExample, ...] = ()
    reviewed: tuple[ReviewedConversation, ...] = ()
    try:
        if view == "reviewed":
            reviewed = find_reviewed(installation(), filters, limit=LIBRARY_LIMIT)
        else:
            examples = find_examples(installation(), filters, limit=LIBRARY_LIMIT)
    except ReportScopeInvalid as exc:
        problem = str(exc)
    channels = library_channels(installation())
    return render_template(
        "coaching.html",
        view=view,
        examples=examples,
        reviewed=reviewed,
        criteria=sorted(criterion_labels(installation()).items(), key=lambda kv: kv[1]),
        channels=channels,
        labels=EXAMPLE_LABELS,
        chosen=chosen,
        problem=problem,
        filtered=any(chosen.values()),
    )
