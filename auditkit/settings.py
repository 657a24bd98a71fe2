"""Installation settings, read once from ``AUDITKIT_*`` variables and ``settings.toml``."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from auditkit.errors import ConfigError

SETTINGS_FILE = "settings.toml"


def default_home(env: Mapping[str, str]) -> Path:
    """Where an installation lives when ``AUDITKIT_HOME`` is not set (XDG data dir)."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "auditkit"


@dataclass(frozen=True)
class Settings:
    """Everything an auditkit process needs to know about its installation."""

    home: Path
    database_url: str
    origin: str | None
    key_passphrase: bytes | None
    actor: str

    @property
    def keys_dir(self) -> Path:
        """Folder holding the encrypted signing keys."""
        return self.home / "keys"

    @property
    def settings_path(self) -> Path:
        """The optional settings file of this installation."""
        return self.home / SETTINGS_FILE

    def require_passphrase(self) -> bytes:
        """The signing-key passphrase, or a clear error saying how to provide it."""
        if not self.key_passphrase:
            raise ConfigError(
                [
                    "no signing-key passphrase: set AUDITKIT_KEY_PASSPHRASE, or "
                    "AUDITKIT_KEY_PASSPHRASE_FILE to a file holding it"
                ]
            )
        return self.key_passphrase


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment and the home's settings file, reporting every problem."""
    env = os.environ if env is None else env
    problems: list[str] = []
    home = (
        Path(env["AUDITKIT_HOME"]).expanduser() if env.get("AUDITKIT_HOME") else default_home(env)
    )
    file_values: dict[str, object] = {}
    path = home / SETTINGS_FILE
    if path.is_file():
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: not valid TOML ({exc})")
    for key in file_values:
        if key not in {"origin", "database_url"}:
            problems.append(f"{path}: unknown setting {key!r} (known: origin, database_url)")

    database_url = env.get("AUDITKIT_DATABASE_URL") or file_values.get("database_url")
    if database_url is None:
        database_url = f"sqlite:///{home / 'auditkit.db'}"
    if not isinstance(database_url, str) or "://" not in database_url:
        problems.append(f"database_url: {database_url!r} is not a database URL")

    origin = env.get("AUDITKIT_LOG_ORIGIN") or file_values.get("origin")
    if origin is not None and (not isinstance(origin, str) or not _valid_origin(origin)):
        problems.append(f"origin: {origin!r} must be non-empty, without spaces or '+'")

    passphrase: bytes | None = None
    if env.get("AUDITKIT_KEY_PASSPHRASE"):
        passphrase = env["AUDITKIT_KEY_PASSPHRASE"].encode("utf-8")
    elif env.get("AUDITKIT_KEY_PASSPHRASE_FILE"):
        pass_path = Path(env["AUDITKIT_KEY_PASSPHRASE_FILE"]).expanduser()
        try:
            passphrase = pass_path.read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            problems.append(f"AUDITKIT_KEY_PASSPHRASE_FILE: cannot read {pass_path}: {exc}")
        if passphrase == b"":
            problems.append(f"AUDITKIT_KEY_PASSPHRASE_FILE: {pass_path} is empty")

    actor = env.get("AUDITKIT_ACTOR") or env.get("USER") or "unknown"
    if problems:
        raise ConfigError(problems)
    return Settings(
        home=home,
        database_url=str(database_url),
        origin=origin if isinstance(origin, str) else None,
        key_passphrase=passphrase,
        actor=actor,
    )


def _valid_origin(origin: str) -> bool:
    return bool(origin) and not any(c.isspace() or c == "+" for c in origin)


def write_settings_file(settings: Settings, *, origin: str) -> None:
    """Record the log origin in the home's settings file, keeping a database_url already there."""
    settings.home.mkdir(parents=True, exist_ok=True)
    lines = [f'origin = "{origin}"']
    path = settings.settings_path
    if path.is_file():
        current = tomllib.loads(path.read_text(encoding="utf-8"))
        if "database_url" in current:
            lines.append(f'database_url = "{current["database_url"]}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
