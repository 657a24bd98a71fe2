"""C2SP tlog-cosignature (c2sp.org/tlog-cosignature): witness keys and their cosignatures.

Both types of the spec are accepted. A cosignature line is
``— <name> base64(key id || u64 timestamp || signature)``.

- Ed25519 (type 0x04) signs ``cosignature/v1\\ntime <timestamp>\\n`` + the checkpoint body.
- ML-DSA-44 (type 0x06, which the spec recommends for new witnesses) signs the
  ``cosigned_message`` structure: ``"subtree/v1\\n\\0"``, the cosigner name and the origin as
  1-byte-length vectors, the timestamp, start 0 and end = tree size as u64, the root hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from auditkit.errors import CheckpointError
from auditkit.ledger.checkpoint import parse_checkpoint

ED25519_COSIGNATURE = 0x04
MLDSA44_COSIGNATURE = 0x06
SIGNATURE_PREFIX = "\N{EM DASH} "
# type byte -> (public key size, signature size)
_SIZES = {ED25519_COSIGNATURE: (32, 64), MLDSA44_COSIGNATURE: (1312, 2420)}
_SUBTREE_LABEL = b"subtree/v1\n\x00"


@dataclass(frozen=True)
class WitnessKey:
    """A witness's cosigning key: name, type byte (0x04 or 0x06) and raw public key."""

    name: str
    public_key: bytes
    algorithm: int = ED25519_COSIGNATURE

    @property
    def key_id(self) -> bytes:
        """SHA-256(name || 0x0A || type || key)[:4]."""
        material = self.name.encode("utf-8") + b"\n" + bytes([self.algorithm])
        return hashlib.sha256(material + self.public_key).digest()[:4]

    def vkey(self) -> str:
        """The key as ``<name>+<hex key id>+<base64(type || key)>``."""
        encoded = base64.b64encode(bytes([self.algorithm]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def parse_witness_key(text: str) -> WitnessKey:
    """Parse a witness vkey, checking its type byte (0x04 or 0x06), size and key id."""
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
    sizes = _SIZES.get(material[0]) if material else None
    if sizes is None or len(material) != 1 + sizes[0]:
        raise CheckpointError(
            f"witness key {name!r} is not an Ed25519 cosignature key (type 0x04, 32 bytes) "
            "nor an ML-DSA-44 one (type 0x06, 1312 bytes)"
        )
    key = WitnessKey(name, material[1:], material[0])
    if len(key_id) != 4 or key.key_id != key_id:
        raise CheckpointError(f"witness key {name!r}: key id {id_text} does not match the key")
    return key


def cosigned_message(body: bytes, timestamp: int) -> bytes:
    """What a v1 Ed25519 cosignature signs."""
    return b"cosignature/v1\ntime %d\n" % timestamp + body


def subtree_message(name: str, body: bytes, timestamp: int) -> bytes:
    """What an ML-DSA-44 cosignature of a whole checkpoint signs (``cosigned_message``)."""
    checkpoint = parse_checkpoint(body)
    name_bytes, origin = name.encode("utf-8"), checkpoint.origin.encode("utf-8")
    if not 1 <= len(name_bytes) <= 255 or not 1 <= len(origin) <= 255:
        raise CheckpointError("cosigner name and origin must be 1 to 255 bytes")
    return b"".join(
        [
            _SUBTREE_LABEL,
            bytes([len(name_bytes)]),
            name_bytes,
            timestamp.to_bytes(8, "big"),
            bytes([len(origin)]),
            origin,
            (0).to_bytes(8, "big"),
            checkpoint.size.to_bytes(8, "big"),
            checkpoint.root_hash,
        ]
    )


def _verify(key: WitnessKey, signature: bytes, message: bytes) -> bool:
    try:
        if key.algorithm == ED25519_COSIGNATURE:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, message)
        else:
            from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PublicKey

            MLDSA44PublicKey.from_public_bytes(key.public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


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
    want = 4 + 8 + _SIZES[key.algorithm][1]
    if len(blob) != want:
        raise CheckpointError(f"cosignature of {name!r} has {len(blob)} bytes, want {want}")
    timestamp = int.from_bytes(blob[4:12], "big")
    if timestamp >= 1 << 63 or timestamp == 0:
        raise CheckpointError(f"cosignature of {name!r} has a timestamp of 0 or above 2^63-1")
    if key.algorithm == ED25519_COSIGNATURE:
        message = cosigned_message(body, timestamp)
    else:
        message = subtree_message(name, body, timestamp)
    if not _verify(key, blob[12:], message):
        raise CheckpointError(f"cosignature of witness {name!r} does not verify")
    return timestamp
