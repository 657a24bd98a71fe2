"""The review web app (shipped as ``auditkit.web``): ``create_app()`` wires everything once."""

from __future__ import annotations

from typing import Any

from flask import Flask

from auditkit.autoqa import service as autoqa_service
from auditkit.ledger.installation import Installation
from auditkit.settings import load_settings


def create_app(
    installation: Installation | None = None,
    *,
    secret_key: bytes | None = None,
    secure_cookies: bool = True,
    behind_proxy: bool = False,
    config: dict[str, Any] | None = None,
) -> Flask:
    """Build the Flask app over an installation (opened from the environment when not given).

    ``secret_key`` signs session cookies; without one a random key is created once and kept
    in ``$AUDITKIT_HOME/web-secret.key`` (mode 0600). ``secure_cookies`` (the default)
    marks cookies Secure with the ``__Host-`` prefix: browsers accept them over HTTPS and
    on localhost only. ``behind_proxy`` trusts one proxy's X-Forwarded-For/-Proto/-Host.
    """
    from . import (
        admin,
        agents,
        autoqa,
        calibration,
        coaching,
        conversations,
        dashboard,
        disputes,
        findings,
        hooks,
        me,
        queue,
        reports,
        reviews,
        rubrics,
    )
    from .base import auth, errors, pages, security, templating
    from .hooks import log

    installation = installation or Installation.open(load_settings())
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.extensions["auditkit.installation"] = installation
    app.config.update(
        SECRET_KEY=secret_key or security.secret_key_from(installation.settings.home),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    security.init_app(app, secure_cookies=secure_cookies, behind_proxy=behind_proxy)
    if config:
        app.config.update(config)
    errors.init_app(app)
    templating.init_app(app)
    pages.init_app(app)
    for module in (
        auth,
        queue,
        conversations,
        findings,
        reviews,
        agents,
        coaching,
        rubrics,
        calibration,
        disputes,
        dashboard,
        reports,
        autoqa,
        admin,
        me,
    ):
        app.register_blueprint(module.bp)
    app.register_blueprint(hooks.bp)  # Chatwoot webhooks: token-authenticated, no CSRF
    # The log as C2SP tlog-tiles, read-only; GET only, so CSRF never applies.
    app.register_blueprint(log.bp, url_prefix=app.config.get("AUDITKIT_LOG_PREFIX", "/log"))
    # Like the metrics refresh, conversations a webhook changed are scored by AutoQA.
    app.extensions[hooks.chatwoot.AFTER_REFRESH] = autoqa_service.score_conversations
    return app
