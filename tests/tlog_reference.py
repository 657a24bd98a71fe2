"""An independent reader of auditkit's standard outputs, written from the C2SP specs only.

Nothing here imports auditkit: tlog-tiles paths and bundles, signed-note checkpoints,
RFC 6962 tree hashes and audit paths, tlog-proof files and v1 cosignatures are done
again from c2sp.org/tlog-tiles, signed-note, tlog-checkpoint, tlog-proof and
tlog-cosignature, so a test using them checks auditkit against the specs, not against
itself.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PublicKey


def leaf(data: bytes) -> bytes:
    """RFC 6962 leaf hash."""
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(hashes: list[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash over already-hashed leaves."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node(mth(hashes[:k]), mth(hashes[k:]))


def audit_path(index: int, hashes: list[bytes]) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]), leaf's sibling first."""
    if len(hashes) <= 1:
        return []
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    if index < k:
        return [*audit_path(index, hashes[:k]), mth(hashes[k:])]
    return [*audit_path(index - k, hashes[k:]), mth(hashes[:k])]


def root_from_path(leaf_hash: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2 inclusion verification: the implied root."""
    assert 0 <= index < size
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        assert sn != 0, "path too long"
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    assert sn == 0, "path too short"
    return r


def tile_path(level: str | int, index: int, width: int) -> str:
    """tlog-tiles path: 3-digit groups, all but the last prefixed with x; .p/W if partial."""
    digits = f"{index:03d}"
    while len(digits) % 3:
        digits = "0" + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    encoded = "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])
    return f"tile/{level}/{encoded}" + (f".p/{width}" if width < 256 else "")


def open_checkpoint(note: bytes, vkey: str) -> tuple[str, int, bytes, str]:
    """Verify a signed checkpoint with a vkey ``name+hexid+base64(0x01||key)``.

    Returns origin, size, root and the note text (body), ignoring unknown signatures.
    """
    name, key_id, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == 1 and len(raw) == 33
    assert hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4].hex() == key_id
    text, signatures = note.decode().split("\n\n", 1)
    body = text + "\n"
    signed = False
    for line in signatures.rstrip("\n").split("\n"):
        assert line.startswith("\u2014 ")
        signer, blob64 = line[2:].split(" ")
        blob = base64.b64decode(blob64)
        if signer == name and blob[:4].hex() == key_id:
            Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[4:], body.encode())
            signed = True
    assert signed, "checkpoint not signed by the log key"
    origin, size, root = body.split("\n")[:3]
    return origin, int(size), base64.b64decode(root), body


def read_bundle(data: bytes) -> list[bytes]:
    """Entries of a tlog-tiles entry bundle (uint16 big-endian length prefixes)."""
    entries, at = [], 0
    while at < len(data):
        length = int.from_bytes(data[at : at + 2], "big")
        entries.append(data[at + 2 : at + 2 + length])
        at += 2 + length
        assert at <= len(data), "truncated bundle"
    return entries


def read_tiles(directory: Path, vkey: str) -> tuple[int, bytes, list[bytes]]:
    """Check a tiles directory from the spec: returns size, root and every entry.

    The tree hash is rebuilt from the level-0 tiles, each higher tile's hashes are
    checked to be the MTH of the full tile below, and every entry hashes to its leaf.
    """
    _, size, root, _ = open_checkpoint((directory / "checkpoint").read_bytes(), vkey)
    levels: list[list[bytes]] = []
    level = 0
    while size >> (8 * level):
        count = size >> (8 * level)
        hashes: list[bytes] = []
        for index in range((count + 255) // 256):
            width = min(256, count - index * 256)
            data = (directory / tile_path(level, index, width)).read_bytes()
            assert len(data) == 32 * width
            hashes += [data[i : i + 32] for i in range(0, len(data), 32)]
        levels.append(hashes)
        level += 1
    for upper in range(1, len(levels)):
        for i, value in enumerate(levels[upper]):
            assert value == mth(levels[upper - 1][i * 256 : (i + 1) * 256]), (upper, i)
    assert mth(levels[0]) == root, "tree hash rebuilt from the tiles differs"
    entries: list[bytes] = []
    for index in range((size + 255) // 256):
        width = min(256, size - index * 256)
        bundle = read_bundle((directory / tile_path("entries", index, width)).read_bytes())
        assert len(bundle) == width
        entries += bundle
    for index, entry in enumerate(entries):
        assert leaf(entry) == levels[0][index]
        path = audit_path(index, levels[0])
        assert root_from_path(leaf(entry), index, size, path) == root
    return size, root, entries


def check_tlog_proof(text: str, entry: bytes, vkey: str) -> tuple[int, str]:
    """Verify a c2sp.org/tlog-proof for ``entry``: returns the index and checkpoint note."""
    head, note = text.split("\n\n", 1)
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    lines = lines[1:]
    if lines[0].startswith("extra "):
        lines = lines[1:]
    assert lines[0].startswith("index ")
    index = int(lines[0][len("index ") :])
    assert str(index) == lines[0][len("index ") :]
    path = [base64.b64decode(line, validate=True) for line in lines[1:]]
    _, size, root, _ = open_checkpoint(note.encode(), vkey)
    assert root_from_path(leaf(entry), index, size, path) == root
    return index, note


def cosigners(note: str, witness_vkeys: list[str]) -> list[str]:
    """Names of the witnesses (vkeys of type 0x04 or 0x06) whose cosignature verifies."""
    body, signatures = note.split("\n\n", 1)
    body += "\n"
    origin, size, root = body.split("\n")[:3]
    found = []
    for vkey in witness_vkeys:
        name, key_id, encoded = vkey.split("+", 2)
        raw = base64.b64decode(encoded)
        assert raw[0] in (4, 6)
        for line in signatures.rstrip("\n").split("\n"):
            signer, blob64 = line[2:].split(" ")
            blob = base64.b64decode(blob64)
            if signer != name or blob[:4].hex() != key_id:
                continue
            timestamp = int.from_bytes(blob[4:12], "big")
            if raw[0] == 4:
                message = f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()
                Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[12:], message)
            else:
                message = (
                    b"subtree/v1\n\x00"
                    + bytes([len(name)])
                    + name.encode()
                    + timestamp.to_bytes(8, "big")
                    + bytes([len(origin)])
                    + origin.encode()
                    + (0).to_bytes(8, "big")
                    + int(size).to_bytes(8, "big")
                    + base64.b64decode(root)
                )
                MLDSA44PublicKey.from_public_bytes(raw[1:]).verify(blob[12:], message)
            found.append(name)
    return found
