"""Signing keys on disk: Ed25519 private keys kept encrypted under the installation's home.

One JSON file per key, ``keys/<key id>.key``, mode 0600: the private key sealed with
AES-256-GCM under a key derived from the passphrase with scrypt, and the scrypt parameters
and salt recorded beside it, so they can be raised later. A key whose recorded parameters
are below :data:`SCRYPT`, or a key in the old PKCS#8 PEM file (PBKDF2-SHA256, 2,048
iterations), is re-wrapped with the current parameters the next time it is unlocked.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from auditkit.errors import SigningKeyError
from auditkit.home import private_dir
from auditkit.ledger.checkpoint import Signer

FORMAT = "auditkit-signing-key/1"
MIN_PASSPHRASE_LENGTH = 12
MIN_PASSPHRASE_DISTINCT = 5


@dataclass(frozen=True)
class ScryptCost:
    """scrypt's cost: ``n`` (CPU/memory, a power of two), ``r`` (block size), ``p``."""

    n: int
    r: int
    p: int

    def covers(self, other: ScryptCost) -> bool:
        """Whether this cost is at least ``other`` in every parameter."""
        return self.n >= other.n and self.r >= other.r and self.p >= other.p


# OWASP's scrypt recommendation (2^17, 8, 1): 128 MiB and about 0.25 s per guess on one core.
SCRYPT = ScryptCost(n=2**17, r=8, p=1)
# Refused when reading a key file: parameters nobody should have written (or a tampered file
# asking for a cheap derivation) and ones so large they would exhaust memory.
MIN_READ_N, MAX_READ_N, MAX_READ_R, MAX_READ_P = 2**10, 2**22, 32, 16


def key_path(keys_dir: Path, key_id: str) -> Path:
    """Where the encrypted private key with ``key_id`` (8 hex digits) lives."""
    return keys_dir / f"{key_id}.key"


def legacy_key_path(keys_dir: Path, key_id: str) -> Path:
    """Where older versions kept the key (PKCS#8 PEM, PBKDF2): re-wrapped on unlock."""
    return keys_dir / f"{key_id}.pem"


def passphrase_problems(passphrase: bytes) -> list[str]:
    """Why a passphrase is too weak to protect a new signing key (empty when acceptable)."""
    text = passphrase.decode("utf-8", errors="replace")
    problems = []
    if len(text) < MIN_PASSPHRASE_LENGTH:
        problems.append(f"it must be at least {MIN_PASSPHRASE_LENGTH} characters")
    if len(set(text)) < MIN_PASSPHRASE_DISTINCT:
        problems.append(f"it must use at least {MIN_PASSPHRASE_DISTINCT} different characters")
    return problems


def create_signer(keys_dir: Path, name: str, passphrase: bytes) -> Signer:
    """Generate a new Ed25519 key for ``name`` and store it encrypted with ``passphrase``."""
    problems = passphrase_problems(passphrase)
    if problems:
        raise SigningKeyError(
            "the signing-key passphrase (AUDITKIT_KEY_PASSPHRASE or _FILE) is too weak: "
            + "; ".join(problems)
        )
    private_key = Ed25519PrivateKey.generate()
    signer = Signer(name=name, private_key=private_key)
    private_dir(keys_dir)
    key_id = f"{signer.key_id:08x}"
    path = key_path(keys_dir, key_id)
    if path.exists() or legacy_key_path(keys_dir, key_id).exists():
        raise SigningKeyError(f"refusing to overwrite existing signing key {path}")
    _write_key_file(path, _wrap(private_key, key_id, passphrase, SCRYPT), replace=False)
    return signer


def load_signer(keys_dir: Path, key_id: str, name: str, passphrase: bytes) -> Signer:
    """Decrypt the stored key ``key_id``; refuses a wrong passphrase or a key that does not match.

    A key stored with weaker parameters than :data:`SCRYPT` (or in the old PEM file) is
    re-wrapped with them, in place, once it has been opened.
    """
    path = key_path(keys_dir, key_id)
    legacy = legacy_key_path(keys_dir, key_id)
    if path.exists():
        document = _read_document(path)
        private_key, cost = _unwrap(document, key_id, passphrase, path)
        rewrap = not cost.covers(SCRYPT)
    elif legacy.exists():
        private_key = _load_legacy(legacy, passphrase)
        rewrap = True
    else:
        raise SigningKeyError(
            f"signing key {key_id} is not at {path}: copy the keys folder of this "
            "installation, or run `auditkit keys rotate` to start a new key"
        )
    signer = Signer(name=name, private_key=private_key)
    if f"{signer.key_id:08x}" != key_id:
        raise SigningKeyError(f"{path} holds key {signer.key_id:08x}, not {key_id}")
    if rewrap:
        _write_key_file(path, _wrap(private_key, key_id, passphrase, SCRYPT), replace=True)
        legacy.unlink(missing_ok=True)
    return signer


