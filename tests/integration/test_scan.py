"""`auditkit scan`: incremental, recorded without values, feeding the restricted-data checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from auditkit.checks.service import run_checks
from auditkit.ledger.installation import Installation
from auditkit.ledger.verify import verify_ledger
from auditkit.pii.scan import scan_messages
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files
from tests.conftest import Cli
from tests.factories import DATA, make_conversation, write_jsonl


def _conversation_with_card(key: str) -> dict:
    conversation = make_conversation(key, messages=2)
    conversation["events"][1]["text"] = (
        "my card number is 4111 1111 1111 1111 and my password is hunter22"
    )
    return conversation


@pytest.fixture
def patterns(env: dict[str, str], installation: Installation) -> Installation:
    return Installation.open(load_settings({**env, "AUDITKIT_PII_MODEL": "patterns"}))


def test_scan_is_incremental_and_records_no_values(patterns: Installation, tmp_path: Path) -> None:
    import_files(patterns, [write_jsonl(tmp_path / "a.jsonl", [_conversation_with_card("c-1")])])
    first = scan_messages(patterns, workers=1)
    assert first.messages == 2 and first.by_type.get("CREDIT_CARD") == 1 and first.restricted >= 1
    assert scan_messages(patterns, workers=1).messages == 0
    import_files(patterns, [write_jsonl(tmp_path / "b.jsonl", [_conversation_with_card("c-2")])])
    assert scan_messages(patterns, workers=1).messages == 2
    with patterns.engine.connect() as conn:
        bodies = [
            bytes(e)
            for (e,) in conn.execute(
                text("SELECT entry FROM log_entries WHERE kind = 'pii.findings'")
            )
        ]
        restricted = conn.execute(text("SELECT kind, entity_type FROM restricted_findings")).all()
    assert len(bodies) == 2
    assert all(b"4111" not in body and b"hunter22" not in body for body in bodies)
    assert ("sent_by_customer", "CREDIT_CARD") in {(k, e) for k, e in restricted}
    assert json.loads(bodies[0])["body"]["messages"][0]["findings"][0]["entity_type"]
    assert verify_ledger(patterns).ok


def test_a_new_detector_configuration_rescans(
    patterns: Installation, env: dict[str, str], tmp_path: Path
) -> None:
    import_files(patterns, [write_jsonl(tmp_path / "a.jsonl", [_conversation_with_card("c-1")])])
    scan_messages(patterns, workers=1)
    spacy = Installation.open(load_settings(env))
    assert scan_messages(spacy, workers=1).messages == 2


def test_restricted_data_policy_reads_the_scan(patterns: Installation, tmp_path: Path) -> None:
    import_files(patterns, [write_jsonl(tmp_path / "a.jsonl", [_conversation_with_card("c-1")])])
    run_checks(patterns, policy_ids=["restricted-data"])
    with patterns.engine.connect() as conn:
        before = conn.execute(
            text("SELECT outcome FROM check_results WHERE policy_id = 'restricted-data'")
        ).scalar_one()
    scan_messages(patterns, workers=1)
    report = run_checks(patterns, policy_ids=["restricted-data"])
    assert report.recorded == 1  # new findings are a new input
    with patterns.engine.connect() as conn:
        after = conn.execute(
            text("SELECT outcome FROM check_results WHERE policy_id = 'restricted-data'")
        ).scalar_one()
    assert before == "not_applicable" and after == "fail"


def test_parallel_scan_with_spacy_finds_the_demo_data(installation: Installation) -> None:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    report = scan_messages(installation, workers=2)
    assert (
        report.messages > 80
        and report.by_type.get("PERSON", 0) > 0
        and report.by_type.get("EMAIL_ADDRESS", 0) > 0
    )
    assert verify_ledger(installation).ok


def test_pii_command_prints_findings_and_redacted_text(run: Cli) -> None:
    run.env = {**run.env, "AUDITKIT_PII_MODEL": "patterns"}
    result = run("pii", "card 4111 1111 1111 1111, mail me at ana@example.com")
    lines = result.output.strip().splitlines()
    assert {json.loads(line)["entity_type"] for line in lines[:-1]} >= {
        "CREDIT_CARD",
        "EMAIL_ADDRESS",
    }
    assert lines[-1] == "card [CREDIT_CARD], mail me at [EMAIL]"
    per_message = run(
        "pii", "--conversation-file", str(DATA / "demo" / "conversations.jsonl"), ok=False
    )
    assert per_message.exit_code == 1 and "expected one conversation" in per_message.output
    empty = run("pii", "   ", ok=False)
    assert empty.exit_code == 1 and "no text" in empty.output


def test_scan_command(run: Cli) -> None:
    run.env = {**run.env, "AUDITKIT_PII_MODEL": "patterns"}
    run("init")
    run("import", str(DATA / "demo" / "conversations.jsonl"))
    assert "findings" in run("scan", "--workers", "1").output
    assert "nothing to scan" in run("scan").output


def test_a_scan_analyses_each_distinct_text_once_and_finds_what_detect_batch_finds(
    installation: Installation,
) -> None:
    """Texts repeated across conversations and pages are analysed once; every
    conversation's findings are still those of ``detect_batch`` with its participants."""
    from auditkit.ledger.conversation import LedgerParticipant
    from auditkit.pii import DetectorConfig, build_detector
    from auditkit.pii.scan import _Analyses

    detector = build_detector(DetectorConfig())
    calls: list[list[str]] = []
    analyze = detector.analyze

    def counting(texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return analyze(texts)

    detector.analyze = counting  # type: ignore[method-assign]
    ana = LedgerParticipant("c1", "customer", "Ana Dias", None, "ana@example.org")
    bo = LedgerParticipant("c2", "customer", "Bo Lind", None, None, "+44 7700 900123")
    macro = "Thanks for waiting, Ana Dias, your card is blocked."
    page_one = [
        ((ana,), [macro, "my email is ana@example.org"]),
        ((bo,), [macro, "call me on +44 7700 900123, Bo Lind here"]),
    ]
    page_two = [((bo,), [macro, "Bo Lind, 22 Larch Road, Leeds LS6 2JU"])]
    analyses = _Analyses(None, detector, workers=1)
    got = analyses.detect(page_one) + analyses.detect(page_two)
    analysed = [text for call in calls for text in call]
    assert sorted(analysed) == sorted(set(analysed)) and analysed.count(macro) == 1
    fresh = build_detector(DetectorConfig(), cache_size=0)
    expected = [fresh.detect_batch(texts, people) for people, texts in page_one + page_two]
    assert got == expected
    # The customer's name is masked in the macro of her conversation only.
    assert any(f.entity_type == "PERSON" for f in got[0][0])
