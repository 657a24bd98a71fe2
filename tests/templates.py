"""Installation templates: build an installation once per worker and environment, copy it per test.

Building an installation (Alembic migrations, a signing key, a master key, and for some folders
the demo data) costs far more than most tests. A copy is a file copy of the home and the SQLite
database, or ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL (the append-only triggers refuse
TRUNCATE, so tables are never emptied in place).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from auditkit.ledger.installation import Installation, initialise
from auditkit.settings import load_settings

PG_URL = os.environ.get(
    "AUDITKIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pg_database_url(name: str) -> str:
    base, _, query = PG_URL.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


@cache
def _admin_engine() -> Engine:
    # One autocommit engine per process: a new engine per statement cost ~0.2 s a test.
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def pg_admin(sql: str) -> None:
    with _admin_engine().connect() as conn:
        conn.execute(text(sql))


def drop_database(name: str) -> None:
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


DROPPER = """
import sys
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    for name in sys.argv[2:]:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
"""


@dataclass(frozen=True)
class Stage:
    """What a template holds beyond ``auditkit init``: a name and the steps that build it."""

    name: str
    prepare: Callable[[Installation], None] | None = None


# Settings that do not change what ``auditkit init`` builds: the template is shared across them.
PER_TEST_SETTINGS = ("AUDITKIT_HOME", "AUDITKIT_DATABASE_URL")


class Templates:
    """Initialised installations, one per backend and environment, built once per worker."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.built: dict[str, tuple[Path, str]] = {}
        # Worker names repeat across checkouts sharing one PostgreSQL server (gw0, gw1, main):
        # a token per session keeps one checkout's run from dropping another's templates.
        self.worker = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:6]}"
        self._discarded: list[str] = []

    def discard(self, database: str) -> None:
        """Drop a test's database after the session, not in its teardown: each DROP DATABASE
        forces a checkpoint that flushes every dirty page the tests left (~0.3 s a test)."""
        self._discarded.append(database)

    def copy_into(self, env: dict[str, str], stage: Stage) -> None:
        """Make ``env``'s home and database an installation at ``stage``, copied from a template."""
        url = env["AUDITKIT_DATABASE_URL"]
        backend = "sqlite" if url.startswith("sqlite") else "postgresql"
        fixed = sorted((k, v) for k, v in env.items() if k not in PER_TEST_SETTINGS)
        key = hashlib.sha256(json.dumps([backend, stage.name, fixed]).encode()).hexdigest()[:12]
        if key not in self.built:
            self.built[key] = self._build(key, backend, env, stage)
        home, database = self.built[key]
        shutil.copytree(home, env["AUDITKIT_HOME"])
        if backend == "sqlite":
            shutil.copyfile(database, url.removeprefix("sqlite:///"))
        else:
            name = url.rsplit("/", 1)[1].partition("?")[0]
            pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{database}"')

    def _build(self, key: str, backend: str, env: dict[str, str], stage: Stage) -> tuple[Path, str]:
        folder = self.root / key
        home = folder / "home"
        if backend == "sqlite":
            database = str(folder / "ledger.db")
            url = f"sqlite:///{database}"
        else:
            database = f"tmpl_{self.worker}_{key}"
            drop_database(database)
            pg_admin(f'CREATE DATABASE "{database}"')
            url = pg_database_url(database)
        built = {**env, "AUDITKIT_HOME": str(home), "AUDITKIT_DATABASE_URL": url}
        initialise(load_settings(built))
        if stage.prepare is not None:
            prepared = Installation.open(load_settings(built))
            try:
                stage.prepare(prepared)
            finally:
                prepared.engine.dispose()
        # Every engine on the template is disposed: a template database must have no connections.
        return home, database

    def drop(self) -> None:
        """Remove the test and template databases (the folders go with pytest's tmp dirs).

        The drops (a checkpoint each, ~0.1 s) run in a detached process, so the session
        does not wait ~20 s for them.
        """
        names = [
            *self._discarded,
            *(d for _home, d in self.built.values() if not d.endswith(".db")),
        ]
        if names:
            subprocess.Popen(
                [sys.executable, "-c", DROPPER, PG_URL, *names],
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
