"""Installation settings, read once from ``AUDITKIT_*`` variables and ``settings.toml``."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from auditkit.errors import ConfigError

SETTINGS_FILE = "settings.toml"

DEFAULT_WEBHOOK_MAX_BYTES = 1024 * 1024
"""Largest webhook request body accepted when ``AUDITKIT_WEBHOOK_MAX_BYTES`` is not set."""

MIN_WEBHOOK_SECRET_LENGTH = 16
_WEBHOOK_SOURCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class RetentionRule:
    """Keep personal content ``days`` after a conversation closes, for a channel or intent."""

    days: int
    channel: str | None = None
    intent: str | None = None

    def matches(self, channel: str, intents: tuple[str, ...]) -> bool:
        """Whether the rule applies to a conversation (a rule naming neither applies to all)."""
        if self.channel is not None and self.channel != channel:
            return False
        return self.intent is None or self.intent in intents


def _retention_rules(raw: object, path: Path, problems: list[str]) -> tuple[RetentionRule, ...]:
    if not isinstance(raw, list):
        problems.append(f"{path}: retention must be a list of [[retention]] tables")
        return ()
    rules: list[RetentionRule] = []
    for number, item in enumerate(raw, start=1):
        where = f"{path}: retention[{number}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table")
            continue
        unknown = set(item) - {"days", "channel", "intent"}
        if unknown:
            problems.append(f"{where}: unknown field(s) {sorted(unknown)}")
        days = item.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            problems.append(f"{where}.days: must be a whole number of days >= 0")
            continue
        channel, intent = item.get("channel"), item.get("intent")
        if channel is not None and not isinstance(channel, str):
            problems.append(f"{where}.channel: must be a string")
            continue
        if intent is not None and not isinstance(intent, str):
            problems.append(f"{where}.intent: must be a string")
            continue
        rules.append(RetentionRule(days=days, channel=channel, intent=intent))
    return tuple(rules)


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
    sealing: bool = True
    master_key_text: str | None = field(default=None, repr=False)
    master_key_file: Path | None = None
    event_key_text: str | None = field(default=None, repr=False)
    event_key_file: Path | None = None
    retention: tuple[RetentionRule, ...] = ()
    policy_dir: Path | None = None
    pii_model: str = "en_core_web_sm"
    autoqa_min_alpha: float = 0.67  # below it, a criterion's AutoQA level is "not trusted yet"
    webhook_secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    webhook_max_bytes: int = DEFAULT_WEBHOOK_MAX_BYTES
    webhook_accounts: Mapping[str, str] = field(default_factory=dict)
    """The Chatwoot account id of each webhook source, for payloads that carry none."""

    @property
    def keys_dir(self) -> Path:
        """Folder holding the encrypted signing keys."""
        return self.home / "keys"

    @property
    def master_key_path(self) -> Path:
        """Where the master key is read from (and written by ``init`` when none is given)."""
        return self.master_key_file or self.keys_dir / "master.key"

    @property
    def event_key_path(self) -> Path:
        """Where the event-digest key is read from (and written by ``init`` when none is given)."""
        return self.event_key_file or self.keys_dir / "event.key"

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
        if key not in {"origin", "database_url", "retention"}:
            problems.append(
                f"{path}: unknown setting {key!r} (known: origin, database_url, retention)"
            )
    policy_dir = (
        Path(env["AUDITKIT_POLICY_DIR"]).expanduser() if env.get("AUDITKIT_POLICY_DIR") else None
    )
    if policy_dir is not None and not policy_dir.is_dir():
        problems.append(f"AUDITKIT_POLICY_DIR: {policy_dir} is not a folder")
    retention = _retention_rules(file_values.get("retention", []), path, problems)
    sealing_text = env.get("AUDITKIT_SEALING", "on").lower()
    if sealing_text not in {"on", "off"}:
        problems.append(f"AUDITKIT_SEALING: {sealing_text!r} must be on or off")
    master_key_text = env.get("AUDITKIT_MASTER_KEY") or None
    master_key_file = (
        Path(env["AUDITKIT_MASTER_KEY_FILE"]).expanduser()
        if env.get("AUDITKIT_MASTER_KEY_FILE")
        else None
    )
    event_key_text = env.get("AUDITKIT_EVENT_KEY") or None
    event_key_file = (
        Path(env["AUDITKIT_EVENT_KEY_FILE"]).expanduser()
        if env.get("AUDITKIT_EVENT_KEY_FILE")
        else None
    )

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
    webhook_secrets = _webhook_secrets(env.get("AUDITKIT_WEBHOOK_SECRETS", ""), problems)
    webhook_accounts = _webhook_accounts(env.get("AUDITKIT_WEBHOOK_ACCOUNTS", ""), problems)
    webhook_max_bytes = DEFAULT_WEBHOOK_MAX_BYTES
    if env.get("AUDITKIT_WEBHOOK_MAX_BYTES"):
        raw = env["AUDITKIT_WEBHOOK_MAX_BYTES"]
        if raw.isdigit() and 1024 <= int(raw) <= 64 * 1024 * 1024:
            webhook_max_bytes = int(raw)
        else:
            problems.append(
                f"AUDITKIT_WEBHOOK_MAX_BYTES: {raw!r} must be a whole number of bytes "
                "from 1024 to 67108864"
            )
    autoqa_min_alpha = 0.67
    if env.get("AUDITKIT_AUTOQA_MIN_ALPHA"):
        raw = env["AUDITKIT_AUTOQA_MIN_ALPHA"]
        try:
            autoqa_min_alpha = float(raw)
        except ValueError:
            autoqa_min_alpha = -2.0
        if not -1.0 <= autoqa_min_alpha <= 1.0:
            problems.append(f"AUDITKIT_AUTOQA_MIN_ALPHA: {raw!r} must be a number from -1 to 1")
    if problems:
        raise ConfigError(problems)
    return Settings(
        home=home,
        database_url=str(database_url),
        origin=origin if isinstance(origin, str) else None,
        key_passphrase=passphrase,
        actor=actor,
        webhook_secrets=webhook_secrets,
        webhook_max_bytes=webhook_max_bytes,
        webhook_accounts=webhook_accounts,
        sealing=sealing_text != "off",
        master_key_text=master_key_text,
        master_key_file=master_key_file,
        event_key_text=event_key_text,
        event_key_file=event_key_file,
        retention=retention,
        policy_dir=policy_dir,
        pii_model=env.get("AUDITKIT_PII_MODEL") or "en_core_web_sm",
        autoqa_min_alpha=autoqa_min_alpha,
    )


def _webhook_secrets(raw: str, problems: list[str]) -> dict[str, str]:
    """Parse ``source=secret,source=secret``; secrets are compared in constant time later."""
    secrets: dict[str, str] = {}
    for number, item in enumerate((part.strip() for part in raw.split(",")), start=1):
        if not item:
            continue
        source, separator, secret = item.partition("=")
        source = source.strip()
        if not separator or not _WEBHOOK_SOURCE.fullmatch(source):
            # Never echo the entry: it may be (part of) a secret.
            problems.append(
                f"AUDITKIT_WEBHOOK_SECRETS: entry {number} must be SOURCE=SECRET with SOURCE "
                "made of letters, digits, '.', '_' or '-' (at most 64)"
            )
        elif source in secrets:
            problems.append(f"AUDITKIT_WEBHOOK_SECRETS: source {source!r} is given twice")
        elif len(secret) < MIN_WEBHOOK_SECRET_LENGTH:
            problems.append(
                f"AUDITKIT_WEBHOOK_SECRETS: the secret of source {source!r} is shorter than "
                f"{MIN_WEBHOOK_SECRET_LENGTH} characters"
            )
        else:
            secrets[source] = secret
    return secrets


def _webhook_accounts(raw: str, problems: list[str]) -> dict[str, str]:
    """Parse ``source=account,source=account`` (a Chatwoot account id is a number)."""
    accounts: dict[str, str] = {}
    for number, item in enumerate((part.strip() for part in raw.split(",")), start=1):
        if not item:
            continue
        source, separator, account = (part.strip() for part in item.partition("="))
        if not separator or not _WEBHOOK_SOURCE.fullmatch(source):
            problems.append(
                f"AUDITKIT_WEBHOOK_ACCOUNTS: entry {number} must be SOURCE=ACCOUNT_ID with SOURCE "
                "made of letters, digits, '.', '_' or '-' (at most 64)"
            )
        elif not (account.isascii() and account.isdigit() and len(account) <= 15):
            problems.append(
                f"AUDITKIT_WEBHOOK_ACCOUNTS: the account of source {source!r} must be a Chatwoot"
                f" account id (a number), not {account[:20]!r}"
            )
        elif source in accounts:
            problems.append(f"AUDITKIT_WEBHOOK_ACCOUNTS: source {source!r} is given twice")
        else:
            accounts[source] = account
    return accounts


def _valid_origin(origin: str) -> bool:
    return bool(origin) and not any(c.isspace() or c == "+" for c in origin)


def write_settings_file(settings: Settings, *, origin: str) -> None:
    """Record the log origin in the home's settings file, keeping whatever else it holds."""
    if not settings.home.exists():
        # The installation's folder is the owner's alone (the query tables hold clear text).
        settings.home.mkdir(parents=True, mode=0o700)
        os.chmod(settings.home, 0o700)
    path = settings.settings_path
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    if "origin" in tomllib.loads(current):
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f'origin = "{origin}"\n' + current)
