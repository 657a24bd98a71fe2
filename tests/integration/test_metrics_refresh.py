"""Conversation metrics are kept current by every append path, without running a report."""

from __future__ import annotations

import copy
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import select

from auditkit.ledger import store as ledger_store
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.metrics import store as metrics_store
from auditkit.metrics.measures import compute_metrics
from auditkit.metrics.refresh import (
    conversation_metrics,
    metrics_conversations,
    refresh_metrics,
)
from auditkit.metrics.store import metrics_row
from auditkit.metrics.tables import conversation_metrics as metrics_table
from auditkit.sources.ingest import import_files
from auditkit.sources.webhooks import WebhookReceiver
from tests.conftest import Cli
from tests.factories import DATA, make_conversation, write_jsonl
from tests.integration.chatwoot.support import fixture


def stored(installation: Installation) -> dict[str, Any]:
    with installation.engine.connect() as conn:
        return {row.conversation_key: row for row in conn.execute(select(metrics_table))}


def test_an_import_stores_the_metrics_of_every_conversation(installation: Installation) -> None:
    report = import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    rows = stored(installation)
    assert report.metrics_refreshed == 12 and len(rows) == 12
    assert rows["hh-2024-55120"].contained and rows["hh-2024-55120"].first_response_seconds is None
    assert rows["hh-2024-55187"].reopens >= 1
    assert refresh_metrics(installation) == 0  # nothing left stale for a report to redo


def test_events_appended_to_a_conversation_refresh_its_row(
    installation: Installation, tmp_path: Path
) -> None:
    first = make_conversation("c-1", messages=2)  # customer, then the agent 60 s later
    import_files(installation, [write_jsonl(tmp_path / "a.jsonl", [first])])
    before = stored(installation)["c-1"]
    assert before.first_response_seconds == 60 and before.sessions == 1 and before.reopens == 0
    later = copy.deepcopy(first)
    later["events"] += [
        {"type": "status", "at": "2025-01-06T10:00:00Z", "status": "reopened"},
        {"type": "status", "at": "2025-01-06T10:00:00Z", "status": "session_started"},
        {"type": "status", "at": "2025-01-06T10:30:00Z", "status": "resolved"},
    ]
    report = import_files(installation, [write_jsonl(tmp_path / "b.jsonl", [later])])
    assert report.updated_conversations == 1 and report.metrics_refreshed == 1
    after = stored(installation)["c-1"]
    assert after.last_seq > before.last_seq
    assert after.reopens == 1 and after.sessions == 1  # one marker: one session
    assert after.resolution_seconds == 90 * 60  # 09:00 to the last resolve at 10:30


def test_a_webhook_delivery_refreshes_its_conversation(installation: Installation) -> None:
    receiver = WebhookReceiver(installation)
    payload = fixture("message_created_incoming")
    report = receiver.receive(source="main", body=json.dumps(payload).encode())
    first = stored(installation)[report.conversation]  # there without any report run
    with installation.engine.connect() as conn:
        assert metrics_row(conn, report.conversation)[1] == first.last_seq
    more = copy.deepcopy(payload)
    more["id"] = int(payload["id"]) + 1
    more["content"] = "and another thing"
    again = receiver.receive(source="main", body=json.dumps(more).encode())
    assert not again.duplicate
    assert stored(installation)[report.conversation].last_seq > first.last_seq


def test_the_service_recomputes_a_missing_row(installation: Installation) -> None:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    with installation.engine.begin() as conn:
        conn.execute(metrics_table.delete())
    metrics = conversation_metrics(installation, "hh-2024-55187")
    assert metrics.reopens >= 1
    assert set(stored(installation)) == {"hh-2024-55187"}


def test_opening_only_the_replies_gives_the_metrics_of_the_whole_conversation(
    installation: Installation, tmp_path: Path
) -> None:
    acknowledged = make_conversation("ack-1", messages=4)
    acknowledged["events"][2]["text"] = (
        "Thanks for contacting us, an agent will be with you shortly."
    )
    import_files(
        installation,
        [DATA / "demo" / "conversations.jsonl", write_jsonl(tmp_path / "a.jsonl", [acknowledged])],
    )
    master = installation.master_key()
    assert master is not None, "sealing is on, so the texts are sealed"
    with installation.engine.connect() as conn:
        keys = ledger_store.conversation_keys(conn, after=None, limit=100)
        whole = [compute_metrics(c) for c in load_conversations(conn, keys, master=master)]
        lean = [compute_metrics(c) for c in metrics_conversations(conn, keys, master=master)]
    assert lean == whole
    by_key = {m.conversation_key: m for m in lean}
    assert by_key["ack-1"].first_meaningful_response_seconds == 3 * 60  # the second reply


def test_metrics_refresh_by_hand_catches_up(run: Cli, installation: Installation) -> None:
    run("import", str(DATA / "demo" / "conversations.jsonl"))
    assert "metrics recomputed for 0 conversation(s)" in run("metrics", "refresh").stdout
    with installation.engine.begin() as conn:
        conn.execute(metrics_table.delete())
    assert "metrics recomputed for 12 conversation(s)" in run("metrics", "refresh").stdout
    assert len(stored(installation)) == 12


def test_after_a_burst_of_concurrent_deliveries_no_metrics_row_is_stale(
    installation: Installation,
) -> None:
    receiver = WebhookReceiver(installation)
    base = fixture("message_created_incoming")

    def deliver(number: int) -> None:
        payload = copy.deepcopy(base)
        payload["id"] = 5000 + number
        payload["content"] = f"message {number}"
        payload["conversation"]["id"] = 900 + number % 6
        payload["conversation"]["messages"] = []
        receiver.receive(source="main", body=json.dumps(payload).encode())

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(deliver, range(48)))
    with installation.engine.connect() as conn:
        assert metrics_store.stale_metric_keys(conn, limit=100) == []
    assert len(stored(installation)) == 6
