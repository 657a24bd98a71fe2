"""A SQLite writer that waited the busy timeout for the writer lock gets a clear
``WriterBusy`` (503 on the web), not a raw ``database is locked``; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditkit.db import engine as db_engine
from auditkit.errors import WriterBusy


def test_a_writer_behind_a_long_transaction_gets_writer_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_engine, "BUSY_TIMEOUT_MS", 200)
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    first = db_engine.make_engine(url)
    second = db_engine.make_engine(url)
    with db_engine.write_transaction(first) as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        with pytest.raises(WriterBusy) as busy, db_engine.write_transaction(second):
            pass
    assert "writer lock was held by another writer for over 0.2 s" in str(busy.value)
    with db_engine.write_transaction(second) as conn:  # free again: it goes through
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    first.dispose()
    second.dispose()
