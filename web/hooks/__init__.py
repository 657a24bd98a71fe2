"""Webhook endpoints for live ingestion; register with ``app.register_blueprint(hooks.bp)``."""

from __future__ import annotations

from .chatwoot import bp

__all__ = ["bp"]
