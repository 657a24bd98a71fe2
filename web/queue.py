"""The review queue: a reviewer's own assignments, and the manager's sampling and reassigning."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from auditkit.accounts.users import Permission
from auditkit.autoqa import listing as autoqa_listing
from auditkit.autoqa import spotlight
from auditkit.errors import InputRefused
from auditkit.periods import utc_now
from auditkit.quality import sampling_rules
from auditkit.review import queue as review_queue
from auditkit.review.sampling import SampleFilter, SamplingMethod

from .base.context import installation, user
from .base.errors import status_for
from .base.forms import optional_date, refuse_if, whole_number
from .base.security import requires

bp = Blueprint("queue", __name__, url_prefix="/queue")


@bp.get("")
@requires(Permission.QUEUE_WORK)
def mine() -> str:
    """The signed-in reviewer's open assignments, earliest due first."""
    page = request.args.get("page", "1")
    shown = autoqa_listing.queue_page(
        installation(), user(), page=int(page) if page.isascii() and page.isdigit() else 1
    )
    return render_template(
        "queue.html", assignments=shown.queue.items, queue=shown.queue, auto=shown.auto
    )


def _manage_page(problems: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    view = review_queue.manage_view(installation(), user())
    page = render_template(
        "manage.html",
        view=view,
        methods=list(SamplingMethod),
        filters=list(SampleFilter),
        signals=list(spotlight.AutoqaSignal),
        silence_minutes=spotlight.DEFAULT_SILENCE_MINUTES,
        slow_minutes=review_queue.DEFAULT_SLOW_RESPONSE_MINUTES,
        min_sessions=review_queue.DEFAULT_MIN_SESSIONS,
        problems=problems or [],
        form=request.form if request.method == "POST" else MultiDict(),
        rules=sampling_rules.rule_histories(installation(), user()),
    )
    return page, status


@bp.get("/manage")
@requires(Permission.QUEUE_MANAGE)
def manage() -> tuple[str, int]:
    """Sampling form, open assignments of every reviewer, reassignment."""
    return _manage_page()


def _request_from_form(
    form: MultiDict[str, str],
) -> tuple[review_queue.SampleRequest, spotlight.AutoqaFocus]:
    """The sampling form as a request and its AutoQA focus; every bad field refused at once."""
    problems: list[str] = []
    focus = spotlight.AutoqaFocus()
    try:
        focus = spotlight.focus_from_values(
            score_min=form.get("autoqa_min", ""),
            score_max=form.get("autoqa_max", ""),
            signals=form.getlist("autoqa_signals"),
            silence_minutes=form.get("silence_minutes", ""),
        )
    except InputRefused as exc:
        problems.extend(exc.problems)
    try:
        method = SamplingMethod(form.get("method", ""))
    except ValueError:
        problems.append("method: choose random, a stratification or most informative")
        method = SamplingMethod.RANDOM
    filters: set[SampleFilter] = set()
    for value in form.getlist("filters"):
        try:
            filters.add(SampleFilter(value))
        except ValueError:
            problems.append(f"filters: unknown filter {value!r}")
    size = whole_number(form, "size", "sample size", problems)
    long_messages = whole_number(
        form,
        "long_messages",
        "long conversations",
        problems,
        default=review_queue.DEFAULT_LONG_MESSAGES,
    )
    slow_minutes = whole_number(
        form,
        "slow_minutes",
        "slow first response",
        problems,
        default=review_queue.DEFAULT_SLOW_RESPONSE_MINUTES,
    )
    min_sessions = whole_number(
        form,
        "min_sessions",
        "several sessions",
        problems,
        default=review_queue.DEFAULT_MIN_SESSIONS,
    )
    due_on = optional_date(form, "due_on", "due date", problems)
    if due_on is None and not form.get("due_on"):
        problems.append("due date: required")
    since = optional_date(form, "since", "period start", problems)
    until = optional_date(form, "until", "period end", problems)
    reviewer_ids = []
    for value in form.getlist("reviewers"):
        if value.isdigit():
            reviewer_ids.append(int(value))
        else:
            problems.append("reviewers: choose from the list")
    refuse_if(problems)
    assert size is not None and due_on is not None and long_messages is not None
    assert slow_minutes is not None and min_sessions is not None
    asked = review_queue.SampleRequest(
        method=method,
        size=size,
        filters=frozenset(filters),
        rubric_hash=form.get("rubric", ""),
        reviewer_ids=tuple(dict.fromkeys(reviewer_ids)),
        due_on=due_on,
        channel=form.get("channel") or None,
        since=since,
        until=until,
        long_messages=long_messages,
        slow_response_minutes=slow_minutes,
        min_sessions=min_sessions,
        seed=form.get("seed", "").strip() or None,
        failed_policies=tuple(dict.fromkeys(form.getlist("failed_policies"))),
    )
    return asked, focus


@bp.post("/sample")
@requires(Permission.QUEUE_MANAGE)
def sample() -> Response | tuple[str, int]:
    """Draw conversations by the chosen rule and assign them."""
    try:
        asked, focus = _request_from_form(request.form)
        outcome = spotlight.sample_with_focus(installation(), user(), asked, focus)
    except InputRefused as exc:
        return _manage_page(exc.problems, status_for(exc))

    message = (
        f"Sample {outcome.sample_id}: {outcome.assigned} of {outcome.eligible} eligible "
        f"conversations assigned (seed {outcome.seed}"
        + (f"; {focus.text()}" if focus.text() else "")
        + f"). Coverage of the period: {outcome.coverage.text()}."
    )
    if outcome.skipped_own:
        message += (
            f" {len(outcome.skipped_own)} drawn but not assigned: every chosen reviewer took part "
            f"in them ({', '.join(outcome.skipped_own[:5])})."
        )
    flash(message, "success")
    return redirect(url_for("queue.manage"))


@bp.post("/rules")
@requires(Permission.QUEUE_MANAGE)
def save_rule() -> Response | tuple[str, int]:
    """Save the sampling form as a named rule that ``auditkit sample run-rules`` draws daily
    (the due date and period become days counted from each run)."""
    try:
        asked, focus = _request_from_form(request.form)
        today = utc_now().date()
        rule = sampling_rules.SavedRule(
            name=request.form.get("rule_name", ""),
            method=str(asked.method),
            size=asked.size,
            filters=tuple(sorted(str(f) for f in asked.filters)),
            rubric_hash=asked.rubric_hash,
            reviewer_ids=asked.reviewer_ids,
            due_days=(asked.due_on - today).days,
            period_days=(today - asked.since).days if asked.since else None,
            channel=asked.channel,
            long_messages=asked.long_messages,
            slow_response_minutes=asked.slow_response_minutes,
            min_sessions=asked.min_sessions,
            failed_policies=asked.failed_policies,
            autoqa_score_min=focus.score_min,
            autoqa_score_max=focus.score_max,
            autoqa_signals=tuple(sorted(str(s) for s in focus.signals)),
            silence_minutes=focus.silence_minutes,
        )
        sampling_rules.save_rule(installation(), user(), rule)
    except InputRefused as exc:
        return _manage_page(exc.problems, status_for(exc))
    flash(f"Rule {rule.name.strip()!r} saved: auditkit sample run-rules draws it daily.", "success")
    return redirect(url_for("queue.manage"))


@bp.post("/assignments/<int:assignment_id>/reassign")
@requires(Permission.QUEUE_MANAGE)
def reassign(assignment_id: int) -> Response | tuple[str, int]:
    """Give an open assignment to another reviewer, with a reason."""
    form = request.form
    problems: list[str] = []
    reviewer = form.get("reviewer", "")
    due_on = optional_date(form, "due_on", "due date", problems)
    try:
        refuse_if(problems)
        moved = review_queue.reassign(
            installation(),
            user(),
            assignment_id,
            reviewer_id=int(reviewer) if reviewer.isdigit() else None,
            reason=form.get("reason", ""),
            due_on=due_on,
        )
    except InputRefused as exc:
        return _manage_page([f"assignment {assignment_id}: {p}" for p in exc.problems], 400)
    flash(
        f"{moved.conversation_key} reassigned to {moved.reviewer_name} (assignment {moved.id}).",
        "success",
    )
    return redirect(url_for("queue.manage"))
