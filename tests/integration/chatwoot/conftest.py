"""Fixtures for Chatwoot ingestion: an installation with webhook secrets and the hooks
blueprint in a minimal Flask app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from auditkit.ledger.installation import Installation
from tests.integration.chatwoot.support import (
    OTHER_SECRET,
    OTHER_SOURCE,
    SECRET,
    SOURCE,
    Hooks,
    make_app,
)


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    """The root ``env`` plus two webhook sources.

    These tests read record bodies directly, so personal content is stored clear here;
    the sealed path has its own test (``test_with_sealing_on_...``) and test_erasure.py.
    """
    return {
        **env,
        "AUDITKIT_WEBHOOK_SECRETS": f"{SOURCE}={SECRET},{OTHER_SOURCE}={OTHER_SECRET}",
        "AUDITKIT_SEALING": "off",
    }


@pytest.fixture
def app(installation: Installation) -> Flask:
    """A Flask app serving ``POST /hooks/chatwoot`` for the test installation."""
    return make_app(installation)


@pytest.fixture
def hooks_client(app: Flask, installation: Installation) -> Iterator[Hooks]:
    """Post deliveries and inspect the log."""
    with app.test_client() as client:
        yield Hooks(client, installation)
