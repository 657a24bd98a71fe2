"""Sealed personal content: AES-256-GCM per data subject, keys wrapped by a master key.

The ledger's leaves commit to the sealed bytes, so proofs verify without any key; erasing
a subject destroys its data key (crypto-shredding) and its content can no longer be read.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from auditkit.errors import AuditkitError
from auditkit.ledger.records import RecordKind

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
"""Length of the AES-GCM authentication tag that ends every wrapped key and ciphertext."""
SEALED = "sealed"
ERASED = "[erased]"
"""What erased personal text reads as, everywhere."""

# Which body fields of each record kind are personal content. Participant identities
# (ids, roles, teams) stay clear so the projections and checks work without keys; their
# names, e-mails and phone numbers are sealed.
#
# What staff type about a conversation (review summaries and notes, coaching-example notes,
# comments, dispute comments and answers, spot-check notes, reveal reasons) is sealed under
# the same subject's key: reviewers write the customer's details there too. ``a[].b`` names
# field ``b`` of every item of the list ``a`` (the items' other fields stay clear).
#
# Erasure and legal-hold reasons are free text too. A hold on a conversation is sealed
# under its customer's key; the records that name no conversation (an erasure, a hold on a
# subject and its release, the four-eyes request steps) under the key of the ``subject``
# they name (SUBJECT_KEYED), so erasing the subject shreds them like everything else typed
# about them.
PERSONAL_FIELDS: Mapping[str, tuple[str, ...]] = {
    "message": ("text", "acts"),
    "internal_note": ("text", "fields"),
    "correction": ("text",),
    "action": ("fields",),
    "assignment": ("reason",),
    "escalation": ("reason",),
    "csat": ("comment",),
    "review": ("summary", "ratings[].note", "coaching_examples[].note"),
    "review.comment": ("text",),
    "review.dispute": ("comment", "response"),
    "review.grader_check": ("note",),
    "access": ("reason",),
    "autoqa.flag": ("note",),
    "erasure": ("reason",),
    "legal_hold.added": ("reason",),
    "legal_hold.removed": ("reason",),
    "erasure.requested": ("reason",),
    "erasure.approved": ("note",),
    "erasure.rejected": ("note",),
}
SUBJECT_KEYED = frozenset(
    {
        "erasure",
        "legal_hold.added",
        "legal_hold.removed",
        "erasure.requested",
        "erasure.approved",
        "erasure.rejected",
    }
)
"""Kinds whose records without a conversation are sealed under their body's ``subject``."""
# Fields that read as ``[erased]`` once their subject is erased (the others disappear).
ERASED_TEXT_FIELDS = frozenset({"text", "reason", "comment", "summary", "note", "response"})
PERSONAL_PARTICIPANT_FIELDS = ("name", "email", "phone")
_HAS_PERSONAL = "personal"


class SealingError(AuditkitError):
    """A key or sealed value cannot be used: wrong master key, corrupted or swapped ciphertext."""


@dataclass(frozen=True)
class MasterKey:
    """The installation's key-encryption key; it never leaves the settings."""

    secret: bytes

    def __post_init__(self) -> None:
        """Refuse anything but a 256-bit key."""
        if len(self.secret) != KEY_BYTES:
            raise SealingError(f"master key must be {KEY_BYTES} bytes, got {len(self.secret)}")

    @property
    def key_id(self) -> str:
        """A public fingerprint that tells which master key wrapped a data key."""
        return hashlib.sha256(b"auditkit master key\n" + self.secret).hexdigest()[:16]

    def encoded(self) -> str:
        """The key as stored in a key file or variable (base64)."""
        return base64.b64encode(self.secret).decode("ascii")


def generate_master_key() -> MasterKey:
    """A new random master key."""
    return MasterKey(os.urandom(KEY_BYTES))


def parse_master_key(text: str) -> MasterKey:
    """Decode a base64 master key, with a clear error when it is not one."""
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise SealingError("master key is not base64") from None
    return MasterKey(secret)


def new_data_key() -> bytes:
    """A new random per-subject data key."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def wrap_data_key(master: MasterKey, subject: str, data_key: bytes) -> bytes:
    """Encrypt a subject's data key under the master key, bound to the subject."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master.secret).encrypt(nonce, data_key, _wrap_aad(subject))


