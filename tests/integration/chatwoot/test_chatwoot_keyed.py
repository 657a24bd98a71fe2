"""Webhook corrections under keyed identities (issue 18): a correction recorded with the
plain SHA-256 version digest of an earlier installation is not appended again after the
upgrade, and new corrections carry the keyed digest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from auditkit.ledger.sealing.event_digests import DigestKey
from auditkit.ledger.verify import verify_ledger
from auditkit.sources import identity, revisions
from tests.integration.chatwoot.support import Hooks, fixture


def test_a_correction_keyed_the_old_way_is_recognised_and_new_ones_are_keyed(
    hooks_client: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks_client.post("message_created_incoming")
    plain_keys: list[str] = []

    def as_before(event_key: str, content: Mapping[str, Any], key: DigestKey) -> tuple[str, str]:
        keyed, plain = identity.correction_keys(event_key, content, key)
        plain_keys.append(plain)
        return plain, keyed  # what auditkit wrote before keyed digests

    with monkeypatch.context() as patched:
        patched.setattr(revisions, "correction_keys", as_before)
        assert hooks_client.post("message_updated_edited").json["records"] == 1
    old = hooks_client.records()[-1]
    assert old.kind == "correction" and old.body["event_key"] == plain_keys[-1]

    size = hooks_client.size()
    assert hooks_client.post("message_updated_edited").json["status"] == "duplicate"
    assert hooks_client.size() == size

    again = fixture("message_updated_edited")
    again["content"] = "hi, I was charged three times for order 4411"
    assert hooks_client.post(again).json["records"] == 1
    new = hooks_client.records()[-1]
    key, _, digest = str(new.body["event_key"]).partition("@")
    assert key == "id:msg-118" and len(digest) == 16
    assert new.body["event_key"] != plain_keys[-1]
    content = {
        "kind": "message",
        **{
            k: v
            for k, v in new.body.items()
            if k not in ("event_key", "id", "corrects", "corrects_seq", "kind", "change")
        },
    }
    key_now = hooks_client.installation.event_digest_key()
    keyed, plain = identity.correction_keys("id:msg-118", content, key_now)
    assert new.body["event_key"] == keyed != plain
    assert verify_ledger(hooks_client.installation).ok
