"""Importing conversations: idempotent, incremental, and all-or-nothing on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from auditkit.errors import ImportRejected
from auditkit.ledger.installation import Installation
from auditkit.ledger.verify import verify_ledger
from auditkit.sources.ingest import import_files
from tests.factories import DATA, make_conversation, write_jsonl


def _counts(installation: Installation) -> dict[str, int]:
    with installation.engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("log_entries", "checkpoints", "conversations", "messages")
        }


def _kinds(installation: Installation) -> list[str]:
    with installation.engine.connect() as conn:
        return [k for (k,) in conn.execute(text("SELECT kind FROM log_entries ORDER BY seq"))]


def test_demo_conversations_import_and_verify(installation: Installation) -> None:
    report = import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    assert report.new_conversations >= 10
    assert verify_ledger(installation).ok
    kinds = set(_kinds(installation))
    assert {"conversation.opened", "message", "assignment", "action", "consent"} <= kinds


def test_reimport_appends_no_conversation_records(installation: Installation) -> None:
    path = DATA / "demo" / "conversations.jsonl"
    first = import_files(installation, [path])
    before = _kinds(installation)
    again = import_files(installation, [path])
    after = _kinds(installation)
    assert again.new_conversations == 0 and again.updated_conversations == 0
    assert again.unchanged_conversations == first.new_conversations
    assert after[: len(before)] == before
    assert after[len(before) :] == ["import.run"]
    assert verify_ledger(installation).ok


def test_new_events_on_a_known_conversation_append_only_the_new_ones(
    installation: Installation, tmp_path: Path
) -> None:
    conversation = make_conversation("c-1", messages=2)
    import_files(installation, [write_jsonl(tmp_path / "a.jsonl", [conversation])])
    grown = make_conversation("c-1", messages=2)
    grown["events"] = [
        *conversation["events"][:-1],
        {
            "type": "message",
            "at": "2025-01-06T09:02:30Z",
            "author": "c-1-cust",
            "text": "one more thing",
        },
        conversation["events"][-1],
    ]
    report = import_files(installation, [write_jsonl(tmp_path / "b.jsonl", [grown])])
    assert report.updated_conversations == 1
    assert report.records_appended == 2  # the new message and the import run
    with installation.engine.connect() as conn:
        texts = [t for (t,) in conn.execute(text("SELECT text FROM messages ORDER BY seq"))]
    assert texts == ["message 0", "message 1", "one more thing"]
    assert verify_ledger(installation).ok


def test_a_rejected_file_commits_nothing_and_names_file_and_line(
    installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])
    before = _counts(installation)
    good = write_jsonl(tmp_path / "good.jsonl", [make_conversation(f"g-{i}") for i in range(3)])
    bad_conversation = make_conversation("bad-1")
    bad_conversation["events"][1]["author"] = "nobody"
    bad = write_jsonl(tmp_path / "bad.jsonl", [make_conversation("ok-1"), bad_conversation])
    with pytest.raises(ImportRejected) as caught:
        import_files(installation, [good, bad])
    assert caught.value.source.endswith("bad.jsonl")
    assert caught.value.line == 2
    assert "nobody" in caught.value.reason
    assert _counts(installation) == before
    assert verify_ledger(installation).ok


def test_malformed_json_is_rejected_with_its_line(
    installation: Installation, tmp_path: Path
) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(make_conversation("x")) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        import_files(installation, [path])
    assert caught.value.line == 2
    assert _counts(installation)["log_entries"] == 0


def test_abcd_and_sgd_files_import(installation: Installation) -> None:
    report = import_files(
        installation, [DATA / "abcd" / "abcd_sample.json", *sorted((DATA / "sgd").glob("*.json"))]
    )
    assert report.new_conversations > 3
    with installation.engine.connect() as conn:
        actions = {
            json.loads(bytes(e))["body"]["name"]
            for (e,) in conn.execute(text("SELECT entry FROM log_entries WHERE kind = 'action'"))
        }
    assert "verify-identity" in actions or "pull-up-account" in actions
    assert verify_ledger(installation).ok