def unwrap_data_key(master: MasterKey, subject: str, wrapped: bytes) -> bytes:
    """Decrypt a wrapped data key; a wrong master key is an error, never an empty read."""
    want = NONCE_BYTES + KEY_BYTES + TAG_BYTES
    if len(wrapped) != want:
        # AESGCM raises a bare ValueError on a short nonce: name the row instead.
        raise SealingError(
            f"subject_keys row of subject {subject!r}: wrapped_key is {len(wrapped)} bytes, "
            f"want {want}: the row was altered"
        )
    try:
        return AESGCM(master.secret).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(subject)
        )
    except InvalidTag:
        raise SealingError(
            f"cannot unwrap the data key of subject {subject!r}: wrong master key?"
        ) from None


def _wrap_aad(subject: str) -> bytes:
    return b"auditkit data key\n" + subject.encode("utf-8")


# Built once: ``json.dumps`` with options builds a new encoder on every call, and these run
# once per sealed record. They write exactly what those ``json.dumps`` calls wrote.
_AAD_JSON = json.JSONEncoder(separators=(",", ":"))
_PERSONAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def _content_aad(seq: int, kind: str, conversation: str | None, subject: str) -> bytes:
    # Binding seq, kind and conversation means a ciphertext moved to another record fails.
    return _AAD_JSON.encode([seq, kind, conversation, subject]).encode("utf-8")


