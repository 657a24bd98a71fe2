"""Helpers for the Chatwoot tests: payload fixtures, a minimal app, a client that reads the log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from auditkit.ledger.installation import Installation
from auditkit.ledger.records import Record, decode_entry
from web import hooks

DATA = Path(__file__).resolve().parents[2] / "data" / "chatwoot"
SOURCE = "chatwoot-eu"
SECRET = "eu-webhook-secret-0123456789"
OTHER_SOURCE = "chatwoot-us"
OTHER_SECRET = "us-webhook-secret-9876543210"


def fixture(name: str) -> dict[str, Any]:
    """A payload fixture by file name (without ``.json``)."""
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def fixture_bytes(name: str) -> bytes:
    """A payload fixture's exact bytes."""
    return (DATA / f"{name}.json").read_bytes()


def make_app(installation: Installation) -> Flask:
    """The smallest app the lead's ``create_app`` stands for: the installation and the blueprint."""
    app = Flask("auditkit-hooks-test")
    app.extensions["auditkit.installation"] = installation
    app.register_blueprint(hooks.bp)
    return app


class Hooks:
    """Posts deliveries to the blueprint and reads back what the log holds."""

    def __init__(self, client: FlaskClient, installation: Installation) -> None:
        self.client = client
        self.installation = installation

    def post(
        self,
        payload: dict[str, Any] | bytes | str,
        *,
        source: str | None = SOURCE,
        token: str | None = SECRET,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        """POST a payload (a fixture name, a dict or raw bytes) with the source's token."""
        if isinstance(payload, str):
            body = fixture_bytes(payload)
        elif isinstance(payload, dict):
            body = json.dumps(payload).encode("utf-8")
        else:
            body = payload
        query = {key: value for key, value in (("source", source), ("token", token)) if value}
        return self.client.post(
            "/hooks/chatwoot",
            query_string=query,
            data=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def records(self) -> list[Record]:
        """Every record in seq order."""
        with self.installation.engine.connect() as conn:
            rows = conn.execute(text("SELECT seq, entry FROM log_entries ORDER BY seq"))
            return [decode_entry(bytes(entry), expected_seq=seq) for seq, entry in rows]

    def size(self) -> int:
        """Number of records in the log."""
        with self.installation.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM log_entries")).scalar_one())

    def rejections(self) -> list[dict[str, Any]]:
        """Rows of the rejected-payload table, oldest first."""
        with self.installation.engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM webhook_rejections ORDER BY id"))
            return [dict(row._mapping) for row in rows]
