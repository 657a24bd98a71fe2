"""Reading whole conversations, redacted by default, and revealing them with a logged reason."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditkit.services import review
from auditkit.services.accounts import Permission
from auditkit.services.review_errors import InputRefused

from .context import installation, user
from .errors import status_for
from .security import requires

bp = Blueprint("conversations", __name__)


def reveal_param() -> int | None:
    """The ``reveal`` query parameter: the seq of the user's reveal record, if any."""
    value = request.args.get("reveal", "")
    return int(value) if value.isdigit() else None


@bp.get("/conversations")
@requires(Permission.CONVERSATION_READ)
def index() -> str:
    """Conversations by latest activity; search by key."""
    search = request.args.get("q", "").strip()
    rows = review.conversation_list(installation(), user(), search=search)
    return render_template("conversations.html", rows=rows, search=search)


@bp.get("/conversations/<path:key>")
@requires(Permission.CONVERSATION_READ)
def show(key: str) -> str:
    """The whole conversation with its review history."""
    page = review.conversation_page(installation(), user(), key, reveal_seq=reveal_param())
    return render_template("conversation.html", page=page, problems=[])


@bp.post("/reveal/<path:key>")
@requires(Permission.PII_REVEAL)
def reveal(key: str) -> Response | tuple[str, int]:
    """Log a reveal (who, when, why) and show the clear text for a short while."""
    back = request.form.get("back", "")
    try:
        seq = review.reveal(installation(), user(), key, request.form.get("reason", ""))
    except InputRefused as exc:
        if back.isdigit():
            space = review.workspace(installation(), user(), int(back))
            page = render_template("workspace.html", space=space, problems=exc.problems)
            return page, status_for(exc)
        shown = review.conversation_page(installation(), user(), key)
        page = render_template("conversation.html", page=shown, problems=exc.problems)
        return page, status_for(exc)
    if back.isdigit():
        return redirect(url_for("reviews.workspace", assignment_id=int(back), reveal=seq))
    return redirect(url_for("conversations.show", key=key, reveal=seq))
