"""Signing keys on disk: Ed25519 private keys kept encrypted under the installation's home."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditkit.errors import SigningKeyError
from auditkit.ledger.checkpoint import Signer


def key_path(keys_dir: Path, key_id: str) -> Path:
    """Where the encrypted private key with ``key_id`` (8 hex digits) lives."""
    return keys_dir / f"{key_id}.pem"


def create_signer(keys_dir: Path, name: str, passphrase: bytes) -> Signer:
    """Generate a new Ed25519 key for ``name`` and store it encrypted with ``passphrase``."""
    private_key = Ed25519PrivateKey.generate()
    signer = Signer(name=name, private_key=private_key)
    pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = key_path(keys_dir, f"{signer.key_id:08x}")
    if path.exists():
        raise SigningKeyError(f"refusing to overwrite existing signing key {path}")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return signer


def load_signer(keys_dir: Path, key_id: str, name: str, passphrase: bytes) -> Signer:
    """Decrypt the stored key ``key_id``; refuses a wrong passphrase or a key that does not match."""
    path = key_path(keys_dir, key_id)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(
            f"signing key {key_id} is not at {path}: copy the keys folder of this "
            "installation, or run `auditkit keys rotate` to start a new key"
        ) from None
    try:
        private_key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError):
        raise SigningKeyError(
            f"cannot decrypt signing key {path}: wrong AUDITKIT_KEY_PASSPHRASE?"
        ) from None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} is not an Ed25519 key")
    signer = Signer(name=name, private_key=private_key)
    if f"{signer.key_id:08x}" != key_id:
        raise SigningKeyError(f"{path} holds key {signer.key_id:08x}, not {key_id}")
    return signer
