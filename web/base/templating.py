"""Template filters and the navigation every page shows."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user

from auditkit.accounts.users import Permission
from auditkit.ledger.records import parse_time
from auditkit.quality.mentions import unread_count

from .context import installation

NAVIGATION = (
    ("me.index", "My reviews", Permission.OWN_WORK),
    ("queue.mine", "My queue", Permission.QUEUE_WORK),
    ("queue.manage", "Manage queue", Permission.QUEUE_MANAGE),
    ("conversations.index", "Conversations", Permission.CONVERSATION_READ),
    ("findings.index", "Findings", Permission.CONVERSATION_READ),
    ("agents.index", "Agents", Permission.AGENT_SCORES_READ),
    ("coaching.index", "Coaching", Permission.COACHING_READ),
    ("rubrics.index", "Rubrics", Permission.RUBRIC_READ),
    ("dashboard.index", "Dashboard", Permission.DASHBOARD_READ),
    ("calibration.index", "Calibration", Permission.CALIBRATION_READ),
    ("disputes.index", "Disputes", Permission.DISPUTE_READ),
    ("reviews.mentions_list", "Mentions", Permission.REVIEW_READ),
    ("dashboard.graders", "Graders", Permission.GRADER_CHECK),
    ("reports.audit_form", "Audit reports", Permission.REPORT_AUDIT),
    ("admin.users", "Users", Permission.USER_MANAGE),
    ("admin.holds", "Holds", Permission.HOLD_MANAGE),
    ("admin.erasure_list", "Erasure", Permission.ERASURE_MANAGE),
    ("admin.retention", "Retention", Permission.HOLD_MANAGE),
)


def when(value: str | None, *, seconds: bool = False) -> str:
    """A ledger time as people read it: ``4 Mar 2024, 09:12 UTC``."""
    if not value:
        return "—"
    moment = parse_time(value)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return f"{moment.day} {moment.strftime('%b %Y')}, {moment.strftime(clock)} UTC"


def clock(value: str | None) -> str:
    """Just the time of day of a ledger time: ``09:12:05``."""
    return parse_time(value).strftime("%H:%M:%S") if value else ""


def score(value: Any) -> str:
    """A 0-100 score with one decimal, or a dash when there is none."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.1f}"


def init_app(app: Flask) -> None:
    """Register filters and the navigation context."""
    app.jinja_env.filters.update(when=when, clock=clock, score=score)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def navigation() -> dict[str, Any]:
        if not current_user.is_authenticated:
            return {"navigation": (), "me": None}
        me = current_user.user
        return {
            "navigation": tuple(
                (endpoint, label) for endpoint, label, needed in NAVIGATION if me.can(needed)
            ),
            # Shown beside "Mentions"; read, never written, by a page view.
            "unread_mentions": unread_count(installation(), me),
            "me": me,
            "Permission": Permission,
        }
