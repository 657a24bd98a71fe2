"""Tests for C2SP checkpoints and Ed25519 signed notes, including the Go sumdb/note vector."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditkit.errors import CheckpointError
from auditkit.ledger.checkpoint import (
    Checkpoint,
    Signer,
    Verifier,
    key_id_for,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    sign_checkpoint,
    verify_checkpoint,
)

# golang.org/x/mod/sumdb/note: the example key and note of its documentation,
# also the example of c2sp.org/signed-note. Ed25519 is deterministic, so the
# published private key must reproduce the published signature byte for byte.
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_PRIVATE_KEY_MATERIAL = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgK"
    "vqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

ROOT = hashlib.sha256(b"root").digest()
ROOT_B64 = base64.b64encode(ROOT).decode()


def make_signer(name: str, seed: int) -> Signer:
    return Signer(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


LOG = make_signer("example.com/log", 1)
WITNESS = make_signer("example.com/witness", 2)
STRANGER = make_signer("example.com/stranger", 3)
CHECKPOINT = Checkpoint("example.com/log", 5, ROOT)


# --- the Go / C2SP reference vector --------------------------------------------


def test_go_verifier_key_parses_with_its_published_key_id() -> None:
    verifier = parse_verifier_key(GO_VERIFIER_KEY)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id == 0xC74F20A3
    assert verifier.verifier_key_string() == GO_VERIFIER_KEY


def test_go_note_verifies_with_the_go_key() -> None:
    verifier = parse_verifier_key(GO_VERIFIER_KEY)
    text, signed_by = open_note(GO_NOTE, [verifier])
    assert text == GO_TEXT.encode()
    assert signed_by == [verifier]


def test_signing_with_the_go_private_key_reproduces_the_go_note() -> None:
    material = base64.b64decode(GO_PRIVATE_KEY_MATERIAL)
    assert material[0] == 0x01
    signer = Signer("PeterNeumann", Ed25519PrivateKey.from_private_bytes(material[1:]))
    assert signer.key_id == 0xC74F20A3
    assert signer.verifier() == parse_verifier_key(GO_VERIFIER_KEY)
    assert signer.sign_note(GO_TEXT.encode()) == GO_NOTE


def test_key_id_is_the_first_four_bytes_of_the_spec_hash() -> None:
    public_key = bytes(range(32))
    digest = hashlib.sha256(b"example.com/k\n\x01" + public_key).digest()
    assert key_id_for("example.com/k", public_key) == int.from_bytes(digest[:4], "big")


# --- checkpoints -------------------------------------------------------------------


def test_checkpoint_body_is_the_c2sp_text() -> None:
    assert CHECKPOINT.body() == f"example.com/log\n5\n{ROOT_B64}\n".encode()
    with_ext = Checkpoint("o", 0, ROOT, ("ext one", "ext two"))
    assert with_ext.body() == f"o\n0\n{ROOT_B64}\next one\next two\n".encode()


@pytest.mark.parametrize(
    "checkpoint",
    [
        CHECKPOINT,
        Checkpoint("example.com/log", 0, hashlib.sha256(b"").digest()),
        Checkpoint("log with spaces and ünïcode", 2**64 - 1, ROOT, ("a", "b c")),
    ],
    ids=["plain", "empty-tree", "extensions"],
)
def test_signed_checkpoint_round_trips(checkpoint: Checkpoint) -> None:
    assert parse_checkpoint(checkpoint.body()) == checkpoint
    assert parse_checkpoint(checkpoint.body().decode()) == checkpoint
    note = sign_checkpoint(checkpoint, LOG)
    assert note.startswith(checkpoint.body().decode() + "\n— example.com/log ")
    assert verify_checkpoint(note, [LOG.verifier()]) == checkpoint
    assert verify_checkpoint(note.encode(), [LOG.verifier()]) == checkpoint


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (f"example.com/log\n05\n{ROOT_B64}\n", "canonical decimal"),
        (f"example.com/log\n00\n{ROOT_B64}\n", "canonical decimal"),
        (f"example.com/log\n+5\n{ROOT_B64}\n", "canonical decimal"),
        (f"example.com/log\n-1\n{ROOT_B64}\n", "canonical decimal"),
        (f"example.com/log\n 5\n{ROOT_B64}\n", "canonical decimal"),
        (f"example.com/log\n5_0\n{ROOT_B64}\n", "canonical decimal"),
        (f"example.com/log\n\u0665\n{ROOT_B64}\n", "canonical decimal"),
        (f"example.com/log\n0x5\n{ROOT_B64}\n", "canonical decimal"),
        (f"example.com/log\n{2**64}\n{ROOT_B64}\n", "64 bits"),
        ("example.com/log\n5\n!!!!\n", "not valid base64"),
        (f"example.com/log\n5\n{ROOT_B64.rstrip('=')}\n", "not valid base64"),
        (f"example.com/log\n5\n{ROOT_B64[:-2]}B=\n", "not canonical base64"),
        (f"example.com/log\n5\n{base64.b64encode(ROOT[:31]).decode()}\n", "31 bytes"),
        (f"example.com/log\n5\n{base64.b64encode(ROOT + b'x').decode()}\n", "33 bytes"),
        (f"\n5\n{ROOT_B64}\n", "empty line"),
        (f"example.com/log\n5\n{ROOT_B64}", "newline"),
        ("example.com/log\n5\n", "at least 3"),
        (f"example.com/log\n5\n{ROOT_B64}\n\n", "empty line"),
        (f"example.com/log\n5\n{ROOT_B64}\next\n\nmore\n", "empty line"),
        (f"example.com/log\r\n5\n{ROOT_B64}\n", "control character"),
        (b"example.com/\xfflog\n5\n" + ROOT_B64.encode() + b"\n", "UTF-8"),
    ],
    ids=[
        "leading-zero",
        "double-zero",
        "plus-sign",
        "negative",
        "leading-space",
        "underscore",
        "non-ascii-digit",
        "hex",
        "size-over-64-bits",
        "bad-base64",
        "unpadded-base64",
        "non-canonical-base64",
        "short-hash",
        "long-hash",
        "empty-origin",
        "no-trailing-newline",
        "no-root-line",
        "trailing-blank-line",
        "empty-extension",
        "carriage-return",
        "invalid-utf8",
    ],
)
def test_malformed_checkpoint_is_refused(body: str | bytes, match: str) -> None:
    with pytest.raises(CheckpointError, match=match):
        parse_checkpoint(body)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"origin": ""}, "origin"),
        ({"origin": "a\nb"}, "origin"),
        ({"size": -1}, "non-negative"),
        ({"size": True}, "non-negative"),
        ({"root_hash": ROOT[:16]}, "16 bytes"),
        ({"extensions": ("",)}, "extension"),
        ({"extensions": ("a\nb",)}, "extension"),
    ],
    ids=[
        "empty-origin",
        "multiline-origin",
        "negative-size",
        "bool-size",
        "short-root",
        "empty-extension",
        "multiline-extension",
    ],
)
def test_checkpoint_that_cannot_round_trip_is_refused(
    kwargs: dict[str, object], match: str
) -> None:
    fields: dict[str, object] = {"origin": "o", "size": 1, "root_hash": ROOT, **kwargs}
    with pytest.raises(CheckpointError, match=match):
        Checkpoint(**fields)  # type: ignore[arg-type]


# --- tampering and keys ------------------------------------------------------------


def _resign_blob(note: str, mutate: int) -> str:
    """Flip one bit of the signature bytes (after the 4-byte key id) of the first line."""
    head, _, sig_line = note.rpartition("\n\n")
    prefix, _, encoded = sig_line.rstrip("\n").rpartition(" ")
    blob = bytearray(base64.b64decode(encoded))
    blob[4 + mutate] ^= 0x01
    return f"{head}\n\n{prefix} {base64.b64encode(bytes(blob)).decode()}\n"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda n: n.replace("example.com/log\n", "example.com/lag\n", 1),
        lambda n: n.replace("\n5\n", "\n6\n", 1),
        lambda n: n.replace(
            ROOT_B64, base64.b64encode(hashlib.sha256(b"other").digest()).decode(), 1
        ),
        lambda n: n.replace(f"{ROOT_B64}\n", f"{ROOT_B64}\next\n", 1),
        lambda n: _resign_blob(n, 0),
        lambda n: _resign_blob(n, 63),
    ],
    ids=[
        "origin",
        "size",
        "root",
        "added-extension",
        "signature-first-byte",
        "signature-last-byte",
    ],
)
def test_tampered_checkpoint_is_refused(tamper: Callable[[str], str]) -> None:
    note = sign_checkpoint(CHECKPOINT, LOG)
    tampered = tamper(note)
    assert tampered != note
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(tampered, [LOG.verifier()])


def test_unknown_signers_are_ignored() -> None:
    body = CHECKPOINT.body()
    note = body.decode() + "\n" + STRANGER.signature_line(body) + LOG.signature_line(body)
    text, signed_by = open_note(note, [LOG.verifier()])
    assert text == body
    assert signed_by == [LOG.verifier()]


def test_note_signed_only_by_unknown_keys_is_refused() -> None:
    note = sign_checkpoint(CHECKPOINT, STRANGER)
    with pytest.raises(CheckpointError, match="not signed by any known key"):
        verify_checkpoint(note, [LOG.verifier(), WITNESS.verifier()])
    with pytest.raises(CheckpointError, match="not signed by any known key"):
        verify_checkpoint(note, [])


def test_cosigned_note_reports_every_known_signer() -> None:
    body = CHECKPOINT.body()
    note = body.decode() + "\n" + LOG.signature_line(body) + WITNESS.signature_line(body)
    _, signed_by = open_note(note, [WITNESS.verifier(), LOG.verifier(), STRANGER.verifier()])
    assert signed_by == [LOG.verifier(), WITNESS.verifier()]


def test_bad_signature_from_a_known_key_refuses_the_whole_note() -> None:
    body = CHECKPOINT.body()
    forged = WITNESS.signature_line(b"something else\n")
    note = body.decode() + "\n" + LOG.signature_line(body) + forged
    with pytest.raises(CheckpointError, match=r"example\.com/witness"):
        open_note(note, [LOG.verifier(), WITNESS.verifier()])


@pytest.mark.parametrize(
    "impostor",
    [
        # Same name, other key: the key id differs, so the signature is unknown.
        make_signer("example.com/log", 9),
        # Same key, other name: the key id and name differ.
        Signer("example.com/other", LOG.private_key),
    ],
    ids=["same-name-other-key", "same-key-other-name"],
)
def test_signature_matching_a_known_key_in_name_or_id_only_is_ignored(impostor: Signer) -> None:
    note = sign_checkpoint(CHECKPOINT, impostor)
    with pytest.raises(CheckpointError, match="not signed by any known key"):
        verify_checkpoint(note, [LOG.verifier()])


def test_note_text_may_contain_blank_lines() -> None:
    text = b"first\n\nsecond\n"
    text_out, _ = open_note(LOG.sign_note(text), [LOG.verifier()])
    assert text_out == text


def test_verifier_key_string_round_trips() -> None:
    verifier = WITNESS.verifier()
    assert parse_verifier_key(verifier.verifier_key_string()) == verifier
    assert verifier.key_id == WITNESS.key_id
    assert verifier.key_id_hex == WITNESS.key_id_hex == f"{WITNESS.key_id:08x}"
    assert verifier.verifier_key_string().split("+")[1] == verifier.key_id_hex


def test_ambiguous_known_keys_are_refused() -> None:
    # Two real keys sharing a name and 32-bit id would take a 2**32 search to
    # find, so the colliding verifier is assembled by hand.
    clash = Verifier.__new__(Verifier)
    object.__setattr__(clash, "name", LOG.name)
    object.__setattr__(clash, "public_key", WITNESS.verifier().public_key)
    object.__setattr__(clash, "key_id", LOG.key_id)
    with pytest.raises(CheckpointError, match="share name"):
        open_note(sign_checkpoint(CHECKPOINT, LOG), [LOG.verifier(), clash])


_GO_KEY_B64 = GO_VERIFIER_KEY.rsplit("+", 1)[1]
_GO_PUBLIC = base64.b64decode(_GO_KEY_B64)[1:]
_WRONG_ALGORITHM_B64 = base64.b64encode(b"\x02" + _GO_PUBLIC).decode()
_SHORT_KEY_B64 = base64.b64encode(b"\x01" + _GO_PUBLIC[:31]).decode()


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("PeterNeumann+c74f20a3", "<name>"),
        ("PeterNeumann", "<name>"),
        (f"PeterNeumann+c74f20a4+{_GO_KEY_B64}", "does not match"),
        (f"PeterNeumann+c74f20a+{_GO_KEY_B64}", "8 hex digits"),
        (f"PeterNeumann+0xc74f20a3+{_GO_KEY_B64}", "8 hex digits"),
        (f"PeterNeumann+ c74f20a+{_GO_KEY_B64}", "8 hex digits"),
        (f"Peter Neumann+c74f20a3+{_GO_KEY_B64}", "whitespace"),
        (f"+c74f20a3+{_GO_KEY_B64}", "empty"),
        (f"PeterNeumann+c74f20a3+{_WRONG_ALGORITHM_B64}", "0x01"),
        (f"PeterNeumann+c74f20a3+{_SHORT_KEY_B64}", "31"),
        ("PeterNeumann+c74f20a3+", "not an Ed25519"),
        ("PeterNeumann+c74f20a3+not base64!", "not valid base64"),
    ],
    ids=[
        "two-fields",
        "one-field",
        "wrong-key-id",
        "short-key-id",
        "prefixed-key-id",
        "spaced-key-id",
        "name-with-space",
        "empty-name",
        "wrong-algorithm",
        "short-public-key",
        "no-key",
        "bad-base64",
    ],
)
def test_malformed_verifier_key_is_refused(key: str, match: str) -> None:
    with pytest.raises(CheckpointError, match=match):
        parse_verifier_key(key)


def test_verifier_key_id_hex_is_case_insensitive() -> None:
    assert parse_verifier_key(GO_VERIFIER_KEY.replace("c74f20a3", "C74F20A3")).key_id == 0xC74F20A3


_GO_SIG_LINE = GO_NOTE[len(GO_TEXT) + 1 :]


@pytest.mark.parametrize(
    ("note", "match"),
    [
        (GO_TEXT + _GO_SIG_LINE, "no blank line"),
        (GO_TEXT + "\n", "no signature lines"),
        (GO_TEXT + "\n" + _GO_SIG_LINE.rstrip("\n"), "no signature lines"),
        (GO_TEXT + "\n" + _GO_SIG_LINE.replace("—", "--"), "malformed signature line"),
        (GO_TEXT + "\n" + _GO_SIG_LINE.replace("— ", "—"), "malformed signature line"),
        (GO_TEXT + "\n" + _GO_SIG_LINE + "\n", "no signature lines"),
        (GO_TEXT + "\n" + _GO_SIG_LINE.replace("PeterNeumann", "Peter+Neumann"), "'\\+'"),
        (GO_TEXT + "\n" + _GO_SIG_LINE.replace("PeterNeumann ", "PeterNeumann  "), "base64"),
        (GO_TEXT + "\n" + _GO_SIG_LINE.replace("x08go", "x08g!"), "base64"),
        (GO_TEXT + "\n— PeterNeumann x08gow==\n", "too short"),
        (GO_TEXT.replace("\n", "\r\n", 1) + "\n" + _GO_SIG_LINE, "control character"),
        (GO_TEXT + "\n" + "— someone AAAAAAA=\n" * 101, "at most 100"),
        (b"\xff" + GO_NOTE.encode(), "UTF-8"),
    ],
    ids=[
        "no-blank-line",
        "no-signatures",
        "no-final-newline",
        "ascii-dashes",
        "no-space-after-dash",
        "trailing-blank-line",
        "plus-in-name",
        "double-space",
        "bad-base64",
        "short-signature",
        "carriage-return",
        "too-many-signatures",
        "invalid-utf8",
    ],
)
def test_malformed_note_is_refused(note: str | bytes, match: str) -> None:
    with pytest.raises(CheckpointError, match=match):
        open_note(note, [parse_verifier_key(GO_VERIFIER_KEY)])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (b"no final newline", "end with a newline"),
        (b"", "end with a newline"),
        (b"bad \xff utf-8\n", "UTF-8"),
        (b"tab\there\n", "control character"),
    ],
    ids=["no-final-newline", "empty", "invalid-utf8", "control-character"],
)
def test_unsignable_text_is_refused(text: bytes, match: str) -> None:
    with pytest.raises(CheckpointError, match=match):
        LOG.sign_note(text)


@pytest.mark.parametrize(
    "name", ["", "has space", "has+plus", "tab\tname"], ids=["empty", "space", "plus", "tab"]
)
def test_invalid_key_name_is_refused(name: str) -> None:
    with pytest.raises(CheckpointError, match="key name"):
        Signer(name, Ed25519PrivateKey.generate())
    with pytest.raises(CheckpointError, match="key name"):
        Verifier(name, bytes(32))
