"""The checks and AutoQA read compact timelines (``conversation_timelines``): the results
equal those of the reference path (every record decoded and opened) on the test data sets,
and the timelines stay in step with the log after imports, appends and erasure."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from auditkit.autoqa import store as autoqa_store
from auditkit.autoqa.scorers import auto_score, scorer_version
from auditkit.autoqa.service import autoqa_rubrics, input_key, record_body, run_autoqa
from auditkit.autoqa.signals import PolicyOutcome, compute_signals
from auditkit.checks import evaluate
from auditkit.checks.service import SEALED_FIELDS_READ, run_checks, select_policies
from auditkit.db.engine import read_transaction
from auditkit.ledger import store as ledger_store
from auditkit.ledger.conversation import LedgerConversation
from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.projections.timelines import HIDDEN
from auditkit.ledger.reader import load_conversations, load_timelines
from auditkit.ledger.sealing.cipher import ERASED
from auditkit.ledger.verify import verify_ledger
from auditkit.privacy.erasure import erase_subject
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files
from tests.factories import DATA, make_conversation, write_jsonl

# The shared data sets the checks and AutoQA are tested on: the demo, ABCD (action fields),
# SGD (dialogue acts).
DATA_SETS = [
    DATA / "demo" / "conversations.jsonl",
    DATA / "abcd" / "abcd_sample.json",
    DATA / "sgd" / "dialogues_039.json",
]
SUBJECT = "cust-maria-gonzalez"
SECRET_TEXT = (
    "Lumen Electronics"  # only in this subject's messages (tests/integration/test_erasure.py)
)


def _without_personal_participants(conversation: LedgerConversation) -> LedgerConversation:
    people = {
        key: dataclasses.replace(person, name=None, email=None, phone=None)
        for key, person in conversation.participants.items()
    }
    return dataclasses.replace(conversation, participants=people)


def _keys(installation: Installation) -> list[str]:
    with read_transaction(installation.engine) as conn:
        return ledger_store.conversation_keys(conn, limit=100_000)


def _both(
    installation: Installation, open_fields: frozenset[str] | None = None
) -> tuple[list[LedgerConversation], list[LedgerConversation]]:
    keys = _keys(installation)
    master = installation.master_key()
    with read_transaction(installation.engine) as conn:
        reference = load_conversations(conn, keys, master=master)
        fast = load_timelines(conn, keys, master=master, open_fields=open_fields)
    return reference, fast


def _assert_timelines_read_as_the_log(installation: Installation) -> None:
    reference, fast = _both(installation)
    assert [_without_personal_participants(c) for c in reference] == fast


ROOT = Path(__file__).resolve().parents[2]


def _generated(path: Path, conversations: int) -> Path:
    """Conversations from the benchmarks' seeded generator (statuses, transfers, actions,
    consent, CSAT comments, long and short messages): volume beside the shared sets."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    module.write_conversations(path, conversations, 7)
    return path


@pytest.fixture
def loaded(installation: Installation, tmp_path: Path) -> Installation:
    import_files(installation, [*DATA_SETS, _generated(tmp_path / "generated.jsonl", 120)])
    return installation


def test_timelines_read_what_the_log_reads_on_the_test_data_sets(loaded: Installation) -> None:
    reference, fast = _both(loaded)
    assert len(fast) > 100
    assert any(e.body.get("acts") for c in fast for e in c.events)  # SGD: sealed acts opened
    assert any(e.body.get("fields") for c in fast for e in c.events)  # ABCD: action fields
    assert [_without_personal_participants(c) for c in reference] == fast
    assert verify_ledger(loaded).ok


def test_check_results_from_timelines_equal_the_reference_evaluation(loaded: Installation) -> None:
    policies = select_policies(loaded)
    reference, fast = _both(loaded, SEALED_FIELDS_READ)
    for slow, quick in zip(reference, fast, strict=True):
        assert evaluate(policies, slow) == evaluate(policies, quick), slow.key
    report = run_checks(loaded)
    with loaded.engine.connect() as conn:
        stored = {
            (body["policy_id"], key): body
            for key, body in (
                (k, json.loads(bytes(e))["body"])
                for k, e in conn.execute(
                    text(
                        "SELECT conversation_key, entry FROM log_entries WHERE kind = 'check.result'"
                    )
                )
            )
        }
    assert report.recorded == len(stored) == len(policies) * len(reference)
    for conversation in reference:
        for result in evaluate(policies, conversation):
            body = stored[(result.policy_id, conversation.key)]
            assert body["outcome"] == result.outcome
            assert body["evidence_seqs"] == list(result.evidence_seqs)
            assert body["explanation"] == result.explanation
            assert [r["outcome"] for r in body["rules"]] == [r.outcome for r in result.rule_results]
    size = ledger_store.tree_size(loaded.engine.connect())
    again = run_checks(loaded)
    assert again.recorded == 0 and again.unchanged == report.evaluated
    assert again.outcomes == report.outcomes
    assert again.failures_by_policy == report.failures_by_policy
    assert ledger_store.tree_size(loaded.engine.connect()) == size


