"""Signing in and out, and the front door that sends each role to its first screen."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit, urlunsplit

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from auditkit.accounts import users as accounts
from auditkit.accounts.users import Permission
from auditkit.errors import LoginRefused, LoginThrottled

from .context import installation
from .context import user as signed_in_user
from .errors import status_for
from .security import SessionUser, bind_session, public, signed_in

bp = Blueprint("auth", __name__)
MAX_NEXT_LENGTH = 2000


def _first_screen() -> str:
    me = current_user.user
    if me.can(Permission.QUEUE_WORK):
        return url_for("queue.mine")
    if me.can(Permission.OWN_WORK):
        return url_for("me.index")
    return url_for("conversations.index")


def _safe_next(target: str | None) -> str | None:
    """``target`` as a same-origin path, or None.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    ``/\t/evil.example`` becomes ``//evil.example``: any control character, whitespace or
    backslash refuses the target outright, and the rest is parsed and rebuilt from its path
    and query only, so what is redirected to is what was checked.
    """
    if not target or len(target) > MAX_NEXT_LENGTH or "\\" in target:
        return None
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


@bp.get("/")
@signed_in
def index() -> Response:
    """Send the user to the first screen of their role."""
    return redirect(_first_screen())


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str:
    """The sign-in form; failures are counted and throttled per username and address."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_first_screen())
        return render_template("login.html", username="", error=None)
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    try:
        user = accounts.authenticate(
            installation(),
            username=username,
            password=password,
            remote_addr=request.remote_addr or "unknown",
        )
    except (LoginRefused, LoginThrottled) as exc:
        page = render_template("login.html", username=username, error=str(exc))
        response = make_response(page, status_for(exc))
        if isinstance(exc, LoginThrottled):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    target = _safe_next(request.args.get("next"))
    session.clear()  # a fresh session on sign-in: no fixation
    session.permanent = True
    bind_session()
    login_user(SessionUser(user))
    return redirect(target or _first_screen())


@bp.post("/logout")
@signed_in
def logout() -> Response:
    """Sign out: every session of the user ends (a copied cookie stops working too)."""
    accounts.end_sessions(installation(), signed_in_user().id)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
