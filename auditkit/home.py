"""The installation's files are the owner's alone: the home 0700, every file in it 0600.

The query tables hold clear message text and the keys folder the encrypted keys, so nothing
under ``AUDITKIT_HOME`` is created readable by the group or others, whatever the umask;
``auditkit init`` and ``auditkit verify`` warn about anything that is (an older
installation, a copy made with ``cp -r``, a file created by another tool).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from auditkit.db.engine import sqlite_database_path
from auditkit.settings import Settings

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
MAX_LISTED = 20


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) private to the owner; returns it."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    for created in missing:
        if created.exists():
            os.chmod(created, PRIVATE_DIR)  # mkdir's mode is cut by the umask
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write (or replace the contents of) a file only its owner can read."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), PRIVATE_FILE)
        handle.write(data)


def append_private(path: Path, line: str) -> None:
    """Append a line to a file only its owner can read, fsynced."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(line.rstrip("\n") + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _database_files(settings: Settings) -> list[Path]:
    database = sqlite_database_path(settings.database_url)
    if database is None:
        return []
    return [database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))]


def permission_problems(settings: Settings) -> list[str]:
    """What under the home (and the SQLite files) others than the owner may read or enter."""
    problems: list[str] = []
    home = settings.home
    paths: list[Path] = []
    if home.is_dir():
        paths.append(home)
        for root, dirs, files in os.walk(home):
            paths.extend(Path(root) / name for name in (*dirs, *files))
    paths.extend(p for p in _database_files(settings) if p not in paths)
    for path in paths:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            continue
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            wanted = PRIVATE_DIR if stat.S_ISDIR(info.st_mode) else PRIVATE_FILE
            problems.append(f"{path} is {mode:04o}, not {wanted:04o}")
    if len(problems) > MAX_LISTED:
        problems = [*problems[:MAX_LISTED], f"… and {len(problems) - MAX_LISTED} more"]
    return problems


def permission_warnings(settings: Settings) -> list[str]:
    """Warnings ``init`` and ``verify`` print: each problem, then how to fix them all."""
    problems = permission_problems(settings)
    if not problems:
        return []
    return [
        *(f"warning: {problem} (readable by others than its owner)" for problem in problems),
        f"warning: fix with: chmod -R go-rwx {settings.home}",
    ]
