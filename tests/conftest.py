"""Shared fixtures: a migrated installation on SQLite and on PostgreSQL, and a CLI runner."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from auditkit.cli import cli
from auditkit.ledger.installation import Installation, initialise
from auditkit.settings import load_settings

PG_URL = os.environ.get(
    "AUDITKIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSPHRASE = "correct horse battery staple"


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def postgres_reason() -> str | None:
    """Why PostgreSQL is unusable, or None; in CI an unusable server fails the run."""
    reason = _postgres_available()
    if reason and IN_CI:
        pytest.fail(f"PostgreSQL must be available in CI ({PG_URL}): {reason}")
    return reason


@pytest.fixture
def pg_url(postgres_reason: str | None) -> Iterator[str]:
    """A fresh, empty PostgreSQL schema for one test, dropped afterwards."""
    if postgres_reason:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {postgres_reason}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """The environment of an installation under a temporary AUDITKIT_HOME."""
    return {
        "AUDITKIT_HOME": str(tmp_path / "home"),
        "AUDITKIT_DATABASE_URL": database_url,
        "AUDITKIT_KEY_PASSPHRASE": PASSPHRASE,
        "AUDITKIT_ACTOR": "tester",
    }


@pytest.fixture
def installation(env: dict[str, str]) -> Iterator[Installation]:
    """An initialised installation (schema at head, one signing key)."""
    initialise(load_settings(env))
    opened = Installation.open(load_settings(env))
    yield opened
    opened.engine.dispose()


class Cli:
    """Runs ``auditkit`` commands in-process with the test installation's environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, *args: str, ok: bool = True, **kwargs: Any) -> Result:
        result = CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=False, **kwargs)
        if ok:
            assert result.exit_code == 0, result.output
        return result


@pytest.fixture
def run(env: dict[str, str]) -> Cli:
    """``run("import", path)`` runs the CLI against the test installation."""
    return Cli(env)
