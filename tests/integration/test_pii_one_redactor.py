"""One redactor: ``auditkit pii`` prints what the screens and reports show; ``--jsonl``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from auditkit.db.engine import read_transaction
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import TEXT_KINDS
from auditkit.pii import store as pii_store
from auditkit.pii.masking import scan_redactor
from auditkit.pii.scan import configured_detector_key, scan_messages
from auditkit.sources.ingest import import_files
from tests.conftest import Cli
from tests.factories import DATA

DEMO = DATA / "demo" / "conversations.jsonl"
KEYS = ("nb-2024-10431", "hh-2024-55187")


def _one(tmp_path: Path, key: str) -> Path:
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        if json.loads(line)["conversation_id"] == key:
            path = tmp_path / f"{key}.jsonl"
            path.write_text(line + "\n", encoding="utf-8")
            return path
    raise AssertionError(key)


def test_the_cli_and_the_views_redact_the_demo_the_same(
    run: Cli, installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [DEMO])
    scan_messages(installation, workers=1)
    with read_transaction(installation.engine) as conn:
        conversations = load_conversations(conn, list(KEYS), master=installation.master_key())
        redactor = scan_redactor(conn, installation, conversations)
    compared = 0
    for conversation in conversations:
        people = list(conversation.participants.values())
        shown = [
            redactor.redact(str(e.body["text"]), participants=people).text
            for e in conversation.events
            if e.kind in TEXT_KINDS
        ]
        output = run("pii", "--conversation-file", str(_one(tmp_path, conversation.key))).output
        printed = [line for line in output.splitlines() if line and not line.startswith(("#", "{"))]
        assert printed == shown
        compared += len(shown)
    assert compared > 20
    joined = "\n".join(printed)
    assert "HH-7741055" not in joined and "HH-[NUMBER]" not in joined
    assert "[ORDER_NUMBER]" in joined and "[NUMBER]" not in joined
    assert "1200-195" not in joined and "ines.duarte" not in joined
    assert not re.search(r"<[A-Z_]+>", joined)  # no Presidio-style placeholder anywhere


def test_pii_jsonl_writes_one_line_of_findings_per_input(run: Cli, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": 1, "text": "Sure, 14/07/1986 and SW9 8QT."})
        + "\n\n"
        + json.dumps(
            {
                "id": "b",
                "text": "Hi, I'm Nova. Thanks María!",
                "participants": [
                    {"id": "c", "role": "customer", "name": "María González"},
                    {"id": "n", "role": "bot", "name": "Nova"},
                ],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    lines = run("pii", "--jsonl", str(source)).output.strip().splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["id"] == 1 and second["id"] == "b"
    text = "Sure, 14/07/1986 and SW9 8QT."
    assert {(f["entity_type"], text[f["start"] : f["end"]]) for f in first["findings"]} >= {
        ("DATE_TIME", "14/07/1986"),
        ("STREET_ADDRESS", "SW9 8QT"),
    }
    assert set(first["findings"][0]) == {"entity_type", "start", "end", "score", "recognizer"}
    names = [
        "Hi, I'm Nova. Thanks María!"[f["start"] : f["end"]]
        for f in second["findings"]
        if f["entity_type"] == "PERSON"
    ]
    assert names == ["María"]


def test_pii_jsonl_refuses_a_bad_file_whole(run: Cli, tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text(
        json.dumps({"id": 1, "text": "fine"})
        + "\n"
        + "{not json\n"
        + json.dumps({"text": 3})
        + "\n",
        encoding="utf-8",
    )
    result = run("pii", "--jsonl", str(source), ok=False)
    assert result.exit_code != 0
    assert f"{source}:2: not JSON" in result.output
    assert f"{source}:3: missing id" in result.output and "text must be a string" in result.output
    assert '"findings"' not in result.output
    both = run("pii", "x", "--jsonl", str(source), ok=False)
    assert both.exit_code != 0 and "--jsonl alone" in both.output


def test_a_scanned_message_with_nothing_found_is_not_detected_again_on_a_page(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_files(installation, [DEMO])
    scan_messages(installation, workers=1)
    from auditkit.pii import masking

    detector = masking._live_detector(installation)
    assert detector is not None
    asked: list[str] = []

    class Counting:
        """The real detector, counting the texts a page hands it."""

        def detect(self, text: str, participants: object = None) -> object:
            asked.append(text)
            return detector.detect(text, participants)  # type: ignore[arg-type]

        def detect_batch(self, texts: list[str], participants: object = None) -> object:
            asked.extend(texts)
            return detector.detect_batch(texts, participants)  # type: ignore[arg-type]

    monkeypatch.setattr(masking, "_live_detector", lambda _installation: Counting())
    with read_transaction(installation.engine) as conn:
        conversations = load_conversations(conn, list(KEYS), master=installation.master_key())
        redactor = scan_redactor(conn, installation, conversations, live=True)
        scanned = pii_store.scanned_seqs(conn, configured_detector_key(installation), list(KEYS))
    texts = [
        (str(e.body.get("text", "")), list(c.participants.values()))
        for c in conversations
        for e in c.events
        if e.kind in TEXT_KINDS and e.seq in scanned
    ]
    assert texts
    for text, people in texts:
        redactor.redact(text, participants=people)
    assert asked == []  # every message was scanned: nothing is detected live
    redactor.redact("A note nobody scanned about Daniel Osei.", participants=())
    assert asked == ["A note nobody scanned about Daniel Osei."]
