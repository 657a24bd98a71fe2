"""Signing-key files: scrypt with recorded parameters, weak passphrases refused, old PBKDF2
keys and keys with outgrown parameters re-wrapped on their next unlock."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditkit.errors import SigningKeyError
from auditkit.ledger import keyring
from auditkit.ledger.checkpoint import Signer

PASSPHRASE = b"correct horse battery staple"
PRODUCTION = keyring.ScryptCost(n=2**17, r=8, p=1)


def test_the_production_cost_is_memory_hard() -> None:
    # tests/conftest.py lowers keyring.SCRYPT for speed; the module's own value is this one.
    source = Path(keyring.__file__).read_text(encoding="utf-8")
    assert "SCRYPT = ScryptCost(n=2**17, r=8, p=1)" in source
    assert 128 * PRODUCTION.r * PRODUCTION.n >= 128 * 1024 * 1024  # 128 MiB per guess


def test_a_new_key_records_its_scrypt_parameters_and_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "SCRYPT", PRODUCTION)
    signer = keyring.create_signer(tmp_path / "keys", "example.org/log", PASSPHRASE)
    key_id = f"{signer.key_id:08x}"
    path = keyring.key_path(tmp_path / "keys", key_id)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["kdf"]["name"] == "scrypt"
    assert (document["kdf"]["n"], document["kdf"]["r"], document["kdf"]["p"]) == (2**17, 8, 1)
    assert path.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" not in path.read_bytes()
    loaded = keyring.load_signer(tmp_path / "keys", key_id, "example.org/log", PASSPHRASE)
    assert loaded.key_id == signer.key_id


@pytest.mark.parametrize(
    ("passphrase", "problem"),
    [
        (b"x", "at least 12 characters"),
        (b"wheel-check", "at least 12 characters"),
        (b"aaaaaaaaaaaaaaaa", "at least 5 different characters"),
        (b"abababababababab", "at least 5 different characters"),
    ],
)
def test_a_weak_passphrase_is_refused_and_no_key_is_written(
    tmp_path: Path, passphrase: bytes, problem: str
) -> None:
    with pytest.raises(SigningKeyError, match=problem):
        keyring.create_signer(tmp_path / "keys", "example.org/log", passphrase)
    assert not (tmp_path / "keys").exists() or not any((tmp_path / "keys").iterdir())


def _legacy_key(keys_dir: Path) -> str:
    """A key as earlier versions stored it: PKCS#8 PEM under PBKDF2-SHA256."""
    private_key = Ed25519PrivateKey.generate()
    key_id = f"{Signer(name='example.org/log', private_key=private_key).key_id:08x}"
    keys_dir.mkdir(mode=0o700)
    pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(b"pw"),
    )
    descriptor = os.open(keyring.legacy_key_path(keys_dir, key_id), os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key_id


def test_an_old_pbkdf2_key_is_rewrapped_with_scrypt_on_its_next_unlock(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    key_id = _legacy_key(keys_dir)
    with pytest.raises(SigningKeyError, match="wrong AUDITKIT_KEY_PASSPHRASE"):
        keyring.load_signer(keys_dir, key_id, "example.org/log", b"not it")
    assert keyring.legacy_key_path(keys_dir, key_id).exists()  # nothing changed on a failure
    signer = keyring.load_signer(keys_dir, key_id, "example.org/log", b"pw")
    assert f"{signer.key_id:08x}" == key_id
    assert not keyring.legacy_key_path(keys_dir, key_id).exists()
    assert keyring.stored_cost(keys_dir, key_id) == keyring.SCRYPT
    assert keyring.key_path(keys_dir, key_id).stat().st_mode & 0o777 == 0o600
    again = keyring.load_signer(keys_dir, key_id, "example.org/log", b"pw")
    assert again.key_id == signer.key_id


def test_a_key_with_outgrown_parameters_is_rewrapped_when_they_are_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys_dir = tmp_path / "keys"
    cheap = keyring.ScryptCost(n=2**10, r=8, p=1)
    monkeypatch.setattr(keyring, "SCRYPT", cheap)
    signer = keyring.create_signer(keys_dir, "example.org/log", PASSPHRASE)
    key_id = f"{signer.key_id:08x}"
    raised = keyring.ScryptCost(n=2**12, r=8, p=1)
    monkeypatch.setattr(keyring, "SCRYPT", raised)
    keyring.load_signer(keys_dir, key_id, "example.org/log", PASSPHRASE)
    assert keyring.stored_cost(keys_dir, key_id) == raised
    assert not list(keys_dir.glob("*.new"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("n", 16, "must be a power of two"),
        ("n", 2**30, "must be a power of two"),
        ("n", 1000, "must be a power of two"),
        ("r", 0, "out of range"),
        ("n", "big", "must be integers"),
    ],
)
def test_a_key_file_asking_for_odd_parameters_is_refused_naming_it(
    tmp_path: Path, field: str, value: object, message: str
) -> None:
    keys_dir = tmp_path / "keys"
    signer = keyring.create_signer(keys_dir, "example.org/log", PASSPHRASE)
    key_id = f"{signer.key_id:08x}"
    path = keyring.key_path(keys_dir, key_id)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["kdf"][field] = value
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SigningKeyError, match=message) as refused:
        keyring.load_signer(keys_dir, key_id, "example.org/log", PASSPHRASE)
    assert str(path) in str(refused.value)


def test_a_key_file_moved_to_another_id_does_not_open(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    signer = keyring.create_signer(keys_dir, "example.org/log", PASSPHRASE)
    key_id = f"{signer.key_id:08x}"
    keyring.key_path(keys_dir, key_id).rename(keyring.key_path(keys_dir, "00000000"))
    with pytest.raises(SigningKeyError, match="names key"):
        keyring.load_signer(keys_dir, "00000000", "example.org/log", PASSPHRASE)
