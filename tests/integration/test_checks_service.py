"""`auditkit check`: results recorded per conversation and policy, re-evaluated only on change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from auditkit.checks import PolicyLoadError
from auditkit.checks.service import UnknownPolicy, run_checks
from auditkit.ledger.installation import Installation
from auditkit.ledger.verify import verify_ledger
from auditkit.review import findings
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files
from tests.factories import DATA, add_unvalidated_refund, make_conversation, write_jsonl

DEMO = DATA / "demo" / "conversations.jsonl"


def _results(installation: Installation) -> dict[tuple[str, str], str]:
    with installation.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT conversation_key, policy_id, outcome FROM check_results")
        ).all()
    return {(k, p): o for k, p, o in rows}


def test_check_records_results_and_finds_the_demo_violations(installation: Installation) -> None:
    import_files(installation, [DEMO])
    report = run_checks(installation)
    results = _results(installation)
    assert report.recorded == len(results) == report.evaluated
    assert results[("nb-2024-10502", "identity-validation")] == "fail"  # refund, no validation
    assert results[("nb-2024-10611", "identity-validation")] == "fail"  # after a failed one
    assert results[("nb-2024-10650", "consent-scopes")] == "fail"  # after withdrawal
    with installation.engine.connect() as conn:
        bodies = [
            json.loads(bytes(e))["body"]
            for (e,) in conn.execute(
                text("SELECT entry FROM log_entries WHERE kind = 'check.result'")
            )
        ]
    failing = next(
        b for b in bodies if b["policy_id"] == "identity-validation" and b["outcome"] == "fail"
    )
    assert failing["evidence_seqs"] and failing["policy_hash"] and failing["explanation"]
    assert verify_ledger(installation).ok


def test_rerun_appends_nothing_until_the_conversation_changes(
    installation: Installation, tmp_path: Path
) -> None:
    conversation = make_conversation("c-1")
    import_files(installation, [write_jsonl(tmp_path / "a.jsonl", [conversation])])
    first = run_checks(installation)
    again = run_checks(installation)
    assert again.recorded == 0 and again.unchanged == first.recorded
    add_unvalidated_refund(conversation)
    import_files(installation, [write_jsonl(tmp_path / "b.jsonl", [conversation])])
    third = run_checks(installation)
    assert (
        third.recorded == first.recorded
    )  # every policy re-evaluated for the changed conversation
    assert _results(installation)[("c-1", "identity-validation")] == "fail"


def test_a_new_policy_version_reevaluates(
    installation: Installation, env: dict[str, str], tmp_path: Path
) -> None:
    import_files(installation, [DEMO])
    folder = tmp_path / "policies"
    folder.mkdir()
    policy = "id: team-hygiene\\nversion: '1'\\ndescription: Resolved conversations carry a code\\nseverity: low\\nrules:\\n  - id: code\\n    type: resolution_hygiene\\n    codes: [refund-issued]\\n"
    (folder / "team.yaml").write_text(policy.replace("\\n", "\n"), encoding="utf-8")
    team = Installation.open(load_settings({**env, "AUDITKIT_POLICY_DIR": str(folder)}))
    first = run_checks(team, policy_ids=["team-hygiene"])
    assert first.recorded == first.conversations
    (folder / "team.yaml").write_text(
        policy.replace("\\n", "\n").replace("version: '1'", "version: '2'"), encoding="utf-8"
    )
    second = run_checks(team, policy_ids=["team-hygiene"])
    assert second.recorded == first.recorded


def test_unknown_policy_and_invalid_policy_files_are_refused(
    installation: Installation, env: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(UnknownPolicy, match="no-such-policy"):
        run_checks(installation, policy_ids=["no-such-policy"])
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "bad.yaml").write_text(
        "id: x\nversion: 1\nrules: [{type: nonsense}]\n", encoding="utf-8"
    )
    team = Installation.open(load_settings({**env, "AUDITKIT_POLICY_DIR": str(folder)}))
    with pytest.raises(PolicyLoadError, match=r"bad\.yaml"):
        run_checks(team)
    assert _results(installation) == {}


def test_findings_show_redacted_evidence(installation: Installation) -> None:
    import_files(installation, [DEMO])
    run_checks(installation)
    query = findings.findings_query(installation, {"policy": "identity-validation"})
    found = findings.all_findings(installation, query)
    assert {f.conversation_key for f in found} == {"nb-2024-10502", "nb-2024-10611"}
    assert all(f.evidence for f in found)
    narrower = findings.findings_query(
        installation, {"policy": "identity-validation", "channel": "in_app_chat"}
    )
    assert not findings.all_findings(installation, narrower)


def test_real_data_harper_valley_style_and_sgd_confirmation(installation: Installation) -> None:
    import_files(
        installation, [DATA / "sgd" / "dialogues_039.json", DATA / "abcd" / "abcd_sample.json"]
    )
    run_checks(installation, policy_ids=["sgd-transfer-confirmation"])
    outcomes = {
        k: o for (k, p), o in _results(installation).items() if p == "sgd-transfer-confirmation"
    }
    assert outcomes and "fail" not in outcomes.values()
