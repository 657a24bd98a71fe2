"""Builders of import-format conversations for tests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Engine

from auditkit.db.engine import alembic_config

DATA = Path(__file__).parent / "data"


def make_conversation(
    conversation_id: str, *, messages: int = 4, start: datetime | None = None
) -> dict[str, Any]:
    """A small valid conversation: opened, ``messages`` alternating messages, resolved."""
    start = start or datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    customer, agent = f"{conversation_id}-cust", f"{conversation_id}-agent"

    def at(i: int) -> str:
        return (start + timedelta(minutes=i)).isoformat().replace("+00:00", "Z")

    events: list[dict[str, Any]] = [{"type": "status", "at": at(0), "status": "opened"}]
    for i in range(messages):
        author = customer if i % 2 == 0 else agent
        events.append(
            {"type": "message", "at": at(i + 1), "author": author, "text": f"message {i}"}
        )
    events.append({"type": "status", "at": at(messages + 1), "status": "resolved"})
    return {
        "conversation_id": conversation_id,
        "channel": "web_chat",
        "customer": customer,
        "participants": [
            {"id": customer, "role": "customer", "name": "Ada Lovelace"},
            {"id": agent, "role": "agent", "name": "Grace Hopper", "team": "Billing"},
        ],
        "events": events,
    }


def write_jsonl(path: Path, conversations: Iterable[dict[str, Any]]) -> Path:
    """Write conversations as auditkit JSONL, one per line."""
    path.write_text("".join(json.dumps(c) + "\n" for c in conversations), encoding="utf-8")
    return path


def add_unvalidated_refund(conversation: dict[str, Any]) -> None:
    """Grow a ``make_conversation`` conversation (default start, four messages) by a refund its
    agent issues with no identity validation before it, just before the resolve, which moves
    a little later."""
    conversation["events"].insert(
        -1,
        {
            "type": "action",
            "at": "2025-01-06T09:04:30Z",
            "name": "issue-refund",
            "actor": f"{conversation['conversation_id']}-agent",
            "outcome": "success",
        },
    )
    conversation["events"][-1]["at"] = "2025-01-06T09:05:00Z"


def remigrate(engine: Engine, *, back_to: str, then_to: str) -> None:
    """Alembic's own downgrade to ``back_to``, then its upgrade to ``then_to``: how the
    migration tests show a revision's backfill gives what the running code writes."""
    config = alembic_config(engine)
    for step, revision in ((command.downgrade, back_to), (command.upgrade, then_to)):
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            step(config, revision)
