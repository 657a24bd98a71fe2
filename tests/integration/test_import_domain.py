"""Values canonical JSON cannot hold are refused up front, and an import is one unit."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from auditkit.errors import ImportRejected, InputRefused
from auditkit.ledger.append import append_records
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import RecordDraft, RecordKind, RecordRefused
from auditkit.periods import utc_now
from auditkit.sources import jsonl
from auditkit.sources.ingest import import_files
from auditkit.sources.sgd import parse_sgd
from tests.factories import DATA, make_conversation, write_jsonl

BIG = 2**53 + 1


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    """Sealing off: the issue's case, where ``fields`` reach the leaf bytes in the clear."""
    return {**env, "AUDITKIT_SEALING": "off"}


def _state(installation: Installation) -> dict[str, int]:
    with installation.engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("log_entries", "checkpoints", "conversations", "messages")
        }


def _with_action_fields(conversation_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    document = make_conversation(conversation_id)
    last = document["events"][-1]["at"]
    document["events"].append(
        {"type": "action", "at": last, "name": "issue-refund", "fields": fields}
    )
    return document


def test_an_integer_beyond_2_53_in_fields_is_refused_with_file_line_and_path(
    installation: Installation, tmp_path: Path
) -> None:
    conversations = [make_conversation(f"c{i}") for i in range(3)]
    conversations.append(_with_action_fields("c3", {"amount": BIG}))
    path = write_jsonl(tmp_path / "big.jsonl", conversations)
    before = _state(installation)
    with pytest.raises(ImportRejected) as refused:
        import_files(installation, [path], batch_conversations=1)
    assert refused.value.source == str(path)
    assert refused.value.line == 4
    assert refused.value.reason.startswith("events[6].fields.amount: integer 9007199254740993")
    assert "canonical JSON" in refused.value.reason
    assert _state(installation) == before


@pytest.mark.parametrize(
    "value",
    [2**53 - 1, -(2**53 - 1), 12.5, "9007199254740993"],
    ids=["max-safe", "min-safe", "float", "as-string"],
)
def test_values_inside_the_domain_are_accepted(
    installation: Installation, tmp_path: Path, value: object
) -> None:
    path = write_jsonl(tmp_path / "ok.jsonl", [_with_action_fields("ok", {"amount": value})])
    report = import_files(installation, [path])
    assert report.new_conversations == 1


@pytest.mark.parametrize("value", [-(2**53), 2**63, [1, {"deep": 10**30}]])
def test_out_of_domain_integers_anywhere_in_fields_are_refused(value: object) -> None:
    line = json.dumps(_with_action_fields("x", {"nested": value}))
    with pytest.raises(ImportRejected) as refused:
        list(jsonl.parse_jsonl_lines([line], source="t.jsonl"))
    assert refused.value.reason.startswith("events[6].fields.nested")
    assert "outside ±(2^53 − 1)" in refused.value.reason


def test_the_ledger_refuses_a_record_outside_the_domain_naming_where(
    installation: Installation,
) -> None:
    before = _state(installation)
    draft = RecordDraft(
        kind=RecordKind.ACCESS,
        conversation=None,
        occurred_at=utc_now(),
        body={"actor": "tester", "fields": {"count": [1, 2**60]}},
    )
    with pytest.raises(RecordRefused) as refused:
        append_records(installation, [draft])
    assert isinstance(refused.value, InputRefused)
    assert refused.value.problems == [
        "access record: body.fields.count[1]: integer 1152921504606846976 is outside"
        " ±(2^53 − 1), the range canonical JSON (RFC 8785) stores exactly"
    ]
    assert _state(installation) == before


def test_an_import_is_all_or_nothing_whatever_the_batch_size(
    installation: Installation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Let a value through validation to make the append itself fail on the last batch:
    # the batches before it and the import.run record must not be kept either.
    monkeypatch.setattr(jsonl, "_check_values", lambda document: None)
    conversations = [make_conversation(f"c{i}") for i in range(4)]
    conversations.append(_with_action_fields("c4", {"amount": BIG}))
    path = write_jsonl(tmp_path / "late.jsonl", conversations)
    before = _state(installation)
    with pytest.raises(RecordRefused) as refused:
        import_files(installation, [path], batch_conversations=2)
    assert "of conversation 'c4'" in str(refused.value)
    assert "body.fields.amount" in str(refused.value)
    assert _state(installation) == before
    with installation.engine.connect() as conn:
        runs = conn.execute(
            text("SELECT count(*) FROM log_entries WHERE kind = 'import.run'")
        ).scalar_one()
    assert runs == 0


def test_a_good_import_in_many_batches_commits_once_with_its_run_record(
    installation: Installation, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "many.jsonl", [make_conversation(f"m{i}") for i in range(5)])
    before = _state(installation)
    seen: list[tuple[int, int]] = []
    report = import_files(
        installation, [path], batch_conversations=2, progress=lambda d, t: seen.append((d, t))
    )
    after = _state(installation)
    assert report.new_conversations == 5
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert after["checkpoints"] == before["checkpoints"] + 1  # one unit, one signed head
    assert after["log_entries"] == before["log_entries"] + report.records_appended
    with installation.engine.connect() as conn:
        last = conn.execute(text("SELECT kind FROM log_entries ORDER BY seq DESC")).first()
    assert last is not None and last[0] == "import.run"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("conversation_id", " "),
        ("conversation_id", "\u00a0\u2003"),
        ("conversation_id", "\u200b"),
        ("channel", "   "),
        ("segment", " "),
        ("intents", ["billing", " "]),
    ],
    ids=["space", "nbsp-emspace", "zero-width", "blank-channel", "blank-segment", "blank-intent"],
)
def test_identifiers_and_labels_need_a_visible_character(field: str, value: object) -> None:
    document = {**make_conversation("v"), field: value}
    with pytest.raises(ImportRejected) as refused:
        list(jsonl.parse_jsonl_lines([json.dumps(document)], source="t.jsonl"))
    assert refused.value.line == 1
    assert refused.value.reason.split(":")[0].startswith(field)
    assert "must contain a visible character" in refused.value.reason


def test_a_blank_participant_or_event_id_is_refused() -> None:
    document = make_conversation("v")
    document["events"][1]["id"] = "  "
    with pytest.raises(ImportRejected, match=r"events\[1\]\.id: .*visible character"):
        list(jsonl.parse_jsonl_lines([json.dumps(document)], source="t.jsonl"))


def test_an_identifier_with_inner_spaces_is_still_accepted() -> None:
    document = {**make_conversation("v"), "conversation_id": " case 117 "}
    (item,) = jsonl.parse_jsonl_lines([json.dumps(document)], source="t.jsonl")
    assert item.conversation.conversation_id == " case 117 "


@pytest.mark.parametrize(
    "speaker", [{"role": "USER"}, ["USER"], 1, None], ids=["object", "list", "number", "null"]
)
def test_an_sgd_speaker_of_the_wrong_type_is_refused_with_its_path(speaker: object) -> None:
    dialogues = json.loads((DATA / "sgd" / "dialogues_039.json").read_text(encoding="utf-8"))
    dialogue = copy.deepcopy(dialogues[0])
    dialogue["turns"][2]["speaker"] = speaker
    with pytest.raises(ImportRejected) as refused:
        list(parse_sgd([dialogue], source="dialogues.json"))
    assert refused.value.line == 1
    assert refused.value.reason.startswith("turns[2].speaker: ")
    assert "is not one of USER, SYSTEM" in refused.value.reason
    assert str(refused.value).startswith("dialogues.json:1: turns[2].speaker")