def test_autoqa_records_from_timelines_equal_the_reference_scoring(loaded: Installation) -> None:
    run_checks(loaded)  # the policy gates read the check results
    report = run_autoqa(loaded, workers=1)
    (rubric,) = [r for r in autoqa_rubrics(loaded) if r.id == "messaging-quality"]
    with loaded.engine.connect() as conn:
        stored = {
            json.loads(bytes(e))["conversation"]: json.loads(bytes(e))["body"]
            for (e,) in conn.execute(text("SELECT entry FROM log_entries WHERE kind = 'autoqa'"))
        }
    keys = _keys(loaded)
    with read_transaction(loaded.engine) as conn:
        reference = load_conversations(conn, keys, master=loaded.master_key())
        results = autoqa_store.policy_results(conn, keys)
    expected: dict[str, dict[str, Any]] = {}
    for conversation in reference:
        if not rubric.applies_to.matches(conversation.channel, conversation.intents):
            continue
        found = results.get(conversation.key, {})
        signals = compute_signals(
            conversation, {p: PolicyOutcome(o, tuple(s)) for p, (o, _h, s) in found.items()}
        )
        expected[conversation.key] = record_body(
            conversation.last_seq,
            input_key(conversation.last_seq, found),
            auto_score(rubric, signals),
            signals.document(),
            content_hash=rubric.content_hash,
            version=scorer_version(rubric),
        )
    assert report.recorded == len(stored) == len(expected) > 100
    assert stored == expected
    assert run_autoqa(loaded, workers=1).recorded == 0


def test_timelines_stay_in_step_after_new_imports_and_appends(
    installation: Installation, tmp_path: Path
) -> None:
    conversation = make_conversation("c-1")
    import_files(installation, [write_jsonl(tmp_path / "a.jsonl", [conversation])])
    conversation["events"].append(
        {
            "type": "message",
            "at": "2025-01-06T09:30:00Z",
            "author": "c-1-agent",
            "text": "Is there anything else I can help you with?",
        }
    )
    import_files(
        installation,
        [write_jsonl(tmp_path / "b.jsonl", [conversation, make_conversation("c-2")]), *DATA_SETS],
    )
    _assert_timelines_read_as_the_log(installation)
    (fast,) = load_timelines(
        installation.engine.connect(), ["c-1"], master=installation.master_key()
    )
    assert fast.events[-1].body["text"] == "Is there anything else I can help you with?"
    assert verify_ledger(installation).ok


def test_a_timeline_holds_no_participant_details_and_no_other_sealed_field_in_clear(
    loaded: Installation,
) -> None:
    with loaded.engine.connect() as conn:
        rows = [
            json.loads(t)
            for (t,) in conn.execute(text("SELECT timeline FROM conversation_timelines"))
        ]
    people = {json.dumps(p) for t in rows for p in t["participants"]}
    assert not any("name" in p or "email" in p or "phone" in p for p in people)
    texts = json.dumps(rows, ensure_ascii=False)
    assert "María González" not in texts and "maria.gonzalez@example.com" not in texts
    sealed = [e for t in rows for e in t["events"] if len(e) > 4]
    assert sealed  # SGD acts and ABCD fields stayed sealed
    for _seq, kind, _at, body, envelope, names in sealed:
        assert names and not set(names) & set(body) and set(names) <= HIDDEN[kind]
        assert envelope["ct"]


def test_erased_text_survives_in_no_timeline(installation: Installation) -> None:
    import_files(installation, DATA_SETS[:1])
    with installation.engine.connect() as conn:
        before = conn.execute(text("SELECT timeline FROM conversation_timelines")).scalars().all()
    assert any(SECRET_TEXT in t for t in before)
    erase_subject(installation, SUBJECT, reason="GDPR request 42")
    with installation.engine.connect() as conn:
        after = conn.execute(text("SELECT timeline FROM conversation_timelines")).scalars().all()
    assert not any(SECRET_TEXT in t for t in after)
    assert any(ERASED in t for t in after)
    _assert_timelines_read_as_the_log(installation)
    assert verify_ledger(installation).ok


def test_missing_timelines_are_read_from_the_log_reported_by_verify_and_backfilled_by_init(
    loaded: Installation, env: dict[str, str]
) -> None:
    with loaded.engine.begin() as conn:
        conn.execute(text("DELETE FROM conversation_timelines WHERE conversation_key LIKE 'nb-%'"))
    _assert_timelines_read_as_the_log(loaded)  # the readers fall back to the log
    report = verify_ledger(loaded)
    assert not report.ok and "conversation_timelines" in report.problems[0].reason
    initialise(load_settings(env))
    assert verify_ledger(loaded).ok
    _assert_timelines_read_as_the_log(loaded)
