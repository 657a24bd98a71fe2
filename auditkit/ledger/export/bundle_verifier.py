#!/usr/bin/env python3
"""Standalone verifier for an auditkit export bundle (stdlib + ``cryptography`` only).

auditkit copies this file into every bundle as ``verify.py`` so an auditor can check a
bundle without auditkit or its database: ``python3 verify.py BUNDLE_DIR [--key VKEY]``.
It deliberately re-implements RFC 6962 hashing and C2SP signed-note checks instead of
importing auditkit, and follows ``docs/export-format.md`` to the letter.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "auditkit-export/2"
FILES = ("checkpoint.txt", "verifier.key", "records.jsonl", "proofs.jsonl")
MANIFEST_SIG = "manifest.sig"
MANIFEST_NOTE = "auditkit-export-manifest/1"


class BundleError(Exception):
    """The bundle does not verify; the message names the file and the reason."""


@dataclass(frozen=True)
class BundleSummary:
    """What a verified bundle holds."""

    origin: str
    tree_size: int
    root_hash: bytes
    records: int
    key_id: str
    manifest_sha256: str
    verifier_key: str = ""
    key_given: bool = False
    cosigners: tuple[str, ...] = ()


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2: the root implied by an inclusion proof."""
    if not 0 <= index < size:
        raise BundleError(f"leaf index {index} is outside a tree of size {size}")
    if any(len(p) != 32 for p in proof):
        raise BundleError("a proof hash is not 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise BundleError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise BundleError("inclusion proof is too short")
    return r


def _key_id(name: str, key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + b"\x01" + key).digest()[:4]


def parse_verifier_key(text: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """Parse ``<name>+<hex key id>+<base64(0x01 || key)>``; returns name, key id, key."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise BundleError("verifier key is not <name>+<key id>+<key>")
    name, hex_id, b64 = parts
    try:
        raw = base64.b64decode(b64, validate=True)
        key_id = bytes.fromhex(hex_id)
    except ValueError:
        raise BundleError("verifier key has bad hex or base64") from None
    if len(raw) != 33 or raw[0] != 1 or len(key_id) != 4:
        raise BundleError("verifier key is not an Ed25519 (0x01) key")
    if _key_id(name, raw[1:]) != key_id:
        raise BundleError("verifier key id does not match its key")
    return name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:])


def manifest_note_text(manifest_sha256: str, origin: str) -> str:
    """The text ``manifest.sig`` signs: a fixed first line, the manifest's SHA-256 and the
    log's origin (its second line is never a number, so no tlog parser takes it for a
    checkpoint)."""
    return f"{MANIFEST_NOTE}\nsha256 {manifest_sha256}\norigin {origin}\n"


def _signed_text(note: str, what: str, name: str, key_id: bytes, key: Ed25519PublicKey) -> str:
    """The text of a signed note, once a signature by the key verifies (signed-note rules)."""
    text, sep, signatures = note.partition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise BundleError(f"{what} is not a signed note")
    body = text + "\n"
    signed = False
    for line in signatures[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise BundleError(f"{what} has a malformed signature line")
        signer, _, b64 = line[2:].rpartition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except ValueError:
            raise BundleError(f"{what} signature is not base64") from None
        if signer != name or blob[:4] != key_id:
            continue
        try:
            key.verify(blob[4:], body.encode())
        except InvalidSignature:
            raise BundleError(f"{what} signature does not verify") from None
        signed = True
    if not signed:
        raise BundleError(f"{what} is not signed by the verifier key")
    return body


def check_manifest_signature(
    directory: Path,
    manifest_bytes: bytes,
    origin: object,
    verifier: tuple[str, bytes, Ed25519PublicKey],
) -> None:
    """``manifest.sig`` must be the verifier key's signature over this very manifest."""
    try:
        note = (directory / MANIFEST_SIG).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{MANIFEST_SIG}: cannot read: {exc}") from None
    name, key_id, key = verifier
    text = _signed_text(note, MANIFEST_SIG, name, key_id, key)
    digest = hashlib.sha256(manifest_bytes).hexdigest()
    if text != manifest_note_text(digest, str(origin)):
        raise BundleError(
            f"manifest.json: its SHA-256 ({digest}) or origin is not the one {MANIFEST_SIG} "
            "signs: the manifest was altered"
        )


def open_checkpoint(
    note: str, name: str, key_id: bytes, key: Ed25519PublicKey
) -> tuple[str, int, bytes]:
    """Check the signed note's signature by the key and parse the checkpoint in it."""
    body = _signed_text(note, "checkpoint.txt", name, key_id, key)
    lines = body.split("\n")
    if len(lines) < 4 or not lines[0] or not lines[1].isdigit() or str(int(lines[1])) != lines[1]:
        raise BundleError("checkpoint.txt does not hold a tlog checkpoint")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise BundleError("checkpoint root hash is not 32 bytes")
    return lines[0], int(lines[1]), root


# Cosignature types of c2sp.org/tlog-cosignature: type byte -> (key size, signature size).
_COSIGNATURE_SIZES = {4: (32, 64), 6: (1312, 2420)}


def _witness_key(text: str) -> tuple[str, bytes, int, bytes]:
    """Parse a witness vkey ``<name>+<hex id>+<base64(type || key)>``, type 0x04 (Ed25519)
    or 0x06 (ML-DSA-44); returns name, key id, type and key."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise BundleError(f"--witness {text!r} is not <name>+<key id>+<key>")
    name, hex_id, b64 = parts
    try:
        raw = base64.b64decode(b64, validate=True)
        key_id = bytes.fromhex(hex_id)
    except ValueError:
        raise BundleError(f"--witness {name!r} has bad hex or base64") from None
    sizes = _COSIGNATURE_SIZES.get(raw[0]) if raw else None
    if sizes is None or len(raw) != 1 + sizes[0]:
        raise BundleError(f"--witness {name!r} is not a cosignature key of type 0x04 or 0x06")
    if hashlib.sha256(name.encode() + b"\n" + raw[:1] + raw[1:]).digest()[:4] != key_id:
        raise BundleError(f"--witness {name!r}: key id does not match its key")
    return name, key_id, raw[0], raw[1:]


def _cosigned(name: str, kind: int, body: bytes, timestamp: int) -> bytes:
    """The message a cosignature of ``kind`` signs over the checkpoint ``body``."""
    if kind == 4:
        return b"cosignature/v1\ntime %d\n" % timestamp + body
    origin, size, root = body.decode().split("\n")[:3]
    return b"".join(
        [
            b"subtree/v1\n\x00",
            bytes([len(name.encode())]),
            name.encode(),
            timestamp.to_bytes(8, "big"),
            bytes([len(origin.encode())]),
            origin.encode(),
            (0).to_bytes(8, "big"),
            int(size).to_bytes(8, "big"),
            base64.b64decode(root),
        ]
    )


def _signature_ok(kind: int, key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        if kind == 4:
            Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
        else:
            from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PublicKey

            MLDSA44PublicKey.from_public_bytes(key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    except ImportError:
        raise BundleError("this cryptography cannot verify ML-DSA-44: upgrade it") from None
    return True


def count_cosigners(note: str, witness_keys: list[str]) -> list[str]:
    """Names of the given witnesses whose cosignature of the checkpoint verifies.

    A line under a given witness's name and key id that does not verify makes the whole
    checkpoint invalid (signed-note: a known key's bad signature is a malformed note).
    """
    text, _, signatures = note.partition("\n\n")
    body = (text + "\n").encode()
    keys = {
        (name, key_id): (kind, key) for name, key_id, kind, key in map(_witness_key, witness_keys)
    }
    valid: list[str] = []
    for line in signatures.rstrip("\n").split("\n"):
        signer, _, b64 = line[2:].rpartition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except ValueError:
            raise BundleError("checkpoint.txt: a signature is not base64") from None
        known = keys.get((signer, blob[:4]))
        if known is None:
            continue
        kind, key = known
        if len(blob) != 12 + _COSIGNATURE_SIZES[kind][1]:
            raise BundleError(f"checkpoint.txt: cosignature of {signer} is malformed")
        timestamp = int.from_bytes(blob[4:12], "big")
        if not _signature_ok(kind, key, blob[12:], _cosigned(signer, kind, body, timestamp)):
            raise BundleError(f"checkpoint.txt: cosignature of {signer} does not verify")
        if signer not in valid:
            valid.append(signer)
    return valid


def _in_scope(record: dict[str, Any], scope: dict[str, Any]) -> bool:
    """Whether a record is one the export's scope selects (conversation, occurred_at)."""
    if scope.get("conversations") and record.get("conversation") not in scope["conversations"]:
        return False
    occurred = record.get("occurred_at") or ""
    if scope.get("since") and occurred < scope["since"]:
        return False
    return not (scope.get("until") and occurred >= scope["until"])


def _check_export_record(
    records: list[dict[str, Any]], manifest: dict[str, Any], size: int
) -> None:
    """The bundle must hold exactly what its own signed export record says it exports."""
    if not records:
        raise BundleError("records.jsonl: empty, but a bundle ends with its export record")
    export = records[-1]
    body = export.get("body") or {}
    if (
        export.get("seq") != size - 1
        or export.get("kind") != "access"
        or (body.get("action") != "export")
    ):
        raise BundleError(
            "records.jsonl: the last record is not the export record the checkpoint ends with"
        )
    if body.get("records") != len(records):
        raise BundleError(
            f"records.jsonl: {len(records)} records, but the signed export record "
            f"(seq {export['seq']}) says {body.get('records')}: records were left out or added"
        )
    scope = body.get("scope")
    if not isinstance(scope, dict) or scope != manifest.get("scope"):
        raise BundleError("manifest.json: scope differs from the signed export record's scope")
    for record in records[:-1]:
        if not _in_scope(record, scope):
            raise BundleError(
                f"records.jsonl: seq {record.get('seq')} is outside the export's scope"
            )


def _check_tlog_proofs(
    directory: Path, manifest: dict[str, Any], seqs: list[int], note: str
) -> None:
    """Each record's c2sp.org/tlog-proof file must carry this checkpoint and its seq."""
    folder = manifest.get("tlog_proofs")
    if folder is None:
        return
    for seq in seqs:
        path = directory / folder / f"{seq}.tlog-proof"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise BundleError(f"{folder}/{seq}.tlog-proof: cannot read: {exc}") from None
        head, _, checkpoint = text.partition("\n\n")
        lines = head.split("\n")
        if lines[:2] != ["c2sp.org/tlog-proof@v1", f"index {seq}"] or checkpoint != note:
            raise BundleError(
                f"{folder}/{seq}.tlog-proof: not this record's proof at checkpoint.txt"
            )


def _check_extra_files(directory: Path, manifest: dict[str, Any], export: dict[str, Any]) -> None:
    """Files beyond the records (transcripts) must be the ones the signed export record names.

    Their digests are in the export record's ``files``, which the checkpoint signs, so a
    changed transcript is refused even when the manifest was rewritten to match it.
    """
    files = manifest["files"]
    extra = {name: digest for name, digest in files.items() if name not in FILES}
    signed = (export.get("body") or {}).get("files") or {}
    if extra != signed:
        raise BundleError(
            "manifest.json: the extra files differ from those the signed export record names"
        )
    root = directory.resolve()
    for name, digest in sorted(extra.items()):
        path = (directory / name).resolve()
        if root not in path.parents:
            raise BundleError(f"{name}: not a path inside the bundle")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BundleError(f"{name}: cannot read: {exc}") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise BundleError(f"{name}: SHA-256 differs from the manifest")


def _check_nothing_unlisted(directory: Path, manifest: dict[str, Any], seqs: list[int]) -> None:
    """No file may sit in the bundle that the manifest does not account for (a planted
    transcript in a bundle written without any, say)."""
    known = {"manifest.json", MANIFEST_SIG, "verify.py", *manifest["files"]}
    folder = manifest.get("tlog_proofs")
    if folder is not None:
        known.update(f"{folder}/{seq}.tlog-proof" for seq in seqs)
    for path in sorted(directory.rglob("*")):
        name = path.relative_to(directory).as_posix()
        if path.is_file() and name not in known:
            raise BundleError(f"{name}: not listed in the manifest")


def verify_bundle(
    directory: Path,
    trusted_key: str | None = None,
    witness_keys: list[str] | None = None,
    quorum: int | None = None,
) -> BundleSummary:
    """Verify every file of a bundle; raise BundleError naming the first problem.

    ``witness_keys`` and ``quorum``: at least ``quorum`` (default: all) of these witnesses
    must have validly cosigned the checkpoint.
    """
    manifest_path = directory / "manifest.json"
    try:
        manifest_bytes = manifest_path.read_bytes()
        manifest = json.loads(manifest_bytes)
    except (OSError, ValueError) as exc:
        raise BundleError(f"manifest.json: cannot read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"manifest.json: format is not {FORMAT}")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise BundleError("manifest.json: files is missing")
    try:
        vkey = (directory / "verifier.key").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"verifier.key: cannot read: {exc}") from None
    if trusted_key is not None and vkey != trusted_key.strip():
        raise BundleError("verifier.key: not the key you trust")
    verifier = parse_verifier_key(vkey)
    check_manifest_signature(directory, manifest_bytes, manifest.get("origin"), verifier)
    for name in FILES:
        try:
            data = (directory / name).read_bytes()
        except OSError as exc:
            raise BundleError(f"{name}: cannot read: {exc}") from None
        if hashlib.sha256(data).hexdigest() != files.get(name):
            raise BundleError(f"{name}: SHA-256 differs from the manifest")

    name, key_id, key = verifier
    note = (directory / "checkpoint.txt").read_text(encoding="utf-8")
    origin, size, root = open_checkpoint(note, name, key_id, key)
    cosigners = count_cosigners(note, list(witness_keys or []))
    need = len(witness_keys or []) if quorum is None else quorum
    if len(cosigners) < need:
        raise BundleError(
            f"checkpoint.txt: {len(cosigners)} valid witness cosignature(s), the quorum is {need}"
        )
    if origin != manifest.get("origin") or size != manifest.get("tree_size"):
        raise BundleError("manifest.json: origin or tree_size differ from the checkpoint")

    records = (directory / "records.jsonl").read_bytes().split(b"\n")
    proofs = (directory / "proofs.jsonl").read_bytes().split(b"\n")
    if records[-1] != b"" or proofs[-1] != b"":
        raise BundleError("records.jsonl/proofs.jsonl: last line must end with a newline")
    records, proofs = records[:-1], proofs[:-1]
    if len(records) != len(proofs) or len(records) != manifest.get("record_count"):
        raise BundleError("records.jsonl: record count differs from proofs.jsonl or the manifest")
    previous = -1
    decoded: list[dict[str, Any]] = []
    for number, (entry, proof_line) in enumerate(zip(records, proofs, strict=True), start=1):
        try:
            item = json.loads(proof_line)
            seq = item["seq"]
            path = [base64.b64decode(p, validate=True) for p in item["proof"]]
            decoded.append(json.loads(entry))
            record_seq = decoded[-1]["seq"]
        except (ValueError, KeyError, TypeError):
            raise BundleError(f"records.jsonl/proofs.jsonl line {number}: malformed") from None
        if record_seq != seq or seq <= previous:
            raise BundleError(f"line {number}: seq {seq} out of order or not the record's seq")
        previous = seq
        if root_from_inclusion(_leaf(entry), seq, size, path) != root:
            raise BundleError(f"records.jsonl line {number} (seq {seq}): not in the checkpoint")
    _check_export_record(decoded, manifest, size)
    _check_tlog_proofs(directory, manifest, [r["seq"] for r in decoded], note)
    _check_extra_files(directory, manifest, decoded[-1])
    _check_nothing_unlisted(directory, manifest, [r["seq"] for r in decoded])
    return BundleSummary(
        origin=origin,
        tree_size=size,
        root_hash=root,
        records=len(records),
        key_id=key_id.hex(),
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
        verifier_key=vkey,
        key_given=trusted_key is not None,
        cosigners=tuple(cosigners),
    )


OWN_KEY_WARNING = (
    "verified against the bundle's own key \N{EM DASH} compare it with the key you were given"
)


def main(argv: list[str]) -> int:
    """Command line: ``verify.py BUNDLE_DIR [--key VKEY] [--witness VKEY]... [--quorum N]``.

    Exits 0 only when the bundle verifies against a key given with ``--key``; without it
    the bundle is checked against its own ``verifier.key``, said so, and the exit is 1.
    """
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 2

    def values(flag: str) -> list[str]:
        return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == flag]

    keys = values("--key")
    key = keys[0] if keys else None
    quorum = int(values("--quorum")[0]) if values("--quorum") else None
    try:
        summary = verify_bundle(Path(argv[0]), key, values("--witness"), quorum)
    except (BundleError, ValueError) as exc:
        print(f"NOT VERIFIED: {exc}", file=sys.stderr)
        return 1
    print(
        f"verified: {summary.records} records in {summary.origin} "
        f"tree size {summary.tree_size}, key {summary.key_id}, "
        f"manifest sha256 {summary.manifest_sha256}"
    )
    if summary.cosigners:
        print(f"cosigned by witnesses: {', '.join(summary.cosigners)}")
    if not summary.key_given:
        print(f"NOT TRUSTED: {OWN_KEY_WARNING}: {summary.verifier_key}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