def split_personal(kind: str, body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate a body into its clear part and its personal part (empty when none)."""
    clear = dict(body)
    personal: dict[str, Any] = {}
    if kind == RecordKind.CONVERSATION_OPENED or kind == RecordKind.PARTICIPANT_ADDED:
        people = clear.get("participants") if kind == RecordKind.CONVERSATION_OPENED else None
        if people is None and "participant" in clear:
            people = [clear["participant"]]
        hidden: dict[str, dict[str, Any]] = {}
        stripped = []
        for person in people or []:
            secret = {k: person[k] for k in PERSONAL_PARTICIPANT_FIELDS if k in person}
            kept = {k: v for k, v in person.items() if k not in secret}
            if secret:
                hidden[person["id"]] = secret
                kept[_HAS_PERSONAL] = True  # so an erased view knows whose name to mark
            stripped.append(kept)
        if hidden:
            personal["participants"] = hidden
            if kind == RecordKind.CONVERSATION_OPENED:
                clear["participants"] = stripped
            else:
                clear["participant"] = stripped[0]
        return clear, personal
    for name in PERSONAL_FIELDS.get(kind, ()):
        outer, _, inner = name.partition("[].")
        if inner:
            items = clear.get(outer)
            if isinstance(items, list) and any(
                isinstance(item, dict) and inner in item for item in items
            ):
                personal[name] = [
                    item.get(inner) if isinstance(item, dict) else None for item in items
                ]
                clear[outer] = [
                    {k: v for k, v in item.items() if k != inner}
                    if isinstance(item, dict)
                    else item
                    for item in items
                ]
        elif name in clear:
            personal[name] = clear.pop(name)
    return clear, personal


def holds_clear_personal(kind: str, body: Mapping[str, Any]) -> bool:
    """Whether a stored body holds personal content in clear: it was written with sealing
    off, or by a version that did not seal this kind's free text yet."""
    if SEALED in body:
        return False
    _clear, personal = split_personal(kind, body)
    return any(_non_empty(value) for value in personal.values())


def _non_empty(value: Any) -> bool:
    if isinstance(value, list):
        return any(_non_empty(item) for item in value)
    if isinstance(value, dict):
        return any(_non_empty(item) for item in value.values())
    return value not in (None, "", ERASED)


def merge_personal(
    kind: str, clear: Mapping[str, Any], personal: Mapping[str, Any]
) -> dict[str, Any]:
    """Inverse of :func:`split_personal`."""
    body = {k: v for k, v in clear.items() if k != SEALED}
    if kind in (RecordKind.CONVERSATION_OPENED, RecordKind.PARTICIPANT_ADDED):
        hidden = personal.get("participants", {})

        def merged(person: Mapping[str, Any]) -> dict[str, Any]:
            plain = {k: v for k, v in person.items() if k != _HAS_PERSONAL}
            return {**plain, **hidden.get(person["id"], {})}

        if kind == RecordKind.CONVERSATION_OPENED:
            body["participants"] = [merged(p) for p in body["participants"]]
        elif "participant" in body:
            body["participant"] = merged(body["participant"])
        return body
    for name, value in personal.items():
        outer, _, inner = name.partition("[].")
        if not inner:
            body[name] = value
            continue
        items = body.get(outer)
        if isinstance(items, list):
            body[outer] = [
                {**item, inner: part} if isinstance(item, dict) and part is not None else item
                for item, part in zip(items, value, strict=False)
            ]
    return body


def seal_body(
    kind: str,
    body: Mapping[str, Any],
    *,
    subject: str,
    data_key: bytes,
    seq: int,
    conversation: str | None,
) -> dict[str, Any]:
    """The body to store: personal fields replaced by one AES-256-GCM ciphertext."""
    clear, personal = split_personal(kind, body)
    return seal_parts(
        kind,
        clear,
        personal,
        subject=subject,
        data_key=data_key,
        seq=seq,
        conversation=conversation,
    )


def seal_parts(
    kind: str,
    clear: dict[str, Any],
    personal: Mapping[str, Any],
    *,
    subject: str,
    data_key: bytes,
    seq: int,
    conversation: str | None,
) -> dict[str, Any]:
    """:func:`seal_body` for a body already split by :func:`split_personal` (``clear`` is
    completed in place and returned)."""
    if not personal:
        return clear
    nonce = os.urandom(NONCE_BYTES)
    plaintext = _PERSONAL_JSON.encode(personal).encode("utf-8")
    ciphertext = AESGCM(data_key).encrypt(
        nonce, plaintext, _content_aad(seq, kind, conversation, subject)
    )
    clear[SEALED] = {
        "subject": subject,
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "ct": base64.b64encode(ciphertext).decode("ascii"),
    }
    return clear


def sealed_subject(body: Mapping[str, Any]) -> str | None:
    """The data subject whose key sealed this body, or None when nothing is sealed."""
    sealed = body.get(SEALED)
    return sealed["subject"] if isinstance(sealed, Mapping) else None


def unseal_body(
    kind: str,
    body: Mapping[str, Any],
    *,
    data_key: bytes | None,
    seq: int,
    conversation: str | None,
) -> dict[str, Any]:
    """The clear body; with no data key (erased subject) personal fields read as erased."""
    sealed = body.get(SEALED)
    if not isinstance(sealed, Mapping):
        return dict(body)
    if data_key is None:
        return merge_personal(kind, body, _erased(kind, body))
    try:
        plaintext = AESGCM(data_key).decrypt(
            base64.b64decode(sealed["nonce"]),
            base64.b64decode(sealed["ct"]),
            _content_aad(seq, kind, conversation, sealed["subject"]),
        )
    except (InvalidTag, KeyError, ValueError):
        raise SealingError(
            f"seq {seq}: sealed content does not open with its subject's key "
            "(moved from another record, or corrupted)"
        ) from None
    return merge_personal(kind, body, json.loads(plaintext))


def _erased(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    if kind in (RecordKind.CONVERSATION_OPENED, RecordKind.PARTICIPANT_ADDED):
        people = body.get("participants") or [body.get("participant", {})]
        return {"participants": {p["id"]: {"name": ERASED} for p in people if p.get(_HAS_PERSONAL)}}
    erased: dict[str, Any] = {}
    for name in PERSONAL_FIELDS.get(kind, ()):
        outer, _, inner = name.partition("[].")
        if inner:
            items = body.get(outer)
            if isinstance(items, list):
                erased[name] = [ERASED for _ in items]
            continue
        erased[name] = ERASED if name in ERASED_TEXT_FIELDS else None
    if "text" in erased or kind in (
        RecordKind.MESSAGE,
        RecordKind.INTERNAL_NOTE,
        RecordKind.CORRECTION,
    ):
        erased["text"] = ERASED
    return {k: v for k, v in erased.items() if v is not None}
