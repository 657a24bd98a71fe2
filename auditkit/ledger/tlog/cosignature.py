"""C2SP tlog-cosignature v1 (Ed25519, signature type 0x04): witness keys and cosignatures.

A cosignature line is ``— <name> base64(key id || u64 timestamp || Ed25519 signature)``
over ``cosignature/v1\\ntime <timestamp>\\n`` followed by the checkpoint body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from auditkit.errors import CheckpointError

COSIGNATURE_ALGORITHM = 0x04
SIGNATURE_PREFIX = "\N{EM DASH} "
_KEY_SIZE = 32
_BLOB_SIZE = 4 + 8 + 64


@dataclass(frozen=True)
class WitnessKey:
    """A witness's cosigning key: its name and raw Ed25519 public key."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        """SHA-256(name || 0x0A || 0x04 || key)[:4]."""
        material = self.name.encode("utf-8") + b"\n" + bytes([COSIGNATURE_ALGORITHM])
        return hashlib.sha256(material + self.public_key).digest()[:4]

    def vkey(self) -> str:
        """The key as ``<name>+<hex key id>+<base64(0x04 || key)>``."""
        encoded = base64.b64encode(bytes([COSIGNATURE_ALGORITHM]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def parse_witness_key(text: str) -> WitnessKey:
    """Parse a witness vkey, checking its type byte (0x04) and key id."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise CheckpointError(f"witness key {text!r} is not <name>+<key id>+<key>")
    name, id_text, key_text = parts
    if not name or any(ch.isspace() for ch in name):
        raise CheckpointError(f"witness key name {name!r} is empty or has whitespace")
    try:
        material = base64.b64decode(key_text.encode("ascii"), validate=True)
        key_id = bytes.fromhex(id_text)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise CheckpointError(f"witness key {name!r}: bad hex key id or base64 key") from None
    if len(material) != 1 + _KEY_SIZE or material[0] != COSIGNATURE_ALGORITHM:
        raise CheckpointError(
            f"witness key {name!r} is not an Ed25519 cosignature key (type 0x04, 32 bytes)"
        )
    key = WitnessKey(name, material[1:])
    if len(key_id) != 4 or key.key_id != key_id:
        raise CheckpointError(f"witness key {name!r}: key id {id_text} does not match the key")
    return key


def cosigned_message(body: bytes, timestamp: int) -> bytes:
    """What a v1 Ed25519 cosignature signs."""
    return b"cosignature/v1\ntime %d\n" % timestamp + body


def check_cosignature(key: WitnessKey, body: bytes, line: str) -> int | None:
    """The timestamp of ``line`` if it is ``key``'s valid cosignature of ``body``.

    None when the line is another key's (to be ignored); ``CheckpointError`` when it
    is this key's line but does not verify (the note is then malformed).
    """
    if not line.startswith(SIGNATURE_PREFIX):
        raise CheckpointError(f"malformed signature line {line!r}")
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if name != key.name:
        return None
    try:
        blob = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise CheckpointError(f"cosignature of {name!r} is not base64") from None
    if blob[:4] != key.key_id:
        return None
    if len(blob) != _BLOB_SIZE:
        raise CheckpointError(f"cosignature of {name!r} has {len(blob)} bytes, want {_BLOB_SIZE}")
    timestamp = int.from_bytes(blob[4:12], "big")
    if timestamp >= 1 << 63:
        raise CheckpointError(f"cosignature of {name!r} has a timestamp above 2^63-1")
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(
            blob[12:], cosigned_message(body, timestamp)
        )
    except InvalidSignature:
        raise CheckpointError(f"cosignature of witness {name!r} does not verify") from None
    return timestamp
