"""Shared fixtures: a migrated installation on SQLite and on PostgreSQL, and a CLI runner.

Building an installation (Alembic migrations, a signing key, a master key) costs far more than
most tests, so each worker builds one template per distinct environment and copies it per test:
a file copy of the home and the SQLite database, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL
(the append-only triggers refuse TRUNCATE, so tables are never emptied in place).
"""

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
from auditkit.ledger import keyring
from auditkit.ledger.installation import Installation
from auditkit.settings import load_settings
from tests.templates import (
    PG_URL,
    Stage,
    Templates,
    pg_admin,
    pg_database_url,
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSPHRASE = "correct horse battery staple"
# Real scrypt with the cheapest cost a key file may record (0.25 s per unlock otherwise, in
# every test that signs); tests/unit/test_keyring.py checks the production cost and re-wrapping.
keyring.SCRYPT = keyring.ScryptCost(n=keyring.MIN_READ_N, r=8, p=1)


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
    pg_admin(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    pg_admin(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs on SQLite and on PostgreSQL.

    A test that uses ``installation`` gets, on PostgreSQL, the URL of a database that the
    ``installation`` fixture creates from a template (and this fixture drops afterwards).
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    if "installation" not in request.fixturenames:
        yield str(request.getfixturevalue("pg_url"))
        return
    postgres_reason = request.getfixturevalue("postgres_reason")
    if postgres_reason:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {postgres_reason}")
    name = f"t_{uuid.uuid4().hex[:12]}"
    templates: Templates = request.getfixturevalue("templates")
    yield pg_database_url(name)
    templates.discard(name)


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    """This worker's installation templates."""
    made = Templates(tmp_path_factory.mktemp("templates"))
    yield made
    made.drop()


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
def installation_stage() -> Stage:
    """What the ``installation`` fixture holds: overridden where a folder's tests share data."""
    return Stage("initialised")


@pytest.fixture
def installation(
    env: dict[str, str], templates: Templates, installation_stage: Stage
) -> Iterator[Installation]:
    """An initialised installation (schema at head, one signing key), copied from a template."""
    templates.copy_into(env, installation_stage)
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
