"""The baseline of ``bench/ingest.py``: every row an import wrote, inserted with the raw
driver's ``executemany`` into fresh tables of the same shape, with as many commits."""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import psycopg
from sqlalchemy import Table, create_engine, event, select, text
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.schema import CreateIndex, CreateTable

from auditkit.db.schema import metadata
from auditkit.ledger.installation import Installation

Row = tuple[Any, ...]
TableRows = tuple[Table, list[Row]]


class Database(Protocol):
    """Where one benchmark run keeps its installation and its baseline table."""

    name: str

    def database_url(self, home: Path) -> str:
        """The AUDITKIT_DATABASE_URL of the fresh installation."""
        ...

    def raw_insert(self, tables: Sequence[TableRows], commits: int) -> float:
        """Insert every table's rows into fresh copies of the tables with raw executemany,
        in ``commits`` transactions; seconds."""
        ...


def create_statements(dialect: Dialect, tables: Sequence[Table]) -> list[str]:
    """DDL of ``tables`` and their indexes exactly as auditkit declares them, less the
    foreign keys: rows are split over the commits table by table, so a slice could name a
    parent from a later one. Without the checks the baseline is only faster (the ratio is
    the harder for it)."""
    statements = []
    for table in tables:
        statements.append(
            str(CreateTable(table, include_foreign_key_constraints=[]).compile(dialect=dialect))
        )
        statements += [str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes]
    return statements


def insert_statement(table: Table, placeholder: str) -> str:
    """A plain multi-parameter INSERT into ``table``, every column."""
    names = ", ".join(f'"{column.name}"' for column in table.columns)
    marks = ", ".join([placeholder] * len(table.columns))
    return f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'


def slices(rows: Sequence[Row], parts: int, part: int) -> Sequence[Row]:
    """The ``part``-th of ``parts`` near-equal consecutive slices of ``rows``."""
    return rows[len(rows) * part // parts : len(rows) * (part + 1) // parts]


class SqliteDatabase:
    """A SQLite file in the run's folder; the baseline is a second file, same pragmas."""

    name = "sqlite"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def database_url(self, home: Path) -> str:
        """A new database file inside the installation's home."""
        return f"sqlite:///{home / 'auditkit.db'}"

    def raw_insert(self, tables: Sequence[TableRows], commits: int) -> float:
        """stdlib sqlite3 executemany into a new WAL file with synchronous=NORMAL."""
        conn = sqlite3.connect(self.workdir / "baseline.db", isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            for statement in create_statements(sqlite_dialect.dialect(), [t for t, _ in tables]):
                conn.execute(statement)
            sql = {table.name: insert_statement(table, "?") for table, _ in tables}
            started = time.perf_counter()
            for part in range(commits):
                conn.execute("BEGIN IMMEDIATE")
                for table, rows in tables:
                    conn.executemany(sql[table.name], slices(rows, commits, part))
                conn.execute("COMMIT")
            return time.perf_counter() - started
        finally:
            conn.close()


class PostgresDatabase:
    """Fresh schemas on one PostgreSQL server: one for auditkit, one for the baseline."""

    name = "postgresql"

    def __init__(self, base_url: str) -> None:
        self.base = make_url(base_url)
        tag = f"{os.getpid()}_{secrets.token_hex(3)}"
        self.schema = f"auditkit_bench_{tag}"
        self.raw_schema = f"auditkit_bench_raw_{tag}"

    @contextmanager
    def schemas(self) -> Iterator[None]:
        """Create both schemas, and drop them (with everything in them) afterwards."""
        admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                for schema in (self.schema, self.raw_schema):
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            yield
        finally:
            with admin.connect() as conn:
                for schema in (self.schema, self.raw_schema):
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()

    def database_url(self, home: Path) -> str:
        """The server URL with ``search_path`` set to the fresh schema."""
        url: URL = self.base.update_query_dict({"options": f"-csearch_path={self.schema}"})
        return url.render_as_string(hide_password=False)

    def raw_insert(self, tables: Sequence[TableRows], commits: int) -> float:
        """psycopg executemany into the tables in the baseline schema, same server."""
        params: dict[str, Any] = {
            key: value
            for key, value in {
                "host": self.base.host,
                "port": self.base.port,
                "dbname": self.base.database,
                "user": self.base.username,
                "password": self.base.password,
            }.items()
            if value is not None
        }
        params.update({k: v for k, v in self.base.query.items() if isinstance(v, str)})
        params["options"] = f"-csearch_path={self.raw_schema}"
        with psycopg.connect(**params) as conn:
            with conn.cursor() as cursor:
                for statement in create_statements(pg_dialect.dialect(), [t for t, _ in tables]):
                    cursor.execute(statement.encode())
            conn.commit()
            sql = {table.name: insert_statement(table, "%s").encode() for table, _ in tables}
            started = time.perf_counter()
            for part in range(commits):
                with conn.cursor() as cursor:
                    for table, rows in tables:
                        chunk = slices(rows, commits, part)
                        if chunk:
                            cursor.executemany(sql[table.name], chunk)
                conn.commit()
            return time.perf_counter() - started


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def table_rows(installation: Installation) -> dict[str, list[Row]]:
    """Every row of every auditkit table, as plain tuples in primary-key order."""
    found: dict[str, list[Row]] = {}
    with installation.engine.connect() as conn:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            result = conn.execute(select(*table.columns).order_by(*order))
            found[table.name] = [tuple(_plain(v) for v in row) for row in result]
    return found


def written_rows(before: dict[str, list[Row]], after: dict[str, list[Row]]) -> list[TableRows]:
    """The rows the import added, table by table (in dependency order)."""
    out: list[TableRows] = []
    for table in metadata.sorted_tables:
        old = set(before.get(table.name, ()))
        new = [row for row in after.get(table.name, ()) if row not in old]
        if new:
            out.append((table, new))
    return out


@contextmanager
def counting_commits(installation: Installation) -> Iterator[list[int]]:
    """Count the transactions ``import_files`` commits (the baseline commits as often)."""
    count = [0]

    def committed(_conn: Any) -> None:
        count[0] += 1

    event.listen(installation.engine, "commit", committed)
    try:
        yield count
    finally:
        event.remove(installation.engine, "commit", committed)
