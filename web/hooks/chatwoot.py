"""``POST /hooks/chatwoot``: authenticate, bound the body, hand it to the webhook service.

The installation comes from ``web.context.installation()`` (the app's
``extensions["auditkit.installation"]``). The route takes no session or CSRF token (the
blueprint exempts itself from CSRFProtect when registered): a delivery proves itself with its source's shared secret, given as ``?token=`` in the webhook URL
(Chatwoot can set nothing else), an ``X-Auditkit-Token`` or ``Authorization: Bearer``
header, or Chatwoot's ``X-Chatwoot-Signature`` HMAC where Chatwoot signs deliveries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState

from auditkit.ledger.installation import Installation
from auditkit.sources import webhooks

from ..base.context import installation as app_installation
from ..base.security import public

bp = Blueprint("hooks", __name__, url_prefix="/hooks")

_EXTENSION = "auditkit.hooks"
# What runs after a group's metrics refresh, set by create_app (AutoQA scoring); a bare app
# with only this blueprint records deliveries and refreshes metrics only.
AFTER_REFRESH = "auditkit.hooks.after_refresh"
AfterRefresh = Callable[[Installation, Sequence[str]], object]
_READ_CHUNK = 64 * 1024


@dataclass
class _Receivers:
    """The app's one webhook receiver, made on first use (the installation may come later)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    receiver: webhooks.WebhookReceiver | None = None

    def get(
        self, installation: Installation, after_refresh: AfterRefresh | None
    ) -> webhooks.WebhookReceiver:
        with self.lock:
            if self.receiver is None or self.receiver.installation is not installation:
                self.receiver = webhooks.WebhookReceiver(installation, after_refresh=after_refresh)
            return self.receiver


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    state.app.extensions[_EXTENSION] = _Receivers()
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:  # deliveries authenticate with the source's secret, not a session
        csrf.exempt(bp)


@bp.post("/chatwoot")
@public
def chatwoot() -> tuple[Response, int]:
    """Record one Chatwoot webhook delivery; 200 once committed, 4xx with a reason otherwise."""
    installation = app_installation()
    settings = installation.settings
    try:
        source = webhooks.resolve_source(
            settings, request.args.get("source") or request.headers.get("X-Auditkit-Source")
        )
        token = _token()
        if token is not None:
            webhooks.check_token(settings, source, token)
        body = _body(settings.webhook_max_bytes)
        if token is None:
            signature = request.headers.get("X-Chatwoot-Signature")
            timestamp = request.headers.get("X-Chatwoot-Timestamp")
            if not signature or not timestamp:
                raise webhooks.WebhookRejected(
                    401, "no secret: add ?token=SECRET to the webhook URL (or X-Auditkit-Token)"
                )
            webhooks.check_signature(
                settings, source, body=body, signature=signature, timestamp=timestamp
            )
        receiver = current_app.extensions[_EXTENSION].get(
            installation, current_app.extensions.get(AFTER_REFRESH)
        )
        report = receiver.receive(source=source, body=body)
    except webhooks.WebhookRejected as refusal:
        return jsonify(status="refused", error=refusal.reason), refusal.status
    return (
        jsonify(
            status="duplicate" if report.duplicate else "recorded",
            event=report.event,
            conversation=report.conversation,
            records=report.records_appended,
            tree_size=report.tree_size,
        ),
        200,
    )


def _token() -> str | None:
    token = request.args.get("token") or request.headers.get("X-Auditkit-Token")
    if token:
        return token
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def _body(limit: int) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (declared or actually sent)."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise webhooks.WebhookRejected(
            413, f"body of {declared} bytes is larger than the limit of {limit} bytes"
        )
    chunks: list[bytes] = []
    size = 0
    while chunk := request.stream.read(min(_READ_CHUNK, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise webhooks.WebhookRejected(413, f"body is larger than the limit of {limit} bytes")
    return b"".join(chunks)
