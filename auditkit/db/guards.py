"""Database triggers that make the log tables append-only on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION auditkit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'auditkit: % on % is refused: the table is append-only',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def trigger_names(table: str) -> list[str]:
    """The names of the guard triggers expected on ``table``."""
    return [f"{table}_no_update", f"{table}_no_delete"]


def install_guards(conn: Connection, tables: Iterable[str]) -> None:
    """Create the UPDATE/DELETE (and, on PostgreSQL, TRUNCATE) refusal triggers."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text(PG_FUNCTION))
    for table in tables:
        for name, op in zip(trigger_names(table), ("UPDATE", "DELETE"), strict=True):
            if dialect == "sqlite":
                conn.execute(
                    text(
                        f"CREATE TRIGGER {name} BEFORE {op} ON {table} BEGIN "
                        f"SELECT RAISE(ABORT, 'auditkit: {op} on {table} is refused: "
                        "the table is append-only'); END"
                    )
                )
            elif dialect == "postgresql":
                conn.execute(
                    text(
                        f"CREATE TRIGGER {name} BEFORE {op} ON {table} "
                        "FOR EACH ROW EXECUTE FUNCTION auditkit_refuse_change()"
                    )
                )
            else:
                raise NotImplementedError(f"append-only guards for dialect {dialect}")
        if dialect == "postgresql":
            conn.execute(
                text(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION auditkit_refuse_change()"
                )
            )


def drop_guards(conn: Connection, tables: Iterable[str]) -> None:
    """Remove the guard triggers (only for the migration's downgrade)."""
    dialect = conn.dialect.name
    for table in tables:
        names = trigger_names(table)
        if dialect == "postgresql":
            names.append(f"{table}_no_truncate")
        for name in names:
            if dialect == "postgresql":
                conn.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
            else:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    if dialect == "postgresql":
        conn.execute(text("DROP FUNCTION IF EXISTS auditkit_refuse_change()"))


def missing_guards(conn: Connection, tables: Iterable[str]) -> list[str]:
    """Names of expected guard triggers that are absent from the database."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' "
                "AND c.relnamespace = current_schema()::regnamespace"
            )
        )
    else:
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    present = {row[0] for row in rows}
    expected = [name for table in tables for name in trigger_names(table)]
    return [name for name in expected if name not in present]
