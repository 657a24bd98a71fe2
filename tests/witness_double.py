"""A minimal witness written from c2sp.org/tlog-witness and tlog-cosignature (a test double).

No witness implementation installs offline from the package registries, so this one
follows the spec's add-checkpoint rules itself (404 unknown origin, 403 unsigned or
badly signed, 400 old size above the checkpoint's, 409 with ``text/x.tlog.size`` when
the old size is not the one it cosigned, 422 for a bad consistency proof or empty
tree) and answers Ed25519 v1 cosignatures. It imports nothing from auditkit.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PrivateKey

from tests.tlog_reference import node

EMPTY = hashlib.sha256(b"").digest()


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if size1 == size2:
        return not proof and root1 == root2
    if size1 == 0 or size1 > size2 or not proof:
        return False
    if size1 & (size1 - 1) == 0:
        proof = [root1, *proof]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root1 and sr == root2 and sn == 0


@dataclass
class Witness:
    """One witness: its name and key, the log it follows, what it cosigned.

    ``mldsa`` makes it cosign with ML-DSA-44 (type 0x06), as the spec recommends, instead
    of Ed25519 (type 0x04).
    """

    name: str
    log_vkey: str
    mldsa: bool = False
    key: Ed25519PrivateKey | MLDSA44PrivateKey = field(init=False)
    state: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)
    requests: list[tuple[int, int]] = field(default_factory=list)  # (status, old size)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.key = MLDSA44PrivateKey.generate() if self.mldsa else Ed25519PrivateKey.generate()

    @property
    def kind(self) -> bytes:
        return b"\x06" if self.mldsa else b"\x04"

    @property
    def public(self) -> bytes:
        return self.key.public_key().public_bytes_raw()

    @property
    def key_id(self) -> bytes:
        return hashlib.sha256(self.name.encode() + b"\n" + self.kind + self.public).digest()[:4]

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(self.kind + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def _message(
        self, timestamp: int, body_text: str, origin: str, size: int, root: bytes
    ) -> bytes:
        """cosignature/v1 (Ed25519) or the subtree/v1 cosigned_message (ML-DSA-44)."""
        if not self.mldsa:
            return f"cosignature/v1\ntime {timestamp}\n{body_text}\n".encode()
        name = self.name.encode()
        return (
            b"subtree/v1\n\x00"
            + bytes([len(name)])
            + name
            + timestamp.to_bytes(8, "big")
            + bytes([len(origin.encode())])
            + origin.encode()
            + (0).to_bytes(8, "big")
            + size.to_bytes(8, "big")
            + root
        )

    def _log_signed(self, body: str, signatures: str) -> bool | None:
        """True if the log key signed, False if its line fails, None if absent."""
        name, key_id, encoded = self.log_vkey.split("+", 2)
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded)[1:])
        found = None
        for line in signatures.rstrip("\n").split("\n"):
            signer, _, blob64 = line[2:].partition(" ")
            blob = base64.b64decode(blob64)
            if signer != name or blob[:4].hex() != key_id:
                continue
            try:
                key.verify(blob[4:], body.encode())
            except Exception:
                return False
            found = True
        return found

    def add_checkpoint(self, request: bytes) -> tuple[int, str, bytes]:
        """The add-checkpoint rules, in the spec's order."""
        try:
            head, note = request.decode().split("\n\n", 1)
            lines = head.split("\n")
            assert lines[0].startswith("old ")
            old = int(lines[0][4:])
            proof = [base64.b64decode(x, validate=True) for x in lines[1:]]
            body_text, signatures = note.split("\n\n", 1)
            origin, size_text, root64 = body_text.split("\n")[:3]
            size, root = int(size_text), base64.b64decode(root64)
        except Exception:
            return 400, "text/plain", b"malformed\n"
        if origin != self.log_vkey.split("+", 1)[0]:
            return 404, "text/plain", b"unknown origin\n"
        if not self._log_signed(body_text + "\n", signatures):
            return 403, "text/plain", b"not signed by the log\n"
        if old > size:
            return 400, "text/plain", b"old size above the checkpoint's\n"
        with self.lock:
            known_size, known_root, _ = self.state.get(origin, (0, EMPTY, ""))
            self.requests.append((0, old))
            if old != known_size:
                return 409, "text/x.tlog.size", f"{known_size}\n".encode()
            if size == 0 and root != EMPTY:
                return 422, "text/plain", b"empty tree\n"
            if old == 0 and proof:
                return 422, "text/plain", b"proof from the empty tree\n"
            if old and not verify_consistency(old, size, known_root, root, proof):
                return 422, "text/plain", b"consistency proof does not verify\n"
            timestamp = int(time.time())
            message = self._message(timestamp, body_text, origin, size, root)
            blob = self.key_id + timestamp.to_bytes(8, "big") + self.key.sign(message)
            line = f"\u2014 {self.name} {base64.b64encode(blob).decode()}\n"
            self.state[origin] = (size, root, note + line)
        return 200, "text/plain", line.encode()

    def checkpoint(self, origin_hash: str) -> tuple[int, str, bytes]:
        """GET <origin hash>/checkpoint."""
        for origin, (_, _, note) in self.state.items():
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash:
                return 200, "text/plain; charset=utf-8", note.encode()
        return 404, "text/plain", b"never cosigned\n"


@contextmanager
def serving(witness: Witness) -> Iterator[str]:
    """Run ``witness`` on a free local port; yields its URL prefix."""

    class Handler(BaseHTTPRequestHandler):
        def _send(self, answer: tuple[int, str, bytes]) -> None:
            status, content_type, body = answer
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            if self.path != "/add-checkpoint":
                self._send((404, "text/plain", b""))
                return
            length = int(self.headers.get("Content-Length", "0"))
            self._send(witness.add_checkpoint(self.rfile.read(length)))

        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            if len(parts) == 2 and parts[1] == "checkpoint":
                self._send(witness.checkpoint(parts[0]))
            else:
                self._send((404, "text/plain", b""))

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
