"""Per-subject data keys inside a transaction: created on first use, unwrapped once, never logged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from auditkit.db import Connection
from auditkit.errors import AuditkitError
from auditkit.ledger.records import format_time
from auditkit.ledger.sealing import store as sealing_store
from auditkit.ledger.sealing.cipher import (
    MasterKey,
    SealingError,
    new_data_key,
    sealed_subject,
    unseal_body,
    unwrap_data_key,
    wrap_data_key,
)
from auditkit.periods import utc_now


class SubjectErased(AuditkitError):
    """New personal content for a subject whose data key was destroyed is refused."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        super().__init__(
            f"subject {subject!r} has been erased: auditkit accepts no new personal content "
            "for them (their conversations stay readable as erased)"
        )


class DataKeys:
    """The data keys one transaction needs, keyed by subject."""

    def __init__(self, conn: Connection, master: MasterKey) -> None:
        self.conn = conn
        self.master = master
        self._keys: dict[str, bytes | None] = {}
        # Subjects this transaction looked up and found without a key: asked once, not once
        # per record (only ``for_sealing`` creates keys, and only inside this transaction).
        self._absent: set[str] = set()
        self._new: list[tuple[str, bytes]] = []

    def load(self, subjects: Iterable[str]) -> None:
        """Unwrap the keys of ``subjects`` not looked up yet: one query, one unwrap each."""
        missing = [
            s for s in dict.fromkeys(subjects) if s not in self._keys and s not in self._absent
        ]
        if not missing:
            return
        rows = sealing_store.subject_key_rows(self.conn, missing)
        for subject in missing:
            row = rows.get(subject)
            if row is None:
                self._absent.add(subject)
                continue
            if row.wrapped_key is None:
                self._keys[subject] = None
                continue
            if row.master_key_id != self.master.key_id:
                raise SealingError(
                    f"subject {subject!r}'s data key was wrapped by master key "
                    f"{row.master_key_id}, but the configured master key is {self.master.key_id}"
                )
            self._keys[subject] = unwrap_data_key(self.master, subject, row.wrapped_key)

    def for_sealing(self, subject: str) -> bytes:
        """The subject's key, created (and stored, in this transaction) on first use."""
        self.load([subject])
        if subject in self._keys:
            key = self._keys[subject]
            if key is None:
                raise SubjectErased(subject)
            return key
        key = new_data_key()
        self._new.append((subject, wrap_data_key(self.master, subject, key)))
        self._keys[subject] = key
        self._absent.discard(subject)
        return key

    def flush(self) -> None:
        """Store the data keys created since the last flush (one bulk insert)."""
        if self._new:
            sealing_store.insert_subject_keys(
                self.conn,
                rows=self._new,
                master_key_id=self.master.key_id,
                created_at=format_time(utc_now()),
            )
            self._new = []

    def forget(self, subject: str) -> None:
        """Drop a subject's key from memory once it is destroyed (erasure, same transaction)."""
        self._keys[subject] = None
        self._absent.discard(subject)

    def for_reading(self, subject: str) -> bytes | None:
        """The subject's key, or None once erased."""
        self.load([subject])
        if subject not in self._keys:
            raise SealingError(f"no data key for subject {subject!r}: the key table is incomplete")
        return self._keys[subject]


def open_records(
    records: Iterable[tuple[int, str, dict[str, Any]]], keys: DataKeys | None
) -> list[tuple[int, str, dict[str, Any]]]:
    """Decoded entries with their bodies unsealed (erased content reads as erased)."""
    records = list(records)
    if keys is None:
        return records
    keys.load(
        subject for _, _, entry in records if (subject := sealed_subject(entry["body"])) is not None
    )
    return [
        (
            seq,
            kind,
            {
                **entry,
                "body": unseal_mapping(
                    kind, entry["body"], seq=seq, conversation=entry["conversation"], keys=keys
                ),
            }
            if sealed_subject(entry["body"]) is not None
            else entry,
        )
        for seq, kind, entry in records
    ]


def unseal_mapping(
    kind: str, body: Mapping[str, Any], *, seq: int, conversation: str | None, keys: DataKeys
) -> dict[str, Any]:
    """One body unsealed."""
    subject = sealed_subject(body)
    if subject is None:
        return dict(body)
    return unseal_body(
        kind, body, data_key=keys.for_reading(subject), seq=seq, conversation=conversation
    )
