"""Reading whole conversations, redacted by default, and revealing them with a logged reason."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditkit.accounts.users import Permission
from auditkit.autoqa import listing as autoqa_listing
from auditkit.autoqa import results as autoqa_results
from auditkit.errors import InputRefused
from auditkit.metrics import refresh as metrics
from auditkit.metrics.measures import ConversationMetrics
from auditkit.review import search as search_service
from auditkit.review import transcript as transcripts
from auditkit.review import workspace as workspaces

from .base.context import installation, user
from .base.errors import status_for
from .base.pages import download_stream, page_number, page_size
from .base.security import requires

bp = Blueprint("conversations", __name__)


_MAX_SEQ = 2**63 - 1  # the largest seq either database's BIGINT holds


def reveal_param() -> int | None:
    """The ``reveal`` query parameter: the seq of the user's reveal record, if any.

    Anything but ASCII digits is ignored (as before); a number no seq can be (beyond a
    database BIGINT) is refused with a 400 rather than reaching the query.
    """
    value = request.args.get("reveal", "")
    if not value or not (value.isascii() and value.isdigit()):
        return None
    if len(value) > 19 or int(value) > _MAX_SEQ:
        raise InputRefused([f"reveal: {value[:20]}… is not a record seq (too large)"])
    return int(value)


@bp.get("/conversations")
@requires(Permission.CONVERSATION_READ)
def index() -> str | Response:
    """Conversations filtered, searched (id or redacted text) and sorted; ``?format=csv``."""
    if request.args.get("format") == "csv":
        pieces = autoqa_listing.conversations_csv(installation(), user(), request.args)
        return download_stream(pieces, "conversations.csv", "text/csv")
    listed = autoqa_listing.conversation_list(
        installation(),
        user(),
        request.args,
        page=page_number(request.args),
        per_page=page_size(request.args),
    )
    choices = search_service.search_choices(installation())
    found, auto = listed.found, listed.auto
    return render_template("conversations.html", found=found, choices=choices, auto=auto)


def duration_text(seconds: float | None) -> str:
    """A duration as people read it ("4 min 12 s", "2 h 5 min"); "—" when there is none."""
    if seconds is None:
        return "—"
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        parts = [(days, "d"), (hours, "h")]
    elif hours:
        parts = [(hours, "h"), (minutes, "min")]
    elif minutes:
        parts = [(minutes, "min"), (secs, "s")]
    else:
        return f"{secs} s"
    return " ".join(f"{value} {unit}" for value, unit in parts if value)


def metric_lines(values: ConversationMetrics) -> list[tuple[str, str]]:
    """The conversation's metrics as (label, shown value) pairs, in docs/metrics.md's order."""
    return [
        ("First meaningful response", duration_text(values.first_meaningful_response_seconds)),
        ("Resolution time", duration_text(values.resolution_seconds)),
        ("Sessions", str(values.sessions)),
        ("Re-opens", str(values.reopens)),
        ("Transfers", str(values.transfers)),
        ("Escalations", str(values.escalations)),
        ("Contained by automation", "yes" if values.contained else "no"),
        ("CSAT", "—" if values.csat is None else f"{values.csat:.0%}"),
    ]


def _render_conversation(page: transcripts.ConversationPage, problems: list[str]) -> str:
    lines = metric_lines(metrics.conversation_metrics(installation(), page.key))
    return render_template(
        "conversation.html", page=page, problems=problems, metrics=lines, auto=automatic(page.key)
    )


def automatic(key: str) -> autoqa_results.ConversationAutoqa | None:
    """The AutoQA card's content, for those who may read reviews (else None: no card)."""
    if not user().can(Permission.REVIEW_READ):
        return None
    return autoqa_results.conversation_autoqa(installation(), user(), key)


@bp.get("/conversations/<path:key>")
@requires(Permission.CONVERSATION_READ)
def show(key: str) -> str:
    """The whole conversation with its metrics and review history."""
    page = transcripts.conversation_page(installation(), user(), key, reveal_seq=reveal_param())
    return _render_conversation(page, [])


@bp.post("/reveal/<path:key>")
@requires(Permission.PII_REVEAL)
def reveal(key: str) -> Response | tuple[str, int]:
    """Log a reveal (who, when, why) and show the clear text for a short while."""
    back = request.form.get("back", "")
    try:
        seq = transcripts.reveal(installation(), user(), key, request.form.get("reason", ""))
    except InputRefused as exc:
        if back.isdigit():
            space = workspaces.workspace(installation(), user(), int(back))
            page = render_template("workspace.html", space=space, problems=exc.problems)
            return page, status_for(exc)
        shown = transcripts.conversation_page(installation(), user(), key)
        return _render_conversation(shown, exc.problems), status_for(exc)
    if back.isdigit():
        return redirect(url_for("reviews.workspace", assignment_id=int(back), reveal=seq))
    return redirect(url_for("conversations.show", key=key, reveal=seq))
