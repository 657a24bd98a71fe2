"""Alembic environment: targets auditkit's one MetaData on the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from auditkit.db.engine import make_engine
from auditkit.db.schema import metadata
from auditkit.settings import load_settings

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the connection auditkit passed in, or the settings' database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


if context.is_offline_mode():
    raise SystemExit("auditkit migrations run online only (auditkit init)")
run_migrations_online()
