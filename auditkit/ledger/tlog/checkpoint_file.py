"""The checkpoint file: every signed checkpoint also kept outside the database.

``AUDITKIT_HOME/checkpoints.log`` is appended to (and fsynced) after each batch commits:
one signed note per checkpoint, notes separated by an empty line. It remembers the
newest signed size where an attacker with write access to the database alone cannot
reach, so deleting the log's tail, with the checkpoints and nodes that cover it, is
caught by ``verify``. ``verify --checkpoint FILE`` checks the log against a file of the
same shape (or one note) that an auditor kept.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from auditkit.db import Connection
from auditkit.errors import CheckpointError, TamperDetected
from auditkit.home import private_dir
from auditkit.ledger.checkpoint import Checkpoint, Verifier, verify_checkpoint
from auditkit.ledger.installation import Installation
from auditkit.ledger.tlog.tile_source import roots_at

CHECKPOINT_FILE = "checkpoints.log"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeptCheckpoint:
    """One note read from a checkpoint file, with where it was."""

    where: str
    note: str


def checkpoint_file_path(installation: Installation) -> Path:
    """Where this installation keeps its copy of every signed checkpoint."""
    return installation.settings.home / CHECKPOINT_FILE


def append_checkpoint(installation: Installation, note: str) -> None:
    """Append one signed note to the checkpoint file and fsync it (the batch is committed).

    A failure is logged, not raised: the records are already stored, and the next
    checkpoint written covers this one (a later signed size implies the earlier ones).
    """
    path = checkpoint_file_path(installation)
    try:
        private_dir(path.parent)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, (note + "\n").encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as exc:
        log.warning("could not append the checkpoint to %s: %s", path, exc)


def read_checkpoint_notes(path: Path) -> list[KeptCheckpoint]:
    """The notes of a checkpoint file (or a file holding a single note), in file order."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: cannot read: {exc}") from None
    # A checkpoint has no empty line inside its body or its signatures, so the file is
    # body, signatures, body, signatures... split at empty lines.
    parts = [part for part in text.split("\n\n") if part.strip("\n")]
    if len(parts) % 2:
        raise CheckpointError(f"{path}: ends inside a checkpoint (a note without signatures)")
    notes = []
    for number in range(0, len(parts), 2):
        body, signatures = parts[number].strip("\n"), parts[number + 1].strip("\n")
        notes.append(
            KeptCheckpoint(where=f"{path} note {number // 2 + 1}", note=f"{body}\n\n{signatures}\n")
        )
    return notes


def check_kept_checkpoints(
    conn: Connection,
    kept: Sequence[KeptCheckpoint],
    verifiers: Sequence[Verifier],
    origin: str,
    tree_size: int,
) -> list[str]:
    """Compare checkpoints kept outside the database with the log; one line per problem.

    Each must be signed by a trusted key for our origin, must not be larger than the log,
    and the log's first ``size`` records must still have its root hash.
    """
    problems: list[str] = []
    largest: tuple[int, str] | None = None
    signed: list[tuple[KeptCheckpoint, Checkpoint]] = []
    for item in kept:
        try:
            checkpoint: Checkpoint = verify_checkpoint(item.note, verifiers)
        except CheckpointError as exc:
            problems.append(f"{item.where}: {exc}")
            continue
        if checkpoint.origin != origin:
            problems.append(f"{item.where}: origin {checkpoint.origin!r} is not this log's")
            continue
        if largest is None or checkpoint.size > largest[0]:
            largest = (checkpoint.size, item.where)
        if checkpoint.size <= tree_size:
            signed.append((item, checkpoint))
    roots = roots_at(conn, [checkpoint.size for _item, checkpoint in signed])
    for item, checkpoint in signed:
        root = roots[checkpoint.size]
        if isinstance(root, TamperDetected):
            problems.append(f"{item.where}: {root.reason}")
        elif root != checkpoint.root_hash:
            problems.append(
                f"{item.where}: the log's first {checkpoint.size} records no longer have the "
                "root hash this signed checkpoint gives: records were altered or replaced"
            )
    if largest is not None and largest[0] > tree_size:
        problems.append(
            f"{largest[1]}: a signed checkpoint covers {largest[0]} records but the log holds "
            f"only {tree_size}: its newest {largest[0] - tree_size} records were removed "
            "(tail rollback)"
        )
    return problems
