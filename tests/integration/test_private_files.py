"""The installation's folder is 0700 and every file in it 0600 (database, WAL, keys, reports),
whatever the umask; init and verify warn about anything others can read; a weak passphrase is
refused by the first init before anything is written."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditkit.cli import cli
from tests.conftest import PASSPHRASE
from tests.factories import DATA


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask of a login shell (files 0644, folders 0755 unless made private)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _env(tmp_path: Path, passphrase: str = PASSPHRASE) -> dict[str, str]:
    return {
        "AUDITKIT_HOME": str(tmp_path / "home"),
        "AUDITKIT_KEY_PASSPHRASE": passphrase,
        "AUDITKIT_ACTOR": "tester",
        "AUDITKIT_SEALING": "on",
    }


def _run(env: dict[str, str], *args: str, ok: bool = True):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, list(args), env=env)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def _modes(home: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(home.stat().st_mode)}
    for root, dirs, files in os.walk(home):
        for name in (*dirs, *files):
            path = Path(root) / name
            found[str(path.relative_to(home))] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_a_new_installation_and_everything_it_writes_is_private_to_the_owner(
    tmp_path: Path, loose_umask: None
) -> None:
    env = _env(tmp_path)
    init = _run(env, "init")
    assert "warning" not in init.output
    _run(env, "import", str(DATA / "demo" / "conversations.jsonl"))
    _run(env, "report", "audit", "--out", str(tmp_path / "home" / "reports" / "march"))
    modes = _modes(tmp_path / "home")
    for name in ("auditkit.db", "auditkit.db-wal", "settings.toml", "keys/trusted.keys"):
        assert name in modes, name
    assert any(name.startswith("keys/") and name.endswith(".key") for name in modes)
    assert any(name.endswith("audit-report.pdf") for name in modes)
    loose = {
        name: f"{mode:04o}"
        for name, mode in modes.items()
        if mode != (0o700 if (tmp_path / "home" / name).is_dir() else 0o600)
    }
    assert not loose, loose
    assert "warning" not in _run(env, "verify").output


def test_init_and_verify_warn_about_files_others_can_read(
    tmp_path: Path, loose_umask: None
) -> None:
    env = _env(tmp_path)
    _run(env, "init")
    home = tmp_path / "home"
    os.chmod(home / "auditkit.db", 0o644)
    os.chmod(home, 0o755)
    for command in ("init", "verify"):
        result = _run(env, command)
        assert f"warning: {home / 'auditkit.db'} is 0644, not 0600" in result.output, command
        assert f"warning: {home} is 0755, not 0700" in result.output, command
        assert f"chmod -R go-rwx {home}" in result.output


@pytest.mark.parametrize("passphrase", ["x", "wheel-check", "aaaaaaaaaaaaaaaa"])
def test_a_first_init_refuses_a_weak_passphrase_and_writes_nothing(
    tmp_path: Path, passphrase: str
) -> None:
    result = _run(_env(tmp_path, passphrase), "init", ok=False)
    assert result.exit_code == 1
    assert "passphrase" in result.output and "too weak" in result.output
    assert not (tmp_path / "home").exists()
