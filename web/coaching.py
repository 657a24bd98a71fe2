"""The example library: marked examples and reviewed conversations across agents, filtered and
searched (redacted text), and a coaching pack built from the same filters."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from auditkit.accounts.users import Permission
from auditkit.autoqa import coaching as autoqa_coaching
from auditkit.errors import InputRefused
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
from auditkit.review.workspace import EXAMPLE_LABELS, ExampleInput

from .base.context import installation, user
from .base.errors import status_for
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
CANDIDATE_LIMIT = 20  # each shown candidate is redacted live, as its conversation page is


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


def _candidates_page(problems: list[str], status: int = 200) -> tuple[str, int]:
    args = request.args if request.method == "GET" else request.form
    raw = args.get("evidence", "").strip()
    agent = args.get("agent", "").strip() or None
    candidates: list[autoqa_coaching.CandidateExample] = []
    if raw:
        try:
            wanted = autoqa_coaching.evidence_choice(raw)
            candidates = autoqa_coaching.candidate_examples(
                installation(), user(), wanted, agent=agent, limit=CANDIDATE_LIMIT
            )
        except InputRefused as exc:
            problems = [*problems, *exc.problems]
            status = status_for(exc)
    page = render_template(
        "coaching_candidates.html",
        evidence=list(autoqa_coaching.Evidence),
        chosen={"evidence": raw, "agent": agent or ""},
        candidates=candidates,
        labels=EXAMPLE_LABELS,
        criteria=dict(criterion_labels(installation())),
        problems=problems,
    )
    return page, status


@bp.get("/candidates")
@requires(Permission.COACHING_READ)
def candidates() -> tuple[str, int]:
    """Candidate examples found in AutoQA's evidence (``evidence=``, ``agent=``), redacted."""
    return _candidates_page([])


@bp.post("/candidates/confirm")
@requires(Permission.REVIEW_WRITE)
def confirm() -> Response | tuple[str, int]:
    """Add a candidate to the reviewer's own draft of the conversation as a coaching example
    (signed with the review when they submit it)."""
    form = request.form
    assignment = form.get("assignment_id", "")
    try:
        if not assignment.isdigit():
            raise InputRefused(["assignment_id: choose one of your open assignments"])
        autoqa_coaching.confirm_candidate(
            installation(),
            user(),
            int(assignment),
            ExampleInput(
                first_seq=form.get("first_seq", ""),
                last_seq=form.get("last_seq", ""),
                label=form.get("label", ""),
                criterion=form.get("criterion", ""),
                note=form.get("note", ""),
            ),
        )
    except InputRefused as exc:
        return _candidates_page(exc.problems, status_for(exc))
    flash(
        "Added to your draft as a coaching example: it enters the library, signed, when you "
        "submit the review.",
        "success",
    )
    return redirect(url_for("reviews.workspace", assignment_id=int(assignment)))
