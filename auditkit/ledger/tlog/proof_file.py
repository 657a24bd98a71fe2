"""C2SP tlog-proof files (c2sp.org/tlog-proof): an offline proof that one record is logged.

    c2sp.org/tlog-proof@v1
    index <seq>
    <base64 inclusion-proof hash, leaf's sibling first, one per line>

    <the signed checkpoint note, verbatim, with any witness cosignatures>

The record itself is carried beside the proof (its exact leaf bytes): the verifier
hashes it as an RFC 6962 leaf and checks the path to the checkpoint's root.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from auditkit.errors import CheckpointError

HEADER = "c2sp.org/tlog-proof@v1"
EXTENSION = ".tlog-proof"
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class TlogProof:
    """A parsed tlog-proof: index, inclusion path, the checkpoint note and optional extra."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None


def format_tlog_proof(
    index: int, proof: Sequence[bytes], checkpoint: str, *, extra: bytes | None = None
) -> str:
    """The tlog-proof text of ``index`` with its inclusion ``proof`` against ``checkpoint``."""
    lines = [HEADER]
    if extra is not None:
        lines.append("extra " + base64.b64encode(extra).decode("ascii"))
    lines.append(f"index {index}")
    lines += [base64.b64encode(h).decode("ascii") for h in proof]
    return "\n".join(lines) + "\n\n" + checkpoint


def parse_tlog_proof(text: str) -> TlogProof:
    """Parse a tlog-proof strictly; raise ``CheckpointError`` naming the line at fault."""
    head, separator, checkpoint = text.partition("\n\n")
    if not separator or not checkpoint:
        raise CheckpointError("tlog-proof: no empty line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise CheckpointError(f"tlog-proof line 1: want {HEADER!r}")
    position = 1
    extra = None
    if len(lines) > position and lines[position].startswith("extra "):
        extra = _b64(lines[position][len("extra ") :], position + 1)
        position += 1
    if len(lines) <= position or not lines[position].startswith("index "):
        raise CheckpointError(f"tlog-proof line {position + 1}: want 'index <N>'")
    index_text = lines[position][len("index ") :]
    if not _DECIMAL.fullmatch(index_text):
        raise CheckpointError(f"tlog-proof line {position + 1}: index is not a canonical decimal")
    hashes = []
    for number, line in enumerate(lines[position + 1 :], start=position + 2):
        value = _b64(line, number)
        if len(value) != 32:
            raise CheckpointError(f"tlog-proof line {number}: a proof hash is 32 bytes")
        hashes.append(value)
    return TlogProof(int(index_text), tuple(hashes), checkpoint, extra)


def _b64(text: str, number: int) -> bytes:
    try:
        value = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise CheckpointError(f"tlog-proof line {number}: not base64") from None
    if base64.b64encode(value).decode("ascii") != text:
        raise CheckpointError(f"tlog-proof line {number}: not canonical base64")
    return value
