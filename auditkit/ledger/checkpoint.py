"""C2SP tlog-checkpoint bodies and Ed25519 signed notes (c2sp.org/tlog-checkpoint, signed-note).

The wire format matches golang.org/x/mod/sumdb/note, so checkpoints signed here
verify with the Go tooling used by transparency logs and witnesses, and back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditkit.errors import CheckpointError

__all__ = [
    "ED25519_ALGORITHM",
    "Checkpoint",
    "Signer",
    "Verifier",
    "key_id_for",
    "open_note",
    "parse_checkpoint",
    "parse_verifier_key",
    "sign_checkpoint",
    "verify_checkpoint",
]

ED25519_ALGORITHM = 0x01
"""The signed-note signature type byte of Ed25519."""

ROOT_HASH_SIZE = 32
"""Length in bytes of a checkpoint's root hash (an RFC 6962 SHA-256 tree)."""

MAX_SIGNATURES = 100
"""Most signature lines a note may carry; the spec asks verifiers for a limit of at least 16."""

_SIGNATURE_PREFIX = "\N{EM DASH} "
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_HEX = re.compile(r"[0-9a-fA-F]{8}")
# Every ASCII control character except newline, which the signed-note spec forbids.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_ED25519_SIGNATURE_SIZE = 64
_ED25519_KEY_SIZE = 32


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    """Decode standard, padded base64, refusing any other spelling of the same bytes."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise CheckpointError(f"{what} is not valid base64") from None
    # Re-encoding catches non-zero padding bits, which would let one value have two spellings.
    if _b64encode(data) != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return data


def _check_name(name: str) -> None:
    """Refuse a key name the signed-note spec forbids."""
    if not name:
        raise CheckpointError("key name is empty")
    if "+" in name or any(ch.isspace() for ch in name):
        raise CheckpointError(f"key name {name!r} contains '+' or whitespace")
    if _CONTROL.search(name):
        raise CheckpointError(f"key name {name!r} contains a control character")


def _check_text(text: str, what: str) -> None:
    """Refuse text that is not allowed anywhere in a signed note."""
    if _CONTROL.search(text):
        raise CheckpointError(f"{what} contains an ASCII control character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CheckpointError(f"{what} is not valid UTF-8") from None


def key_id_for(name: str, public_key: bytes) -> int:
    """Return the Ed25519 key id: SHA-256(name || 0x0A || 0x01 || key)[:4] as a big-endian int."""
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ED25519_ALGORITHM]) + public_key
    ).digest()
    return int.from_bytes(digest[:4], "big")


@dataclass(frozen=True)
class Checkpoint:
    """A transparency log's signed tree head: its origin, size and root hash."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse a checkpoint whose body could not be parsed back to the same value."""
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("origin must be one non-empty line")
        _check_text(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise CheckpointError(f"tree size {self.size!r} is not a non-negative integer")
        if self.size >= 1 << 64:
            raise CheckpointError(f"tree size {self.size} does not fit in 64 bits")
        if len(self.root_hash) != ROOT_HASH_SIZE:
            raise CheckpointError(
                f"root hash has {len(self.root_hash)} bytes, want {ROOT_HASH_SIZE}"
            )
        for line in self.extensions:
            if not line or "\n" in line:
                raise CheckpointError("each extension must be one non-empty line")
            _check_text(line, "extension line")

    def body(self) -> bytes:
        """Return the note text: origin, size, base64 root and extensions, one line each."""
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines).encode("utf-8")


def parse_checkpoint(body: bytes | str) -> Checkpoint:
    """Parse a checkpoint body strictly; raise ``CheckpointError`` on any deviation from spec."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise CheckpointError("checkpoint is not valid UTF-8") from None
    else:
        text = body
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(f"checkpoint has {len(lines)} lines, want at least 3")
    if any(not line for line in lines):
        raise CheckpointError("checkpoint has an empty line")
    origin, size_text, root_text, *extensions = lines
    if not _DECIMAL.fullmatch(size_text):
        raise CheckpointError(f"tree size {size_text!r} is not a canonical decimal")
    root_hash = _b64decode(root_text, "root hash")
    return Checkpoint(
        origin=origin, size=int(size_text), root_hash=root_hash, extensions=tuple(extensions)
    )


@dataclass(frozen=True)
class Verifier:
    """A known Ed25519 note key: its name, raw 32-byte public key and derived key id."""

    name: str
    public_key: bytes
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        """Check the name and key, and derive the key id so it can never disagree with them."""
        _check_name(self.name)
        if len(self.public_key) != _ED25519_KEY_SIZE:
            raise CheckpointError(
                f"Ed25519 public key has {len(self.public_key)} bytes, want {_ED25519_KEY_SIZE}"
            )
        object.__setattr__(self, "key_id", key_id_for(self.name, self.public_key))

    @property
    def key_id_hex(self) -> str:
        """The key id as the 8 lowercase hex digits used in verifier keys."""
        return f"{self.key_id:08x}"

    def verifier_key_string(self) -> str:
        """Return the key as ``<name>+<8 hex key id>+<base64(0x01 || public key)>``."""
        encoded = _b64encode(bytes([ED25519_ALGORITHM]) + self.public_key)
        return f"{self.name}+{self.key_id_hex}+{encoded}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` is this key's Ed25519 signature of ``text``."""
        if len(signature) != _ED25519_SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except (InvalidSignature, ValueError):
            return False
        return True


