"""``auditkit tiles write DIR``: the log as a static tlog-tiles directory, and its check.

Writing is incremental and safe to run from cron: every tile path names immutable
bytes (a partial tile's width is in its path), so a file that exists is skipped; new
files appear by atomic rename; ``checkpoint`` is replaced last, so a reader never sees
a checkpoint whose tiles are not there yet; an exclusive lock keeps two runs apart.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.errors import AuditkitError, CheckpointError, NotFound, TamperDetected
from auditkit.ledger.checkpoint import Verifier, verify_checkpoint
from auditkit.ledger.installation import Installation
from auditkit.ledger.tlog.tile_source import latest_size_and_note, read_tile, root_at
from auditkit.ledger.tlog.tiles import (
    TilePathError,
    TileRef,
    bundles_for_size,
    parse_tile_path,
    tiles_for_size,
)

LOCK_FILE = ".auditkit-tiles.lock"
DIRS_FILE = "tiles.dirs"
"""Under AUDITKIT_HOME: every directory ``tiles write`` filled, one per line, for ``verify``."""


class TilesRefused(AuditkitError):
    """The directory cannot be written as asked."""


@dataclass
class TilesWritten:
    """What one ``tiles write`` run did."""

    directory: Path
    tree_size: int
    written: int = 0
    kept: int = 0
    skipped_bundles: list[str] = field(default_factory=list)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with (directory / LOCK_FILE).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TilesRefused(f"another `auditkit tiles write` is writing {directory}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remember(installation: Installation, directory: Path) -> None:
    path = installation.settings.home / DIRS_FILE
    known = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    if str(directory) not in known:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(f"{directory}\n")


def tile_directories(installation: Installation) -> list[Path]:
    """The directories ``tiles write`` has filled for this installation (that still exist)."""
    path = installation.settings.home / DIRS_FILE
    if not path.is_file():
        return []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Path(line) for line in dict.fromkeys(lines) if Path(line).is_dir()]


def write_tiles(
    installation: Installation, directory: Path, *, checkpoint_note: str | None = None
) -> TilesWritten:
    """Bring ``directory`` up to the newest signed checkpoint; returns what was written.

    ``checkpoint_note`` (the newest checkpoint with witness cosignatures) replaces the
    stored note in the ``checkpoint`` file when given.
    """
    installation.require_schema()
    if directory.exists() and not directory.is_dir():
        raise TilesRefused(f"{directory} exists and is not a directory")
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory), read_transaction(installation.engine) as conn:
        size, note = latest_size_and_note(conn)
        result = TilesWritten(directory=directory, tree_size=size)
        for ref in [*tiles_for_size(size), *bundles_for_size(size)]:
            target = directory / ref.path()
            if target.is_file():
                result.kept += 1
                continue
            try:
                data = read_tile(conn, ref, size)
            except TilePathError as exc:  # an entry over 65,535 bytes: no bundle can hold it
                result.skipped_bundles.append(f"{ref.path()}: {exc}")
                continue
            _atomic_write(target, data)
            result.written += 1
        _atomic_write(directory / "checkpoint", (checkpoint_note or note).encode("utf-8"))
    _remember(installation, directory)
    return result


def _tile_files(directory: Path) -> Iterator[Path]:
    root = directory / "tile"
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                yield path


def check_tiles(
    conn: Connection, directory: Path, verifiers: Sequence[Verifier], origin: str
) -> list[str]:
    """Compare a tiles directory with the log; returns one line per problem found."""
    problems: list[str] = []
    try:
        size, _ = latest_size_and_note(conn)
    except NotFound:
        size = 0
    checkpoint_path = directory / "checkpoint"
    if checkpoint_path.is_file():
        try:
            checkpoint = verify_checkpoint(checkpoint_path.read_bytes(), verifiers)
        except CheckpointError as exc:
            problems.append(f"{checkpoint_path}: {exc}")
        else:
            if checkpoint.origin != origin:
                problems.append(f"{checkpoint_path}: origin {checkpoint.origin!r} is not ours")
            if checkpoint.size > size:
                problems.append(
                    f"{checkpoint_path}: signs {checkpoint.size} records but the log's newest "
                    f"checkpoint has {size}: the log lost its newest records"
                )
            else:
                try:
                    same = root_at(conn, checkpoint.size) == checkpoint.root_hash
                except TamperDetected as exc:
                    problems.append(f"{checkpoint_path}: {exc.reason}")
                else:
                    if not same:
                        problems.append(
                            f"{checkpoint_path}: the log's first {checkpoint.size} records "
                            "have another root hash"
                        )
    for path in _tile_files(directory):
        where = path.relative_to(directory).as_posix()
        try:
            ref: TileRef = parse_tile_path(where)
        except TilePathError as exc:
            problems.append(f"{path}: {exc}")
            continue
        try:
            want = read_tile(conn, ref, size)
        except NotFound:
            problems.append(f"{path}: the log's newest checkpoint (size {size}) has no such tile")
            continue
        except (TamperDetected, TilePathError) as exc:
            problems.append(f"{path}: cannot be rebuilt from the log: {exc}")
            continue
        if path.read_bytes() != want:
            problems.append(f"{path}: differs from the log")
    return problems
