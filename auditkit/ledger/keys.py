"""Signing-key rotation: the old key signs the record that introduces the new one."""

from __future__ import annotations

from dataclasses import dataclass

from auditkit.home import append_private
from auditkit.ledger import store as ledger_store
from auditkit.ledger.append import appending
from auditkit.ledger.checkpoint import Signer, Verifier
from auditkit.ledger.installation import Installation, trusted_keys_path
from auditkit.ledger.keyring import create_signer
from auditkit.ledger.records import RecordDraft, RecordKind, format_time
from auditkit.periods import utc_now


@dataclass(frozen=True)
class KeyInfo:
    """A signing key known to the log."""

    key_id: str
    verifier_key: str
    created_at: str
    active: bool


def list_keys(installation: Installation) -> list[KeyInfo]:
    """Every signing key, oldest first; the last one signs new checkpoints."""
    installation.require_schema()
    with installation.engine.connect() as conn:
        rows = ledger_store.signing_key_rows(conn)
    return [
        KeyInfo(
            key_id=row["key_id"],
            verifier_key=row["verifier_key"],
            created_at=row["created_at"],
            active=index == len(rows) - 1,
        )
        for index, row in enumerate(rows)
    ]


def rotate_key(installation: Installation) -> Signer:
    """Create a new signing key; old keys stay registered so old checkpoints still verify."""
    installation.require_schema()
    previous = installation.signer()
    new = create_signer(
        installation.settings.keys_dir,
        installation.origin,
        installation.settings.require_passphrase(),
    )
    verifier: Verifier = new.verifier()
    with appending(installation) as batch:
        batch.append(
            [
                RecordDraft(
                    kind=RecordKind.KEY_ROTATED,
                    conversation=None,
                    occurred_at=utc_now(),
                    body={
                        "actor": installation.settings.actor,
                        "previous_key_id": f"{previous.key_id:08x}",
                        "new_verifier_key": verifier.verifier_key_string(),
                    },
                )
            ]
        )
        # Registered in the same transaction, after the old key's checkpoint is computed.
        ledger_store.insert_signing_key(
            batch.conn,
            key_id=f"{new.key_id:08x}",
            name=new.name,
            verifier_key=verifier.verifier_key_string(),
            created_at=format_time(utc_now()),
        )
    append_private(trusted_keys_path(installation), verifier.verifier_key_string())
    installation._signer = new
    return new
