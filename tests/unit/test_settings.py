"""Settings come from the environment and the settings file, with every problem reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditkit.errors import ConfigError
from auditkit.settings import load_settings


def test_defaults_live_under_the_home(tmp_path: Path) -> None:
    settings = load_settings({"AUDITKIT_HOME": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'auditkit.db'}"
    assert settings.keys_dir == tmp_path / "keys"


def test_home_defaults_to_xdg_data_home(tmp_path: Path) -> None:
    settings = load_settings({"XDG_DATA_HOME": str(tmp_path)})
    assert settings.home == tmp_path / "auditkit"


def test_passphrase_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "pass"
    secret.write_text("s3cret\n")
    settings = load_settings(
        {"AUDITKIT_HOME": str(tmp_path), "AUDITKIT_KEY_PASSPHRASE_FILE": str(secret)}
    )
    assert settings.require_passphrase() == b"s3cret"


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text('origin = "has space"\ncolour = "blue"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(
            {
                "AUDITKIT_HOME": str(tmp_path),
                "AUDITKIT_DATABASE_URL": "not-a-url",
                "AUDITKIT_KEY_PASSPHRASE_FILE": str(tmp_path / "missing"),
            }
        )
    text = str(caught.value)
    for fragment in ("colour", "not-a-url", "has space", "missing"):
        assert fragment in text


def test_missing_passphrase_names_both_variables(tmp_path: Path) -> None:
    settings = load_settings({"AUDITKIT_HOME": str(tmp_path)})
    with pytest.raises(ConfigError, match="AUDITKIT_KEY_PASSPHRASE_FILE"):
        settings.require_passphrase()
