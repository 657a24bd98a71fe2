"""The retention run reads ``retention_facts`` (each conversation's customer, channel, intents
and closing time) grouped by subject in SQL: the facts equal what the whole conversations say,
follow a conversation that is reopened, and an erased subject leaves the run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import format_time
from auditkit.privacy.erasure import apply_retention, erase_subject
from auditkit.privacy.retention import closed_at, refresh_retention_facts
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files
from tests.factories import DATA, make_conversation, write_jsonl

DEMO = DATA / "demo" / "conversations.jsonl"
LATER = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def ruled(env: dict[str, str]) -> Installation:
    sealed = {**env, "AUDITKIT_SEALING": "on"}
    home = Path(sealed["AUDITKIT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text(
        '[[retention]]\ndays = 30\nchannel = "web_chat"\n', encoding="utf-8"
    )
    initialise(load_settings(sealed))
    return Installation.open(load_settings(sealed))


def _facts(installation: Installation) -> dict[str, tuple[str, str, list[str], str | None]]:
    with installation.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT conversation_key, customer, channel, intents, closed_at FROM retention_facts"
            )
        )
        return {k: (c, ch, json.loads(i), at) for k, c, ch, i, at in rows}


def test_facts_equal_the_whole_conversations(ruled: Installation) -> None:
    import_files(ruled, [DEMO])
    assert refresh_retention_facts(ruled) > 0
    assert refresh_retention_facts(ruled) == 0  # up to date: nothing recomputed
    facts = _facts(ruled)
    with ruled.engine.connect() as conn:
        keys = sorted(facts)
        whole = load_conversations(conn, keys, master=ruled.master_key())
    for conversation in whole:
        closed = closed_at(conversation)
        assert facts[conversation.key] == (
            conversation.customer,
            conversation.channel,
            list(conversation.intents),
            None if closed is None else format_time(closed),
        )
    assert all(f[3] for f in facts.values())  # every demo conversation was resolved


def test_a_reopened_conversation_is_kept_again(ruled: Installation, tmp_path: Path) -> None:
    conversation = make_conversation("c-1")
    import_files(ruled, [write_jsonl(tmp_path / "a.jsonl", [conversation])])
    assert apply_retention(ruled, dry_run=True, now=LATER).erased == ["c-1-cust"]
    conversation["events"].append(
        {"type": "status", "at": "2025-01-07T09:00:00Z", "status": "reopened"}
    )
    import_files(ruled, [write_jsonl(tmp_path / "b.jsonl", [conversation])])
    again = apply_retention(ruled, dry_run=True, now=LATER)
    assert again.erased == [] and again.kept == 1
    assert _facts(ruled)["c-1"][3] is None  # open again


def test_an_erased_subject_leaves_the_run(ruled: Installation, tmp_path: Path) -> None:
    first, second = make_conversation("c-1"), make_conversation("c-2")
    import_files(ruled, [write_jsonl(tmp_path / "a.jsonl", [first, second])])
    assert apply_retention(ruled, dry_run=True, now=LATER).erased == ["c-1-cust", "c-2-cust"]
    erase_subject(ruled, "c-1-cust", reason="customer asked")
    after = apply_retention(ruled, dry_run=True, now=LATER)
    assert after.erased == ["c-2-cust"] and after.kept == 0
    assert set(_facts(ruled)) == {"c-1", "c-2"}  # the facts stay; erasure is read from the keys
    assert apply_retention(ruled, dry_run=True, now=datetime(2025, 1, 7, tzinfo=UTC)).kept == 1
