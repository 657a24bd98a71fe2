"""The retention run reads ``retention_facts`` (each conversation's customer, channel, intents
and closing time) grouped by subject in SQL: the facts equal what the whole conversations say,
follow a conversation that is reopened, and an erased subject leaves the run."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import format_time, parse_time
from auditkit.privacy.erasure import apply_retention, erase_subject
from auditkit.privacy.retention import closed_at, refresh_retention_facts, rule_days
from auditkit.settings import RetentionRule, load_settings
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


def _whole_conversation_report(
    installation: Installation, rules: tuple[RetentionRule, ...], now: datetime
) -> tuple[list[str], int]:
    """The run's answer computed as before the facts: from every whole conversation."""
    with installation.engine.connect() as conn:
        keys = [k for (k,) in conn.execute(text("SELECT conversation_key FROM conversations"))]
        erased = {
            s
            for (s,) in conn.execute(
                text("SELECT subject FROM subject_keys WHERE erased_at IS NOT NULL")
            )
        }
        whole = load_conversations(conn, keys, master=installation.master_key())
    due: dict[str, bool] = {}
    for conversation in whole:
        if conversation.customer in erased:
            continue
        days = rule_days(rules, conversation.channel, tuple(conversation.intents))
        closed = closed_at(conversation)
        ok = days is not None and closed is not None and closed + timedelta(days=days) <= now
        due[conversation.customer] = due.get(conversation.customer, True) and ok
    erasable = sorted(s for s, ok in due.items() if ok)
    return erasable, len(due) - len(erasable)


def test_the_grouped_run_answers_as_the_whole_conversations_do(
    ruled: Installation, tmp_path: Path
) -> None:
    """Rules by channel, by intent and both, at dates around each closing: the subjects due
    and the count kept equal what the whole conversations say (also after an erasure)."""
    import_files(ruled, [DEMO])
    refresh_retention_facts(ruled)
    with ruled.engine.connect() as conn:
        closings = sorted(
            parse_time(at)
            for (at,) in conn.execute(text("SELECT closed_at FROM retention_facts"))
            if at
        )
    assert closings
    rule_sets = [
        (),
        (RetentionRule(days=30, channel="web_chat"),),
        (RetentionRule(days=10, intent="refund"), RetentionRule(days=400, channel="web_chat")),
        (RetentionRule(days=1),),
    ]
    moments = [closings[0], closings[len(closings) // 2], closings[-1]]
    dates = [
        m + timedelta(days=d, microseconds=u) for m in moments for d in (1, 10, 30) for u in (-1, 0)
    ]
    dates.append(LATER)
    answers: set[tuple[bool, bool]] = set()  # (some due, some kept): the dates tell them apart
    for step in ("imported", "erased"):
        if step == "erased":
            erase_subject(ruled, "cust-maria-gonzalez", reason="customer asked")
        for rules in rule_sets:
            settings = replace(ruled.settings, retention=rules)
            installation = replace(ruled, settings=settings)
            for now in dates:
                report = apply_retention(installation, dry_run=True, now=now)
                assert (report.erased, report.kept) == _whole_conversation_report(
                    installation, rules, now
                ), (step, rules, now)
                answers.add((bool(report.erased), report.kept > 0))
    assert {(True, True), (False, True), (True, False)} <= answers
