"""`auditkit autoqa`: one signed record per conversation, incremental, in worker processes;
results and refusals from the CLI; automatic scores never enter the human review tables."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from auditkit.autoqa import service as autoqa_service
from auditkit.autoqa.results import autoqa_results, flag_wrong
from auditkit.autoqa.scorers import auto_score, scorer_version
from auditkit.autoqa.signals import compute_signals
from auditkit.checks.service import run_checks
from auditkit.db.engine import read_transaction
from auditkit.errors import InputRefused, NotFound
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import iter_conversations
from auditkit.ledger.verify import verify_ledger
from auditkit.review.rubrics import available_rubrics
from auditkit.sources.ingest import import_files
from tests.conftest import Cli
from tests.factories import DATA, make_conversation, write_jsonl

DEMO = DATA / "demo" / "conversations.jsonl"


def autoqa_bodies(installation: Installation) -> list[dict[str, object]]:
    with installation.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT entry FROM log_entries WHERE kind = 'autoqa' ORDER BY seq")
        )
        return [json.loads(bytes(entry)) for (entry,) in rows]


def count(installation: Installation, table: str) -> int:
    with installation.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_every_conversation_gets_one_signed_record_and_a_rerun_appends_nothing(
    installation: Installation,
) -> None:
    import_files(installation, [DEMO])
    conversations = count(installation, "conversations")
    report = autoqa_service.run_autoqa(installation)
    assert report.scored == report.recorded == conversations
    entries = autoqa_bodies(installation)
    assert len(entries) == conversations
    body = entries[0]["body"]
    assert isinstance(body, dict)
    (rubric,) = [r for r in available_rubrics(installation) if r.id == "messaging-quality"]
    assert body["rubric_hash"] == rubric.content_hash
    assert body["scorer_version"] == scorer_version(rubric)
    criterion = body["criteria"]["closure-confirmation"]
    assert set(criterion) == {"level", "score", "confidence", "evidence_seqs", "reason"}
    assert "resolution_confirmed" in body["signals"]
    size = count(installation, "log_entries")
    again = autoqa_service.run_autoqa(installation)
    assert again.recorded == 0 and again.unchanged == conversations
    assert count(installation, "log_entries") == size
    assert verify_ledger(installation).ok


def test_a_changed_conversation_or_check_result_is_scored_again_alone(
    installation: Installation, tmp_path: Path
) -> None:
    first, second = make_conversation("c-1"), make_conversation("c-2")
    import_files(installation, [write_jsonl(tmp_path / "a.jsonl", [first, second])])
    assert autoqa_service.run_autoqa(installation).recorded == 2
    first["events"].append(
        {
            "type": "message",
            "at": "2025-01-06T09:30:00Z",
            "author": "c-1-agent",
            "text": "Is there anything else I can help you with?",
        },
    )
    import_files(installation, [write_jsonl(tmp_path / "b.jsonl", [first])])
    report = autoqa_service.run_autoqa(installation)
    assert (report.recorded, report.unchanged) == (1, 1)
    assert autoqa_bodies(installation)[-1]["conversation"] == "c-1"
    run_checks(installation)  # new check results are an input of the policy gates
    assert autoqa_service.run_autoqa(installation).recorded == 2


def test_scoring_in_worker_processes_gives_what_scoring_in_process_gives(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_files(installation, [DEMO, DATA / "abcd" / "abcd_sample.json"])
    monkeypatch.setattr(autoqa_service, "IN_PROCESS_BELOW", 0)
    monkeypatch.setattr(autoqa_service, "JOB", 3)  # several jobs across the two workers
    gc.unfreeze()  # a caller whose heap is not frozen (another test may have frozen it)
    report = autoqa_service.run_autoqa(installation, workers=2)
    assert report.recorded == count(installation, "conversations")
    assert gc.get_freeze_count() == 0  # the heap frozen while appending is given back
    (rubric,) = [r for r in available_rubrics(installation) if r.id == "messaging-quality"]
    with read_transaction(installation.engine) as conn:
        expected = {
            c.key: {s.criterion: s.level for s in auto_score(rubric, compute_signals(c)).criteria}
            for c in iter_conversations(conn, master=installation.master_key())
        }
    stored = {
        r.conversation_id: {c.criterion: c.level for c in r.criteria}
        for r in autoqa_results(installation)
    }
    assert stored == expected
    assert verify_ledger(installation).ok


def test_an_unknown_conversation_is_refused_before_anything_is_scored(
    installation: Installation,
) -> None:
    import_files(installation, [DEMO])
    size = count(installation, "log_entries")
    with pytest.raises(NotFound, match="unknown conversation"):
        autoqa_service.run_autoqa(installation, conversation_ids=["nb-2024-10502", "nope"])
    assert count(installation, "log_entries") == size
    assert count(installation, "autoqa_scores") == 0


def test_automatic_scores_never_enter_the_human_review_tables(installation: Installation) -> None:
    import_files(installation, [DEMO])
    autoqa_service.run_autoqa(installation)
    assert count(installation, "reviews") == count(installation, "review_scores") == 0


def test_a_flag_records_a_wrong_level_without_changing_the_score(
    installation: Installation,
) -> None:
    import_files(installation, [DEMO])
    autoqa_service.run_autoqa(installation)
    (result,) = autoqa_results(installation, conversation_ids=["nb-2024-10502"])
    seq = flag_wrong(
        installation,
        conversation_id="nb-2024-10502",
        rubric_hash=result.rubric_hash,
        criterion_id="tone-consistency",
        actor="rita",
        note="the agent was warm",
    )
    assert count(installation, "autoqa_flags") == 1
    assert autoqa_results(installation, conversation_ids=["nb-2024-10502"]) == [result]
    with pytest.raises(InputRefused, match="no automatic level"):
        flag_wrong(
            installation,
            conversation_id="nb-2024-10502",
            rubric_hash=result.rubric_hash,
            criterion_id="made-up",
            actor="rita",
            note="",
        )
    assert count(installation, "autoqa_flags") == 1
    assert verify_ledger(installation).ok and seq > result.record_seq


def test_the_cli_scores_prints_results_and_refuses_an_unknown_conversation(
    run: Cli, installation: Installation
) -> None:
    imported = run("import", str(DEMO))  # an import scores what it changed
    assert "autoqa:" in imported.output
    assert "0 autoqa record(s) appended" in run("autoqa").output
    lines = run("autoqa", "results", "--format", "jsonl").output.splitlines()
    objects = [json.loads(line) for line in lines]
    assert len(objects) == count(installation, "conversations")
    first = objects[0]
    assert {"conversation_id", "rubric", "score", "criteria", "signals"} <= set(first)
    assert first["score"] is None or 0 <= first["score"] <= 100
    some = next(iter(first["criteria"].values()))
    assert {"level", "score", "confidence", "evidence_seqs"} <= set(some)
    refused = run("autoqa", "--conversation", "nope", ok=False)
    assert refused.exit_code == 1 and "unknown conversation(s): nope" in refused.output
    agreement = json.loads(run("autoqa", "agreement", "--format", "json").output)
    assert agreement[0]["criteria"]["closure-confirmation"]["pairs"] == 0


def test_an_automatic_score_edited_behind_auditkits_back_is_reported_by_verify(
    installation: Installation,
) -> None:
    import_files(installation, [DEMO])
    autoqa_service.run_autoqa(installation)
    assert verify_ledger(installation).ok  # the tables are what the records say
    with installation.engine.begin() as conn:
        conn.execute(
            text("UPDATE autoqa_scores SET score = 100 WHERE conversation_key = 'nb-2024-10502'")
        )
    report = verify_ledger(installation)
    assert not report.ok
    assert any("autoqa_scores" in str(problem) for problem in report.problems), report.problems


def test_a_rubric_with_a_bad_auto_scorer_is_refused_and_nothing_is_scored(
    run: Cli, installation: Installation
) -> None:
    import_files(installation, [DEMO])
    own = installation.settings.home / "rubrics"
    own.mkdir()
    source = (DATA.parent.parent / "rubrics" / "messaging-quality.yaml").read_text("utf-8")
    bad = source.replace("id: messaging-quality", "id: team", 1).replace(
        "when: resolution_confirmed, confidence: 0.8", "when: resolved_fast, confidence: 0.8"
    )
    (own / "team.yaml").write_text(bad, encoding="utf-8")
    size = count(installation, "log_entries")
    refused = run("autoqa", ok=False)
    assert refused.exit_code == 1
    assert "team.yaml: sections[0].criteria[4].autoqa.rules[1].when" in refused.output
    assert "unknown signal 'resolved_fast'" in refused.output
    assert count(installation, "log_entries") == size and count(installation, "autoqa_scores") == 0


def test_an_import_is_recorded_even_when_autoqa_cannot_run(
    run: Cli, installation: Installation
) -> None:
    own = installation.settings.home / "rubrics"
    own.mkdir()
    (own / "broken.yaml").write_text("id: [", encoding="utf-8")
    result = run("import", str(DEMO))  # exit 0: the import is committed
    assert "autoqa not run (the import is recorded)" in result.output
    assert count(installation, "conversations") > 0 and count(installation, "autoqa_scores") == 0
