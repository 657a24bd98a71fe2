"""Webhook settings: per-source secrets and the body limit, with every problem reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditkit.errors import ConfigError
from auditkit.settings import DEFAULT_WEBHOOK_MAX_BYTES, load_settings


def test_secrets_are_read_per_source(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "AUDITKIT_HOME": str(tmp_path),
            "AUDITKIT_WEBHOOK_SECRETS": " eu=aaaaaaaaaaaaaaaa , us.2=b=bbbbbbbbbbbbbbbb ",
            "AUDITKIT_WEBHOOK_MAX_BYTES": "4096",
        }
    )
    assert dict(settings.webhook_secrets) == {
        "eu": "aaaaaaaaaaaaaaaa",
        "us.2": "b=bbbbbbbbbbbbbbbb",
    }
    assert settings.webhook_max_bytes == 4096
    assert "aaaa" not in repr(settings)


def test_without_the_variables_no_source_is_configured(tmp_path: Path) -> None:
    settings = load_settings({"AUDITKIT_HOME": str(tmp_path)})
    assert dict(settings.webhook_secrets) == {}
    assert settings.webhook_max_bytes == DEFAULT_WEBHOOK_MAX_BYTES


def test_bad_webhook_settings_are_all_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(
            {
                "AUDITKIT_HOME": str(tmp_path),
                "AUDITKIT_WEBHOOK_SECRETS": "short=abc,no-separator,bad name=cccccccccccccccc,"
                "x=dddddddddddddddd,x=eeeeeeeeeeeeeeee",
                "AUDITKIT_WEBHOOK_MAX_BYTES": "lots",
            }
        )
    problems = "\n".join(caught.value.problems)
    assert "the secret of source 'short' is shorter than 16 characters" in problems
    assert "entry 2 must be SOURCE=SECRET" in problems
    assert "entry 3 must be SOURCE=SECRET" in problems
    assert "separator" not in problems and "cccc" not in problems
    assert "source 'x' is given twice" in problems
    assert "AUDITKIT_WEBHOOK_MAX_BYTES: 'lots'" in problems
    assert "dddd" not in problems
