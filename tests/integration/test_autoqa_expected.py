"""AutoQA's records and tables on a fixed data set equal a stored expected file.

The shared test data sets and seeded generated conversations are imported, checked and
scored; every ``autoqa`` record (its envelope without seq and times, and its whole signed
body) and its ``autoqa_scores`` / ``autoqa_criteria`` rows must equal
``tests/data/autoqa/expected_records.jsonl`` line for line. It guards the speed work on the
signals, the scorers and the append: a faster path must give the same signals, levels and
record bytes.

When a change is *meant* to alter the scores (a signal computed differently, with
``SIGNALS_VERSION`` raised, or a changed default rubric or policy pack), regenerate the file
and review its diff: ``AUDITKIT_WRITE_EXPECTED=1 pytest tests/integration/test_autoqa_expected.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import text

from auditkit.autoqa.service import run_autoqa
from auditkit.checks.service import run_checks
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import canonical_json
from auditkit.sources.ingest import import_files
from tests.factories import DATA
from tests.integration.test_evaluators_fast_path import DATA_SETS, _generated

EXPECTED = DATA / "autoqa" / "expected_records.jsonl"
GENERATED = 100  # seeded generated conversations beside the shared sets


def _lines(installation: Installation) -> list[bytes]:
    """One canonical JSON line per ``autoqa`` record, in seq order: the record without its
    seq and times, and the table rows it projects to without theirs."""
    with installation.engine.connect() as conn:
        entries = [
            json.loads(bytes(e))
            for (e,) in conn.execute(
                text("SELECT entry FROM log_entries WHERE kind = 'autoqa' ORDER BY seq")
            )
        ]
        scores = {
            (r["conversation_key"], r["rubric_hash"]): r
            for r in (dict(m) for m in conn.execute(text("SELECT * FROM autoqa_scores")).mappings())
        }
        criteria: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in conn.execute(text("SELECT * FROM autoqa_criteria")).mappings():
            criteria.setdefault((row["conversation_key"], row["rubric_hash"]), []).append(dict(row))
    lines = []
    for entry in entries:
        assert set(entry) == {
            "v",
            "seq",
            "kind",
            "conversation",
            "recorded_at",
            "occurred_at",
            "body",
        }
        key = (entry["conversation"], entry["body"]["rubric_hash"])
        score = {k: v for k, v in scores[key].items() if k not in ("record_seq", "scored_at")}
        assert scores[key]["record_seq"] == entry["seq"]
        # The row's signals are the body's signals, messages and policies (not stored twice).
        parts = {part: entry["body"][part] for part in ("signals", "messages", "policies")}
        assert json.loads(score.pop("signals")) == parts
        line = {
            "record": {
                k: v for k, v in entry.items() if k not in ("seq", "recorded_at", "occurred_at")
            },
            "score_row": score,
            "criteria_rows": sorted(
                ({**row, "evidence": json.loads(row["evidence"])} for row in criteria[key]),
                key=lambda row: str(row["criterion_id"]),
            ),
        }
        lines.append(canonical_json(_plain(line)))
    return lines


def _plain(value: Any) -> Any:
    """Floats as their repr (canonical JSON holds them, but text compares exactly)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_autoqa_records_and_rows_equal_the_expected_file(
    installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [*DATA_SETS, _generated(tmp_path / "generated.jsonl", GENERATED)])
    run_checks(installation)  # the policy gates read the check results
    report = run_autoqa(installation, workers=1)
    found = _lines(installation)
    assert report.recorded == len(found) > GENERATED
    if os.environ.get("AUDITKIT_WRITE_EXPECTED") == "1":
        EXPECTED.write_bytes(b"".join(line + b"\n" for line in found))
    expected = EXPECTED.read_bytes().splitlines()
    assert len(found) == len(expected)
    for index, (line, wanted) in enumerate(zip(found, expected, strict=True)):
        assert json.loads(line) == json.loads(wanted), f"record {index} differs"
    assert run_autoqa(installation, workers=1).recorded == 0
