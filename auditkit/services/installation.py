"""One installation: its settings, database engine and signing keys, opened once per process."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from auditkit.errors import NotInitialised
from auditkit.ledger.checkpoint import Signer, Verifier, parse_verifier_key
from auditkit.ledger.keyring import create_signer, load_signer
from auditkit.ledger.records import format_time
from auditkit.settings import Settings, write_settings_file
from auditkit.storage import ledger_store
from auditkit.storage.db import make_engine, schema_is_current, upgrade_to_head, write_transaction

TRUSTED_KEYS_FILE = "trusted.keys"


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass
class Installation:
    """Settings plus the engine built from them; the object every service receives."""

    settings: Settings
    engine: Engine
    _signer: Signer | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings) -> Installation:
        """Connect to the configured database (no work beyond building the engine)."""
        return cls(settings=settings, engine=make_engine(settings.database_url))

    @property
    def origin(self) -> str:
        """The log's origin line, fixed at ``auditkit init``."""
        if not self.settings.origin:
            raise NotInitialised(
                f"no log origin configured: run `auditkit init` (home {self.settings.home})"
            )
        return self.settings.origin

    def require_schema(self) -> None:
        """Refuse to run against a database that ``auditkit init`` has not migrated."""
        if not schema_is_current(self.engine):
            raise NotInitialised(
                "the database schema is missing or out of date: run `auditkit init` "
                f"(database {self.engine.url.render_as_string(hide_password=True)})"
            )

    def verifiers(self) -> list[Verifier]:
        """Public keys of every signing key this log has used, oldest first."""
        with self.engine.connect() as conn:
            rows = ledger_store.signing_key_rows(conn)
        return [parse_verifier_key(row["verifier_key"]) for row in rows]

    def signer(self) -> Signer:
        """The active (newest) signing key, decrypted with the configured passphrase."""
        if self._signer is None:
            with self.engine.connect() as conn:
                rows = ledger_store.signing_key_rows(conn)
            if not rows:
                raise NotInitialised("no signing key: run `auditkit init`")
            active = rows[-1]
            self._signer = load_signer(
                self.settings.keys_dir,
                active["key_id"],
                active["name"],
                self.settings.require_passphrase(),
            )
        return self._signer


@dataclass(frozen=True)
class InitReport:
    """What ``auditkit init`` did."""

    origin: str
    created_key: str | None
    database: str


def initialise(settings: Settings) -> InitReport:
    """Create the home, migrate the schema to head and create the first signing key (idempotent)."""
    passphrase = settings.require_passphrase()
    origin = settings.origin or f"auditkit.local/{secrets.token_hex(8)}"
    if not settings.origin:
        write_settings_file(settings, origin=origin)
    settings = Settings(
        home=settings.home,
        database_url=settings.database_url,
        origin=origin,
        key_passphrase=passphrase,
        actor=settings.actor,
    )
    installation = Installation.open(settings)
    upgrade_to_head(installation.engine)
    with installation.engine.connect() as conn:
        existing = ledger_store.signing_key_rows(conn)
    created: str | None = None
    if existing:
        installation.signer()  # proves the passphrase opens the active key
    else:
        created = register_new_key(installation).key_id_hex
    return InitReport(
        origin=origin,
        created_key=created,
        database=installation.engine.url.render_as_string(hide_password=True),
    )


def register_new_key(installation: Installation) -> Signer:
    """Generate a key, store it encrypted, and make it the active signer."""
    signer = create_signer(
        installation.settings.keys_dir,
        installation.origin,
        installation.settings.require_passphrase(),
    )
    with write_transaction(installation.engine) as conn:
        ledger_store.insert_signing_key(
            conn,
            key_id=f"{signer.key_id:08x}",
            name=signer.name,
            verifier_key=signer.verifier().verifier_key_string(),
            created_at=format_time(utc_now()),
        )
    with trusted_keys_path(installation).open("a", encoding="utf-8") as handle:
        handle.write(signer.verifier().verifier_key_string() + "\n")
    installation._signer = signer
    return signer


def trusted_keys_path(installation: Installation) -> Path:
    """The file of verifier keys this installation trusts: written by init and rotate, outside
    the database, so that a rewrite of the database cannot introduce a key of its own."""
    return installation.settings.keys_dir / TRUSTED_KEYS_FILE
