"""One installation: its settings, database engine and signing keys, opened once per process."""

from __future__ import annotations

import dataclasses
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from auditkit.db import Engine
from auditkit.db.engine import make_engine, schema_is_current, upgrade_to_head, write_transaction
from auditkit.errors import NotInitialised, SigningKeyError
from auditkit.home import append_private, private_dir
from auditkit.ledger import store as ledger_store
from auditkit.ledger.checkpoint import Signer, Verifier, parse_verifier_key
from auditkit.ledger.keyring import create_signer, load_signer, passphrase_problems
from auditkit.ledger.projections.timelines import backfill_timelines
from auditkit.ledger.records import format_time
from auditkit.ledger.sealing import event_digests
from auditkit.ledger.sealing import store as sealing_store
from auditkit.ledger.sealing.cipher import (
    MasterKey,
    SealingError,
    generate_master_key,
    parse_master_key,
)
from auditkit.periods import utc_now
from auditkit.settings import Settings, write_settings_file

TRUSTED_KEYS_FILE = "trusted.keys"
# How long a schema found current is trusted before ``require_schema`` queries it again: an
# upgrade by a newer ``auditkit init`` is noticed by a running process within this time.
SCHEMA_RECHECK_SECONDS = 30.0


@dataclass
class Installation:
    """Settings plus the engine built from them; the object every service receives."""

    settings: Settings
    engine: Engine
    _signer: Signer | None = field(default=None, repr=False)
    _master: MasterKey | None = field(default=None, repr=False)
    _event_key: event_digests.DigestKey | None = field(default=None, repr=False)
    _schema_checked_at: float | None = field(default=None, repr=False)

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
        """Refuse to run against a database that ``auditkit init`` has not migrated.

        Every service call asks; a schema found current is taken as current for
        ``SCHEMA_RECHECK_SECONDS`` (a web request or a proof costs no schema queries), and a
        missing or outdated one is looked at again on every call until it is fixed.
        """
        now = time.monotonic()
        checked = self._schema_checked_at
        if checked is not None and now - checked < SCHEMA_RECHECK_SECONDS:
            return
        self._schema_checked_at = None
        if schema_is_current(self.engine):
            self._schema_checked_at = now
        else:
            raise NotInitialised(
                "the database schema is missing or out of date: run `auditkit init` "
                f"(database {self.engine.url.render_as_string(hide_password=True)})"
            )

    def master_key(self) -> MasterKey | None:
        """The master key that wraps data keys (None when sealing is off).

        Refuses, with a clear error, a missing key or one that is not the key the stored
        data keys were wrapped with: never a silent empty read.
        """
        if not self.settings.sealing:
            return None
        if self._master is None:
            key = _read_master_key(self.settings)
            if key is None:
                raise SealingError(
                    "no master key: set AUDITKIT_MASTER_KEY or AUDITKIT_MASTER_KEY_FILE, or "
                    f"restore {self.settings.master_key_path}; without it sealed personal "
                    "content can be neither written nor read"
                )
            with self.engine.connect() as conn:
                used = sealing_store.master_key_ids(conn)
            if used and used != {key.key_id}:
                raise SealingError(
                    f"the configured master key ({key.key_id}) is not the one that wrapped this "
                    f"installation's data keys ({', '.join(sorted(used))}): restore that key"
                )
            self._master = key
        return self._master

    def event_digest_key(self) -> event_digests.DigestKey:
        """The key event identities are HMACs under (docs/import-format.md, event keys).

        Refuses a missing key, or one that is not the key ``auditkit init`` recorded the
        fingerprint of: a new key would not recognise the events already recorded, and
        every re-import would append them again.
        """
        if self._event_key is None:
            key = _read_event_key(self.settings)
            with self.engine.connect() as conn:
                recorded = sealing_store.installation_key_id(conn, event_digests.PURPOSE)
            if recorded is None:
                raise NotInitialised(
                    "no event digest key is recorded for this installation: run `auditkit init`"
                )
            if key is None:
                raise SealingError(
                    f"no event digest key (fingerprint {recorded}): restore "
                    f"{self.settings.event_key_path} or set AUDITKIT_EVENT_KEY or "
                    "AUDITKIT_EVENT_KEY_FILE; without it imports cannot recognise the events "
                    "already recorded"
                )
            if key.key_id != recorded:
                raise SealingError(
                    f"the configured event digest key ({key.key_id}) is not this "
                    f"installation's ({recorded}): restore that key"
                )
            self._event_key = key
        return self._event_key

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
    if not settings.origin and (problems := passphrase_problems(passphrase)):
        # A first init creates the signing key: refuse before anything is written.
        raise SigningKeyError(
            "the signing-key passphrase (AUDITKIT_KEY_PASSPHRASE or _FILE) is too weak: "
            + "; ".join(problems)
        )
    origin = settings.origin or f"auditkit.local/{secrets.token_hex(8)}"
    if not settings.origin:
        write_settings_file(settings, origin=origin)
    settings = dataclasses.replace(settings, origin=origin, key_passphrase=passphrase)
    installation = Installation.open(settings)
    try:
        upgrade_to_head(installation.engine)
        with installation.engine.connect() as conn:
            existing = ledger_store.signing_key_rows(conn)
        _ensure_master_key(installation)
        _ensure_event_key(installation)
        # Timelines of conversations stored before they existed (migration 0022) need the
        # master key to be built, so they are written here rather than by the migration.
        with write_transaction(installation.engine) as conn:
            backfill_timelines(conn, installation.master_key())
        created: str | None = None
        if existing:
            installation.signer()  # proves the passphrase opens the active key
        else:
            created = register_new_key(installation).key_id_hex
        database = installation.engine.url.render_as_string(hide_password=True)
    finally:
        installation.engine.dispose()
    return InitReport(origin=origin, created_key=created, database=database)