def parse_verifier_key(key: str) -> Verifier:
    """Parse a ``<name>+<hex id>+<base64 key>`` verifier key, checking the id against the key."""
    # The base64 part may itself contain '+', so split off only the first two fields.
    parts = key.split("+", 2)
    if len(parts) != 3:
        raise CheckpointError("verifier key must be <name>+<key id>+<key>")
    name, id_text, key_text = parts
    if not _KEY_ID_HEX.fullmatch(id_text):
        raise CheckpointError(f"verifier key id {id_text!r} is not 8 hex digits")
    material = _b64decode(key_text, "verifier key")
    if not material or material[0] != ED25519_ALGORITHM:
        raise CheckpointError("verifier key is not an Ed25519 (0x01) key")
    verifier = Verifier(name, material[1:])
    if verifier.key_id != int(id_text, 16):
        raise CheckpointError(
            f"verifier key id {id_text} does not match the key (computed {verifier.key_id:08x})"
        )
    return verifier


@dataclass(frozen=True, eq=False)
class Signer:
    """An Ed25519 note signing key under a name."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        """Refuse a name that could not appear in a signature line."""
        _check_name(self.name)

    def verifier(self) -> Verifier:
        """Return the public half of this key, to publish or to verify with."""
        return Verifier(self.name, self.private_key.public_key().public_bytes_raw())

    @property
    def key_id(self) -> int:
        """The signed-note key id of this key."""
        return self.verifier().key_id

    @property
    def key_id_hex(self) -> str:
        """The key id as the 8 lowercase hex digits used in verifier keys."""
        return f"{self.key_id:08x}"

    def signature_line(self, text: bytes) -> str:
        """Return this key's signature line for ``text``, ending in newline."""
        _check_note_text(text)
        signature = self.private_key.sign(text)
        blob = self.key_id.to_bytes(4, "big") + signature
        return f"{_SIGNATURE_PREFIX}{self.name} {_b64encode(blob)}\n"

    def sign_note(self, text: bytes) -> str:
        """Return ``text`` as a signed note carrying this key's signature."""
        line = self.signature_line(text)
        return text.decode("utf-8") + "\n" + line


def _check_note_text(text: bytes) -> None:
    """Refuse note text that the signed-note format cannot carry."""
    if not text.endswith(b"\n"):
        raise CheckpointError("note text must end with a newline")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError("note text is not valid UTF-8") from None
    _check_text(decoded, "note text")


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> tuple[bytes, list[Verifier]]:
    """Return a signed note's text and the known verifiers that signed it.

    Signatures from unknown keys are ignored, as the spec requires; a note is
    refused if it is malformed, if any known key's signature fails, or if no
    known key signed it.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise CheckpointError("note is not valid UTF-8") from None
    _check_text(note, "note")
    known: dict[tuple[str, int], Verifier] = {}
    for verifier in verifiers:
        previous = known.setdefault((verifier.name, verifier.key_id), verifier)
        if previous.public_key != verifier.public_key:
            raise CheckpointError(f"two known keys share name {verifier.name!r} and key id")

    # The spec separates text from signatures at the last blank line; the text may have others.
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("note has no blank line before its signatures")
    text, signatures = note[: split + 1], note[split + 2 :]
    if not signatures or not signatures.endswith("\n"):
        raise CheckpointError("note has no signature lines ending in newline")
    lines = signatures[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"note has {len(lines)} signatures, at most {MAX_SIGNATURES}")

    text_bytes = text.encode("utf-8")
    signed_by: list[Verifier] = []
    for line in lines:
        if not line.startswith(_SIGNATURE_PREFIX):
            raise CheckpointError(f"malformed signature line {line!r}")
        name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
        _check_name(name)
        blob = _b64decode(encoded, f"signature of {name!r}")
        if len(blob) < 5:
            raise CheckpointError(f"signature of {name!r} is too short")
        signer = known.get((name, int.from_bytes(blob[:4], "big")))
        if signer is None:
            continue
        if not signer.verify(text_bytes, blob[4:]):
            raise CheckpointError(f"signature by known key {name!r} does not verify")
        if signer not in signed_by:
            signed_by.append(signer)
    if not signed_by:
        raise CheckpointError("note is not signed by any known key")
    return text_bytes, signed_by


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """Return the checkpoint as a signed note with ``signer``'s signature."""
    return signer.sign_note(checkpoint.body())


def verify_checkpoint(note: str | bytes, verifiers: Iterable[Verifier]) -> Checkpoint:
    """Open a signed checkpoint note with the known verifiers and parse its body."""
    text, _ = open_note(note, verifiers)
    return parse_checkpoint(text)
