"""Structural guarantees of issue 19, checked by counting work, never by timing: the schema
check is not repeated per call yet still refuses a database that is not current; an import
asks for its subjects' data keys once per chunk; a page's live PII detection is one batch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, text

from auditkit.errors import NotInitialised
from auditkit.ledger import installation as installation_module
from auditkit.ledger.conversation import LedgerParticipant
from auditkit.ledger.installation import Installation
from auditkit.ledger.sealing import store as sealing_store
from auditkit.pii.findings import Finding
from auditkit.pii.masking import FindingsRedactor
from auditkit.sources.ingest import import_files
from tests.factories import make_conversation, write_jsonl


@contextmanager
def statements(installation: Installation) -> Iterator[list[str]]:
    """Every SQL statement the installation's engine runs inside the block."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(installation.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(installation.engine, "before_cursor_execute", record)


def test_a_current_schema_is_checked_once_then_trusted_for_a_while(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(installation_module.time, "monotonic", lambda: now[0])
    installation.require_schema()
    with statements(installation) as seen:
        installation.require_schema()
        now[0] += installation_module.SCHEMA_RECHECK_SECONDS - 1
        installation.require_schema()
    assert not any("alembic_version" in s for s in seen)
    with installation.engine.begin() as conn:  # a newer auditkit migrated it meanwhile
        conn.execute(text("UPDATE alembic_version SET version_num = 'zz_newer'"))
    now[0] += 2  # past the window: looked at again, and refused until it is current
    with pytest.raises(NotInitialised, match="out of date"):
        installation.require_schema()
    with pytest.raises(NotInitialised, match="out of date"):
        installation.require_schema()


def test_an_import_asks_for_its_subjects_keys_once_per_chunk(
    installation: Installation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert installation.settings.sealing
    conversations = [make_conversation(f"c-{n}", messages=4) for n in range(12)]
    source = write_jsonl(tmp_path / "a.jsonl", conversations)
    stored: list[int] = []
    insert = sealing_store.insert_subject_keys

    def counted(conn: object, *, rows: Sequence[tuple[str, bytes]], **kwargs: str) -> None:
        stored.append(len(rows))
        insert(conn, rows=rows, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sealing_store, "insert_subject_keys", counted)
    with statements(installation) as seen:
        import_files(installation, [source], batch_conversations=5)  # chunks of 5, 5 and 2
    lookups = [s for s in seen if "FROM subject_keys" in s and "subject_keys.subject IN" in s]
    assert stored == [5, 5, 2]  # one insert per chunk, not one per conversation
    assert len(lookups) == 3  # one lookup per chunk; the metrics read nothing back


class CountingDetector:
    """A stand-in live detector: finds the word "secret", and counts its calls."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.cache: dict[str, list[Finding]] = {}

    def detect_batch(
        self, texts: Sequence[str], participants: Sequence[LedgerParticipant] | None = None
    ) -> list[list[Finding]]:
        todo = [t for t in texts if t not in self.cache]
        if todo:
            self.batches.append(list(todo))
        for t in todo:
            at = t.find("secret")
            self.cache[t] = [Finding(at, at + 6, "PERSON", 0.9, "test")] if at >= 0 else []
        return [list(self.cache[t]) for t in texts]

    def detect(
        self, text: str, participants: Sequence[LedgerParticipant] | None = None
    ) -> list[Finding]:
        return self.detect_batch([text], participants)[0]


def test_a_page_of_texts_is_detected_in_one_batch_with_the_same_result() -> None:
    texts = ["hello", "my secret is here", "hello", "  ", "ok secret"]
    people = [LedgerParticipant(id="c-1", role="customer")]
    one_by_one = CountingDetector()
    plain = FindingsRedactor({}, live=one_by_one)  # type: ignore[arg-type]
    expected = [plain.redact(t, participants=people) for t in texts]
    batched = CountingDetector()
    prepared = FindingsRedactor({"ok secret": ()}, live=batched)  # type: ignore[arg-type]
    prepared.prepare(texts, participants=people)
    assert batched.batches == [["hello", "my secret is here"]]  # blank and stored left out
    shown = [prepared.redact(t, participants=people) for t in texts]
    assert batched.batches == [["hello", "my secret is here"]]  # nothing detected again
    assert shown[:4] == expected[:4]
    assert "secret" in shown[4].text  # stored findings (none) win over live detection
    assert "[" in shown[1].text and "secret" not in shown[1].text


def test_the_findings_download_asks_for_data_keys_once_per_page_of_conversations(
    installation: Installation, tmp_path: Path
) -> None:
    from auditkit.checks.service import run_checks
    from auditkit.review import findings

    conversations = [make_conversation(f"c-{i}") for i in range(30)]
    import_files(installation, [write_jsonl(tmp_path / "many.jsonl", conversations)])
    run_checks(installation)
    query = findings.findings_query(installation, {"outcome": "all"})
    with statements(installation) as seen:
        results = list(findings.iter_findings(installation, query))
    assert {r.conversation_key for r in results} == {f"c-{i}" for i in range(30)}
    key_queries = [s for s in seen if "subject_keys" in s]
    assert len(key_queries) == 1  # one page of conversations: one query for all their keys
    assert not any("FROM log_entries" in s and "conversation_key IN" in s for s in seen)