def _read_master_key(settings: Settings) -> MasterKey | None:
    if settings.master_key_text:
        return parse_master_key(settings.master_key_text)
    path = settings.master_key_path
    if not path.is_file():
        return None
    return parse_master_key(path.read_text(encoding="utf-8"))


def _ensure_master_key(installation: Installation) -> None:
    """Create the master key file on first init; never replace a lost one silently."""
    settings = installation.settings
    if not settings.sealing or settings.master_key_text or settings.master_key_path.exists():
        installation.master_key()  # proves the configured key fits the stored data keys
        return
    with installation.engine.connect() as conn:
        if sealing_store.master_key_ids(conn):
            installation.master_key()  # raises: data keys exist but their master key is gone
    key = generate_master_key()
    path = settings.master_key_path
    private_dir(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key.encoded() + "\n")


def _read_event_key(settings: Settings) -> event_digests.DigestKey | None:
    if settings.event_key_text:
        return event_digests.parse_digest_key(settings.event_key_text)
    path = settings.event_key_path
    if not path.is_file():
        return None
    return event_digests.parse_digest_key(path.read_text(encoding="utf-8"))


def _ensure_event_key(installation: Installation) -> None:
    """Record the event-digest key's fingerprint on first init (an installation from before
    keyed event identities gets its key on the ``auditkit init`` its upgrade asks for),
    creating the key file when none is configured; never replace a recorded key."""
    settings = installation.settings
    with installation.engine.connect() as conn:
        recorded = sealing_store.installation_key_id(conn, event_digests.PURPOSE)
    if recorded is not None:
        installation.event_digest_key()  # proves the configured key is the recorded one
        return
    key = _read_event_key(settings)
    if key is None:
        key = event_digests.generate_digest_key()
        path = settings.event_key_path
        private_dir(path.parent)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(key.encoded() + "\n")
    with write_transaction(installation.engine) as conn:
        sealing_store.insert_installation_key(
            conn,
            purpose=event_digests.PURPOSE,
            key_id=key.key_id,
            created_at=format_time(utc_now()),
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
    append_private(trusted_keys_path(installation), signer.verifier().verifier_key_string())
    installation._signer = signer
    return signer


def trusted_keys_path(installation: Installation) -> Path:
    """The file of verifier keys this installation trusts: written by init and rotate, outside
    the database, so that a rewrite of the database cannot introduce a key of its own."""
    return installation.settings.keys_dir / TRUSTED_KEYS_FILE