def stored_cost(keys_dir: Path, key_id: str) -> ScryptCost | None:
    """The scrypt parameters recorded for ``key_id`` (None for an old PEM file or none)."""
    path = key_path(keys_dir, key_id)
    if not path.exists():
        return None
    return _cost(_read_document(path), path)


def _derive(passphrase: bytes, salt: bytes, cost: ScryptCost) -> bytes:
    return Scrypt(salt=salt, length=32, n=cost.n, r=cost.r, p=cost.p).derive(passphrase)


def _aad(key_id: str) -> bytes:
    return f"{FORMAT}|{key_id}".encode("ascii")


def _wrap(
    private_key: Ed25519PrivateKey, key_id: str, passphrase: bytes, cost: ScryptCost
) -> dict[str, Any]:
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    raw = private_key.private_bytes(
        encoding=serialization.Encoding.Raw,
        format=serialization.PrivateFormat.Raw,
        encryption_algorithm=serialization.NoEncryption(),
    )
    sealed = AESGCM(_derive(passphrase, salt, cost)).encrypt(nonce, raw, _aad(key_id))
    return {
        "format": FORMAT,
        "key_id": key_id,
        "kdf": {"name": "scrypt", "n": cost.n, "r": cost.r, "p": cost.p, "salt": _b64(salt)},
        "cipher": "AES-256-GCM",
        "nonce": _b64(nonce),
        "ciphertext": _b64(sealed),
    }


def _read_document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise SigningKeyError(f"cannot read signing key {path}: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SigningKeyError(f"{path} is not an auditkit signing key ({FORMAT})")
    return document


def _cost(document: dict[str, Any], path: Path) -> ScryptCost:
    kdf = document.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
        raise SigningKeyError(f"{path}: kdf must be scrypt")
    n, r, p = kdf.get("n"), kdf.get("r"), kdf.get("p")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, r, p)):
        raise SigningKeyError(f"{path}: kdf n, r and p must be integers")
    assert isinstance(n, int) and isinstance(r, int) and isinstance(p, int)
    if not (MIN_READ_N <= n <= MAX_READ_N and n & (n - 1) == 0):
        raise SigningKeyError(f"{path}: kdf n={n} must be a power of two in [2^10, 2^22]")
    if not (1 <= r <= MAX_READ_R and 1 <= p <= MAX_READ_P):
        raise SigningKeyError(f"{path}: kdf r={r}, p={p} out of range")
    return ScryptCost(n=n, r=r, p=p)


def _unwrap(
    document: dict[str, Any], key_id: str, passphrase: bytes, path: Path
) -> tuple[Ed25519PrivateKey, ScryptCost]:
    cost = _cost(document, path)
    if document.get("key_id") != key_id:
        raise SigningKeyError(f"{path} names key {document.get('key_id')!r}, not {key_id}")
    try:
        salt = base64.b64decode(document["kdf"]["salt"], validate=True)
        nonce = base64.b64decode(document["nonce"], validate=True)
        sealed = base64.b64decode(document["ciphertext"], validate=True)
    except (KeyError, TypeError, ValueError):
        raise SigningKeyError(
            f"{path}: salt, nonce or ciphertext is missing or not base64"
        ) from None
    if len(nonce) != 12 or len(salt) < 16:
        raise SigningKeyError(f"{path}: nonce must be 12 bytes and salt at least 16")
    try:
        raw = AESGCM(_derive(passphrase, salt, cost)).decrypt(nonce, sealed, _aad(key_id))
    except InvalidTag:
        raise SigningKeyError(
            f"cannot decrypt signing key {path}: wrong AUDITKIT_KEY_PASSPHRASE?"
        ) from None
    try:
        return Ed25519PrivateKey.from_private_bytes(raw), cost
    except ValueError:
        raise SigningKeyError(f"{path} does not hold an Ed25519 key") from None


def _load_legacy(path: Path, passphrase: bytes) -> Ed25519PrivateKey:
    try:
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    except (ValueError, TypeError):
        raise SigningKeyError(
            f"cannot decrypt signing key {path}: wrong AUDITKIT_KEY_PASSPHRASE?"
        ) from None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} is not an Ed25519 key")
    return private_key


def _write_key_file(path: Path, document: dict[str, Any], *, replace: bool) -> None:
    """Write the key file 0600, fsynced; a re-wrap replaces the old file atomically."""
    data = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("ascii")
    target = path.with_name(path.name + ".new") if replace else path
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    descriptor = os.open(target, flags, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    if replace:
        os.replace(target, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
