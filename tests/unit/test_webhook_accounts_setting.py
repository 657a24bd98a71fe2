"""``AUDITKIT_WEBHOOK_ACCOUNTS``: each webhook source's Chatwoot account, every problem reported."""

from __future__ import annotations

import pytest

from auditkit.errors import ConfigError
from auditkit.settings import load_settings


def _env(tmp_path: object, accounts: str) -> dict[str, str]:
    return {
        "AUDITKIT_HOME": str(tmp_path),
        "AUDITKIT_KEY_PASSPHRASE": "correct horse battery staple",
        "AUDITKIT_WEBHOOK_ACCOUNTS": accounts,
    }


def test_accounts_are_read_per_source(tmp_path: object) -> None:
    settings = load_settings(_env(tmp_path, "chatwoot-eu=7, chatwoot-us = 12,"))
    assert settings.webhook_accounts == {"chatwoot-eu": "7", "chatwoot-us": "12"}


def test_no_setting_means_no_accounts(tmp_path: object) -> None:
    assert load_settings(_env(tmp_path, "")).webhook_accounts == {}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("chatwoot-eu", "entry 1 must be SOURCE=ACCOUNT_ID"),
        ("bad source=7", "entry 1 must be SOURCE=ACCOUNT_ID"),
        ("chatwoot-eu=seven", "must be a Chatwoot account id (a number), not 'seven'"),
        ("chatwoot-eu=" + "9" * 400, "must be a Chatwoot account id"),
        ("a=1,a=2", "source 'a' is given twice"),
    ],
)
def test_a_bad_entry_is_refused_saying_why(tmp_path: object, raw: str, reason: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env(tmp_path, raw))
    assert reason in str(refused.value)
