"""``verify``'s checks against copies kept outside the database: checkpoint files, tiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditkit.db import Connection
from auditkit.errors import CheckpointError
from auditkit.ledger import store as ledger_store
from auditkit.ledger.checkpoint import Verifier
from auditkit.ledger.installation import Installation
from auditkit.ledger.tlog.checkpoint_file import (
    check_kept_checkpoints,
    checkpoint_file_path,
    read_checkpoint_notes,
)
from auditkit.ledger.tlog.static_dir import check_tiles, tile_directories
from auditkit.ledger.tlog.witnesses import witnessed_checkpoints


@dataclass
class OutsideCheck:
    """What the log was compared with outside the database, and the problems found."""

    compared: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_outside(
    installation: Installation,
    conn: Connection,
    verifiers: Sequence[Verifier],
    *,
    checkpoint_files: Sequence[Path] = (),
    tile_dirs: Sequence[Path] | None = None,
    ask_witnesses: bool = False,
) -> OutsideCheck:
    """Compare the log with the checkpoint file, ``checkpoint_files`` (an auditor's), the
    tiles directories (those ``tiles write`` filled when None) and, with ``ask_witnesses``,
    the newest checkpoint each witness cosigned."""
    result = OutsideCheck()
    size = ledger_store.tree_size(conn)
    origin = installation.origin
    own = checkpoint_file_path(installation)
    for path in ([own] if own.is_file() else []) + list(checkpoint_files):
        try:
            kept = read_checkpoint_notes(path)
        except CheckpointError as exc:
            result.problems.append(str(exc))
            continue
        result.problems += check_kept_checkpoints(conn, kept, verifiers, origin, size)
        result.compared.append(f"{path} ({len(kept)} checkpoints)")
    if ask_witnesses:
        witnessed, unreachable = witnessed_checkpoints(installation)
        result.problems += unreachable
        result.problems += check_kept_checkpoints(conn, witnessed, verifiers, origin, size)
        result.compared += [item.where for item in witnessed]
    for directory in tile_directories(installation) if tile_dirs is None else tile_dirs:
        result.problems += check_tiles(conn, directory, verifiers, origin)
        result.compared.append(f"{directory} (tiles)")
    return result
