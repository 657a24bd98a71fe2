"""A SQLite writer that waited the busy timeout for the writer lock gets a clear
``WriterBusy`` (503 on the web), not a raw ``database is locked``; nothing is written."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from auditkit.db import engine as db_engine
from auditkit.errors import WriterBusy
from tests.templates import PG_URL, pg_admin


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


def _schema_url(schema: str) -> str:
    """A URL whose connections write to ``schema`` and wait at most 2 s for a lock."""
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}%20-clock_timeout%3D2000"


@pytest.mark.postgres
def test_the_postgresql_writer_lock_is_per_schema(postgres_reason: str | None) -> None:
    """Two installations in two schemas of one database never wait for each other's
    writer lock; two writers of one schema do (PostgreSQL's advisory locks are per
    database, so the schema is part of the key)."""
    if postgres_reason:
        pytest.skip(postgres_reason)
    schemas = [f"t_lock_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    for schema in schemas:
        pg_admin(f"CREATE SCHEMA {schema}")
    first, same, other = (db_engine.make_engine(_schema_url(s)) for s in (*schemas[:1], *schemas))
    try:
        with db_engine.write_transaction(first):
            with db_engine.write_transaction(other) as conn:  # another schema: at once
                assert conn.execute(text("SELECT current_schema()")).scalar_one() == schemas[1]
            with (
                pytest.raises(OperationalError, match="lock timeout"),
                db_engine.write_transaction(same),  # the same schema: it waits
            ):
                pass
        with db_engine.write_transaction(same):  # free again: it goes through
            pass
    finally:
        for engine in (first, same, other):
            engine.dispose()
        for schema in schemas:
            pg_admin(f"DROP SCHEMA {schema} CASCADE")
