"""An import computes the metrics of the conversations it creates from the records it has in
hand; they equal the metrics recomputed from the log (sealed bodies opened)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from auditkit.ledger.installation import Installation
from auditkit.metrics.refresh import refresh_metrics
from auditkit.metrics.tables import conversation_metrics as metrics_table
from auditkit.sources.ingest import import_files
from tests.factories import DATA, make_conversation, write_jsonl


def stored(installation: Installation) -> dict[str, dict[str, Any]]:
    with installation.engine.connect() as conn:
        return {
            row.conversation_key: dict(row._mapping) for row in conn.execute(select(metrics_table))
        }


def recomputed(installation: Installation) -> dict[str, dict[str, Any]]:
    """The metrics as a refresh computes them from the log alone."""
    with installation.engine.begin() as conn:
        conn.execute(delete(metrics_table))
    refresh_metrics(installation)
    return stored(installation)


def test_the_metrics_an_import_stores_equal_those_recomputed_from_the_log(
    installation: Installation,
) -> None:
    report = import_files(
        installation, [DATA / "demo" / "conversations.jsonl"], batch_conversations=5
    )
    at_import = stored(installation)
    assert report.metrics_refreshed == len(at_import) == 12
    assert at_import == recomputed(installation)


def test_a_conversation_grown_by_a_later_chunk_of_the_same_import_is_refreshed_whole(
    installation: Installation, tmp_path: Path
) -> None:
    first = make_conversation("c-1", messages=2)
    later = copy.deepcopy(first)
    later["events"] += [
        {"type": "status", "at": "2025-01-06T10:00:00Z", "status": "reopened"},
        {"type": "status", "at": "2025-01-06T10:00:00Z", "status": "session_started"},
        {"type": "status", "at": "2025-01-06T10:30:00Z", "status": "resolved"},
    ]
    other = make_conversation("c-2", messages=3)
    sources = [
        write_jsonl(tmp_path / "a.jsonl", [first, other]),
        write_jsonl(tmp_path / "b.jsonl", [later]),
    ]
    report = import_files(installation, sources, batch_conversations=1)  # c-1 in chunks 1, 3
    at_import = stored(installation)
    assert report.metrics_refreshed == 2 and set(at_import) == {"c-1", "c-2"}
    assert at_import["c-1"]["reopens"] == 1  # from chunk 3's events, not chunk 1's alone
    assert at_import == recomputed(installation)
