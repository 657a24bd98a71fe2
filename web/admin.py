"""Admin screens: users (add, disable and enable, change role, bind a participant, reset the
password), legal holds (place, list, remove with a reason: the same signed records the
CLI's ``auditkit hold`` writes, with the signed-in user as actor), four-eyes erasure
requests (request, approve by a second compliance officer or reject, carry out: the records
``auditkit erasure`` writes) and the retention rules with a dry run (what ``auditkit
retention apply --dry-run`` reports)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditkit.accounts import admin as account_admin
from auditkit.accounts import users as accounts
from auditkit.accounts.users import Permission, Role
from auditkit.errors import AuditkitError, InputRefused, NotFound
from auditkit.privacy import erasure
from auditkit.quality import erasure_requests

from .base.context import installation, user
from .base.errors import problems_of, status_for
from .base.security import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _users_page(problems: list[str] | None = None) -> str:
    return render_template(
        "admin_users.html",
        users=accounts.list_users(installation()),
        roles=list(Role),
        problems=problems or [],
        form=request.form,
    )


@bp.get("/users")
@requires(Permission.USER_MANAGE)
def users() -> str:
    """Every user with role, participant binding and state; the add form."""
    return _users_page()


@bp.post("/users")
@requires(Permission.USER_MANAGE)
def add_user() -> Response | tuple[str, int]:
    """Add a user (the password follows the same rules as ``auditkit users add``)."""
    form = request.form
    try:
        added = accounts.add_user(
            installation(),
            username=form.get("username", "").strip(),
            display_name=form.get("display_name", ""),
            role=form.get("role", ""),
            password=form.get("password", ""),
            participant_id=form.get("participant_id", "").strip() or None,
        )
    except InputRefused as exc:
        return _users_page(exc.problems), status_for(exc)
    flash(f"Added {added.username} ({added.role.label}).", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<username>")
@requires(Permission.USER_MANAGE)
def change_user(username: str) -> Response | tuple[str, int]:
    """Change one user: ``action`` is ``role``, ``participant``, ``password``, ``disable``
    or ``enable``."""
    form = request.form
    action = form.get("action", "")
    try:
        if action == "role":
            account_admin.change_user(installation(), user(), username, role=form.get("role", ""))
        elif action == "participant":
            account_admin.change_user(
                installation(), user(), username, participant_id=form.get("participant_id", "")
            )
        elif action == "password":
            account_admin.change_user(
                installation(), user(), username, password=form.get("password", "")
            )
        elif action in ("disable", "enable"):
            if action == "disable" and username == user().username:
                raise InputRefused(["you cannot disable yourself"])
            accounts.set_active(installation(), username, active=action == "enable")
        else:
            raise InputRefused([f"action: {action!r} is not a change this screen makes"])
    except InputRefused as exc:
        return _users_page(exc.problems), status_for(exc)
    flash(
        f"{username}: {action} changed." if action != "password" else "Password reset.", "success"
    )
    return redirect(url_for("admin.users"))


def _holds_page(problems: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "admin_holds.html",
            holds=erasure.list_holds(installation()),
            problems=problems or [],
            form=request.form,
        ),
        status,
    )


@bp.get("/holds")
@requires(Permission.HOLD_MANAGE)
def holds() -> tuple[str, int]:
    """Legal holds in force; the form to place one."""
    return _holds_page()


@bp.post("/holds")
@requires(Permission.HOLD_MANAGE)
def place_hold() -> Response | tuple[str, int]:
    """Place a legal hold on a data subject or a conversation (a signed record)."""
    form = request.form
    target = form.get("target", "")
    value = form.get("value", "").strip()
    problems = []
    if target not in ("subject", "conversation"):
        problems.append("hold: choose a data subject or a conversation")
    if not value:
        problems.append("hold: name the subject or conversation to hold")
    if problems:
        return _holds_page(problems, 400)
    try:
        hold = erasure.add_hold(
            installation(),
            subject=value if target == "subject" else None,
            conversation=value if target == "conversation" else None,
            reason=form.get("reason", "").strip(),
            actor=user().username,
        )
    except NotFound as exc:
        return _holds_page([str(exc)], 404)
    except AuditkitError as exc:
        return _holds_page([str(exc)], 400)
    flash(f"Legal hold #{hold.id} placed on {value}.", "success")
    return redirect(url_for("admin.holds"))


@bp.post("/holds/<int:hold_id>/remove")
@requires(Permission.HOLD_MANAGE)
def remove_hold(hold_id: int) -> Response | tuple[str, int]:
    """Remove a legal hold, with a reason (a signed record)."""
    try:
        erasure.remove_hold(
            installation(),
            hold_id,
            reason=request.form.get("reason", "").strip(),
            actor=user().username,
        )
    except NotFound as exc:
        return _holds_page([str(exc)], 404)
    except AuditkitError as exc:
        return _holds_page([str(exc)], 400)
    flash(f"Legal hold #{hold_id} removed.", "success")
    return redirect(url_for("admin.holds"))


@bp.get("/retention")
@requires(Permission.HOLD_MANAGE)
def retention() -> str:
    """The retention rules in force and, on request (``?dry_run=1``), which data subjects a
    retention run would erase now, which a hold keeps, and how many are still within it."""
    report = None
    if request.args.get("dry_run") == "1":
        report = erasure.apply_retention(installation(), dry_run=True)
    return render_template(
        "admin_retention.html",
        rules=installation().settings.retention,
        report=report,
    )


def _erasure_page(problems: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "admin_erasure.html",
            requests=erasure_requests.list_requests(installation(), user()),
            problems=problems or [],
            form=request.form,
        ),
        status,
    )


@bp.get("/erasure")
@requires(Permission.ERASURE_MANAGE)
def erasure_list() -> tuple[str, int]:
    """Erasure requests: pending and approved first, with approve, reject and carry out."""
    return _erasure_page()


@bp.post("/erasure")
@requires(Permission.ERASURE_MANAGE)
def request_erasure() -> Response | tuple[str, int]:
    """Request the erasure of a data subject, with a reason (an ``erasure.requested`` record)."""
    try:
        found = erasure_requests.request_erasure(
            installation(),
            user(),
            subject=request.form.get("subject", ""),
            reason=request.form.get("reason", ""),
        )
    except AuditkitError as exc:
        return _erasure_page(problems_of(exc), status_for(exc))
    flash(
        f"Erasure request #{found.id} for {found.subject} recorded; a second compliance "
        "officer must approve it.",
        "success",
    )
    return redirect(url_for("admin.erasure_list"))


def _decide(request_id: int, *, approve: bool) -> Response | tuple[str, int]:
    try:
        found = erasure_requests.decide(
            installation(),
            user(),
            request_id,
            approve=approve,
            note=request.form.get("note", ""),
        )
    except AuditkitError as exc:
        return _erasure_page(problems_of(exc), status_for(exc))
    flash(f"Erasure request #{found.id} {found.status}.", "success")
    return redirect(url_for("admin.erasure_list"))


@bp.post("/erasure/<int:request_id>/approve")
@requires(Permission.ERASURE_MANAGE)
def approve_erasure(request_id: int) -> Response | tuple[str, int]:
    """Approve a pending request (not one's own: four-eyes); an ``erasure.approved`` record."""
    return _decide(request_id, approve=True)


@bp.post("/erasure/<int:request_id>/reject")
@requires(Permission.ERASURE_MANAGE)
def reject_erasure(request_id: int) -> Response | tuple[str, int]:
    """Reject (or withdraw one's own) pending request, with a reason; a signed record."""
    return _decide(request_id, approve=False)


@bp.post("/erasure/<int:request_id>/carry-out")
@requires(Permission.ERASURE_MANAGE)
def carry_out_erasure(request_id: int) -> Response | tuple[str, int]:
    """Carry out an approved request: crypto-shred the subject (the ``erasure`` record)."""
    try:
        done, result = erasure_requests.carry_out(installation(), user(), request_id)
    except AuditkitError as exc:
        return _erasure_page(problems_of(exc), status_for(exc))
    flash(
        f"Erased {result.subject} (request #{done.id}): {len(result.conversations)} "
        f"conversation(s); recorded as record {result.erasure_seq}.",
        "success",
    )
    return redirect(url_for("admin.erasure_list"))
