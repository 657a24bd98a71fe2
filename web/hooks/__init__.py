"""Endpoints machines call rather than people (no screens, no session forms):

- ``chatwoot``: Chatwoot webhooks for live ingestion, token-authenticated, no CSRF
  (``app.register_blueprint(hooks.bp)``);
- ``log``: the log served read-only as C2SP tlog-tiles (``hooks.log.bp``, GET only).
"""

from __future__ import annotations

from .chatwoot import bp

__all__ = ["bp"]
