"""Sessions, sign-in, CSRF, security headers and the route rules (``requires``/``public``)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, abort, current_app, request, session
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from auditkit.accounts import users as accounts
from auditkit.accounts.users import Permission, User

from .context import installation

SECRET_FILE = "web-secret.key"  # noqa: S105 (a file name, not a secret)
SESSION_HOURS = 8
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

View = TypeVar("View", bound=Callable[..., Any])


class SessionUser(UserMixin):  # type: ignore[misc]
    """Flask-Login's view of an auditkit user."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        """The id kept in the session cookie: user id and session generation."""
        return self.user.session_id


def client_binding() -> str:
    """What a session is bound to: the browser's User-Agent and the client address (the
    proxy's forwarded address only with ``--behind-proxy``). Flask-Login's own "strong"
    protection is not used: it reads X-Forwarded-For whoever sends it, and does nothing
    for permanent sessions."""
    agent = request.headers.get("User-Agent", "")
    material = f"{request.remote_addr or ''}|{agent}".encode()
    return hashlib.sha256(material).hexdigest()


def bind_session() -> None:
    """Tie the freshly signed-in session to this client (see ``client_binding``)."""
    session["_client"] = client_binding()


def secret_key_from(home: Path) -> bytes:
    """The key that signs session cookies: created once, random, readable by the owner only."""
    path = home / SECRET_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode("ascii")


def init_app(app: Flask, *, secure_cookies: bool, behind_proxy: bool) -> None:
    """Cookie settings, Flask-Login, CSRF on every form, and the headers on every response."""
    app.config.update(
        SESSION_COOKIE_NAME="__Host-auditkit" if secure_cookies else "auditkit_session",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=SESSION_HOURS * 3600,
        WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600,
        WTF_CSRF_SSL_STRICT=True,
    )
    if behind_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = "Sign in to continue."
    login.login_message_category = "info"
    # Enforced by ``load`` below for every session, permanent or not (``client_binding``).
    login.session_protection = None

    def load(session_id: str) -> SessionUser | None:
        bound = session.get("_client")
        if not isinstance(bound, str) or not hmac.compare_digest(bound, client_binding()):
            session.clear()  # replayed from another browser or address: the session ends
            return None
        found = accounts.load_session_user(installation(), session_id)
        if found is None:
            session.clear()  # signed out, disabled or password changed since
            return None
        return SessionUser(found)

    # Registered by a call, not as a decorator: Flask-Login is untyped and would untype ``load``.
    login.user_loader(load)

    @app.after_request
    def headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # The tiled log's views set their own (the spec's) cache headers.
        if request.endpoint != "static" and not (request.endpoint or "").startswith("log."):
            response.headers["Cache-Control"] = "no-store"
        return response


def requires(permission: Permission) -> Callable[[View], View]:
    """Route rule: signed in, with a role that grants ``permission`` (else 403)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not current_user.user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.route_rule = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def signed_in(view: View) -> View:
    """Route rule: any signed-in user."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        return view(*args, **kwargs)

    wrapped.route_rule = "signed-in"  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def public(view: View) -> View:
    """Route rule: anyone, signed in or not (the sign-in page)."""
    view.route_rule = "public"  # type: ignore[attr-defined]
    return view
