"""Chatwoot as Chatwoot sends it: presenter payloads without an account, the bot handoff,
one record per change whichever path told it, and a list export refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditkit.checks import Outcome, evaluate, load_default_policies
from auditkit.errors import ImportRejected
from auditkit.ledger.append import appending
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.metrics.refresh import conversation_metrics
from auditkit.sources.chatwoot.export import parse_webhook
from auditkit.sources.ingest import import_files
from auditkit.sources.revisions import GroupState
from auditkit.sources.webhooks import delivery_drafts
from tests.integration.chatwoot.support import (
    DATA,
    SECRET,
    SOURCE,
    Hooks,
    fixture,
    fixture_bytes,
    make_app,
)

KEY = "chatwoot-7-204"


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    """The Chatwoot env plus this source's account (the fallback for account-less payloads)."""
    return {**env, "AUDITKIT_WEBHOOK_ACCOUNTS": f"{SOURCE}=7"}


def _kinds(hooks: Hooks, kind: str) -> list[dict[str, object]]:
    return [dict(r.body) for r in hooks.records() if r.kind == kind and r.conversation == KEY]


def _without_accounts(installation: Installation) -> Hooks:
    bare = Installation(
        settings=replace(installation.settings, webhook_accounts={}), engine=installation.engine
    )
    return Hooks(make_app(bare).test_client(), bare)


# --- the account --------------------------------------------------------------------------


def test_a_presenter_payload_without_account_takes_the_sources_account(
    hooks_client: Hooks,
) -> None:
    payload = fixture("presenter_conversation_created")
    assert "account_id" not in payload and payload["messages"] == []
    response = hooks_client.post("presenter_conversation_created")
    assert response.status_code == 200, response.json
    assert response.json["conversation"] == KEY


def test_without_a_configured_account_the_refusal_says_what_to_set(
    hooks_client: Hooks, installation: Installation
) -> None:
    bare = _without_accounts(installation)
    response = bare.post("presenter_conversation_created")
    assert response.status_code == 422
    assert "AUDITKIT_WEBHOOK_ACCOUNTS" in response.json["error"]
    assert bare.size() == 0


def test_the_embedded_messages_account_is_used_when_no_source_account_is_set(
    installation: Installation,
) -> None:
    bare = _without_accounts(installation)
    response = bare.post("presenter_status_changed_handoff")
    assert response.status_code == 200, response.json
    assert response.json["conversation"] == KEY


def test_a_payload_of_another_account_is_refused(hooks_client: Hooks) -> None:
    payload = fixture("presenter_status_changed_handoff")
    payload["messages"][0]["account_id"] = 8
    response = hooks_client.post(payload)
    assert response.status_code == 422
    assert "account 8 is not the account of this source (7" in response.json["error"]
    assert hooks_client.size() == 0


# --- the bot handoff ----------------------------------------------------------------------


def test_the_bot_handoff_is_an_escalation_that_metrics_and_checks_recognise(
    hooks_client: Hooks, installation: Installation
) -> None:
    assert hooks_client.post("presenter_conversation_created").status_code == 200
    assert hooks_client.post("presenter_status_changed_handoff").status_code == 200
    again = hooks_client.post("presenter_updated_handoff")  # the same change, the other event
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    (escalation,) = _kinds(hooks_client, "escalation")
    assert escalation["to"] == "Returns"
    assert escalation["by"] == "bot-2"
    assert "pending -> open" in str(escalation["reason"])
    assert not [a for a in _kinds(hooks_client, "action") if a.get("name") == "status-change"]
    assert conversation_metrics(installation, KEY).escalations == 1
    with installation.engine.connect() as conn:
        (conversation,) = load_conversations(conn, [KEY])
    policies = {p.id: p for p in load_default_policies()}
    (result,) = evaluate([policies["handoff-notes"]], conversation)
    assert result.outcome is Outcome.FAIL  # judged: the bot left no handoff note
    assert "escalation" in result.explanation


# --- one change, one record ---------------------------------------------------------------


def test_a_status_change_without_changed_attributes_is_the_same_record(
    hooks_client: Hooks,
) -> None:
    assert "changed_attributes" not in fixture("presenter_status_changed_resolved_no_changes")
    assert hooks_client.post("presenter_status_changed_resolved_no_changes").status_code == 200
    second = hooks_client.post("presenter_updated_resolved")
    assert second.status_code == 200
    resolved = [s for s in _kinds(hooks_client, "status") if s["status"] == "resolved"]
    assert len(resolved) == 1


def test_re_importing_the_conversation_after_its_webhooks_adds_no_second_change(
    hooks_client: Hooks, installation: Installation
) -> None:
    for name in (
        "presenter_conversation_created",
        "presenter_status_changed_handoff",
        "presenter_updated_assigned",
        "presenter_updated_resolved",
    ):
        assert hooks_client.post(name).status_code == 200, name
    report = import_files(installation, [DATA / "api_conversation_after_webhooks.json"])
    assert report.updated_conversations == 1
    assignments = _kinds(hooks_client, "assignment")
    assert [a["to"] for a in assignments] == ["user-12"]
    resolved = [s for s in _kinds(hooks_client, "status") if s["status"] == "resolved"]
    assert len(resolved) == 1
    texts = [m["text"] for m in _kinds(hooks_client, "message")]
    assert "Hi Lena, I have reshipped it; it arrives tomorrow." in texts  # history still added
    # And again: nothing new at all.
    before = hooks_client.size()
    import_files(installation, [DATA / "api_conversation_after_webhooks.json"])
    assert hooks_client.size() == before + 1  # only the import.run record


def test_webhooks_after_an_import_add_no_second_change(
    hooks_client: Hooks, installation: Installation
) -> None:
    import_files(installation, [DATA / "api_conversation_after_webhooks.json"])
    assert hooks_client.post("presenter_updated_assigned").json["status"] in {
        "duplicate",
        "recorded",
    }
    assert hooks_client.post("presenter_updated_resolved").status_code == 200
    assert [a["to"] for a in _kinds(hooks_client, "assignment")] == ["user-12"]
    assert len([s for s in _kinds(hooks_client, "status") if s["status"] == "resolved"]) == 1


def _record_with_the_old_key_scheme(installation: Installation, name: str) -> str:
    """Append a delivery as versions before issue 20 keyed it (``status-<old>-<new>@<t>``,
    ``None`` for an old status the payload did not give); returns the old key."""
    delivery = parse_webhook(fixture(name), source=name, received_at=datetime.now(UTC), account="7")
    payload = fixture(name)
    changes = payload.get("changed_attributes") or [{}]
    before = changes[0].get("status", {}).get("previous_value")
    events = []
    old_id = ""
    for event in delivery.conversation.events:
        event_id = str(event.data.get("id", ""))
        if event_id.startswith("status-"):
            new, _, at = event_id.removeprefix("status-").partition("@")
            old_id = f"status-{before}-{new}@{at}"
            event = replace(event, data={**event.data, "id": old_id})
        events.append(event)
    old = replace(delivery, conversation=replace(delivery.conversation, events=tuple(events)))
    with appending(installation) as batch:
        state = GroupState.load(batch, [old], installation.event_digest_key())
        batch.append(delivery_drafts(batch, old, source=SOURCE, state=state))
    return f"id:{old_id}"


@pytest.mark.parametrize(
    ("old", "again", "kind"),
    [
        ("presenter_status_changed_handoff", "presenter_updated_handoff", "escalation"),
        ("presenter_status_changed_handoff", "presenter_status_changed_handoff", "escalation"),
        ("presenter_status_changed_resolved_no_changes", "presenter_updated_resolved", "status"),
    ],
    ids=["handoff-other-event", "handoff-same-event", "resolved-without-changes"],
)
def test_a_change_recorded_under_the_old_key_scheme_is_not_recorded_again(
    hooks_client: Hooks, installation: Installation, old: str, again: str, kind: str
) -> None:
    assert hooks_client.post("presenter_conversation_created").status_code == 200
    old_key = _record_with_the_old_key_scheme(installation, old)
    assert old_key.startswith("id:status-") and old_key.count("-") >= 3
    before = _kinds(hooks_client, kind)
    response = hooks_client.post(again)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "duplicate", response.json
    assert _kinds(hooks_client, kind) == before


def test_a_reopening_without_changed_attributes_is_the_reopened_status_either_way(
    hooks_client: Hooks,
) -> None:
    assert hooks_client.post("presenter_conversation_created").status_code == 200
    assert hooks_client.post("presenter_updated_resolved").status_code == 200
    # Older Chatwoot: the reopening's conversation_status_changed gives no old status.
    bare = fixture("presenter_status_changed_resolved_no_changes")
    bare.update(status="open", updated_at=1714648500.25)
    assert hooks_client.post(bare).status_code == 200
    # The conversation_updated of the same change says resolved -> open: the same record.
    told = fixture("presenter_updated_resolved")
    told.update(status="open", updated_at=1714648500.25)
    told["changed_attributes"] = [
        {"status": {"previous_value": "resolved", "current_value": "open"}}
    ]
    assert hooks_client.post(told).json["status"] == "duplicate"
    statuses = [s["status"] for s in _kinds(hooks_client, "status")]
    assert statuses == ["opened", "resolved", "reopened"]
    assert not [a for a in _kinds(hooks_client, "action") if a.get("name") == "status-change"]


# --- the list endpoint ------------------------------------------------------------------------


def test_a_list_endpoint_export_is_refused_as_partial(
    installation: Installation, hooks_client: Hooks
) -> None:
    with pytest.raises(ImportRejected) as refused:
        import_files(installation, [DATA / "api_conversation_list.json"])
    assert refused.value.line == 0
    assert "only each conversation's last message" in refused.value.reason
    assert hooks_client.size() == 0


def test_the_single_conversation_endpoint_without_its_messages_is_refused(
    installation: Installation, hooks_client: Hooks
) -> None:
    shown = fixture("api_conversation_show")
    assert len(shown["messages"]) == 1  # the partial's [messages.last], not the history
    with pytest.raises(ImportRejected) as refused:
        import_files(installation, [DATA / "api_conversation_show.json"])
    assert refused.value.line == 1
    assert refused.value.reason.startswith("messages: holds one message")
    assert "…/conversations/{id}/messages" in refused.value.reason
    assert hooks_client.size() == 0


def test_list_items_without_the_lists_meta_are_refused_the_same_way(
    installation: Installation, hooks_client: Hooks, tmp_path: Path
) -> None:
    path = tmp_path / "payload.json"
    path.write_text(json.dumps({"payload": [fixture("api_conversation_show")]}), "utf-8")
    with pytest.raises(ImportRejected) as refused:
        import_files(installation, [path], fmt="chatwoot")
    assert refused.value.line == 1 and "last message" in refused.value.reason
    assert hooks_client.size() == 0


def test_a_one_message_conversation_assembled_as_documented_imports(
    installation: Installation, hooks_client: Hooks, tmp_path: Path
) -> None:
    # jq -s '.[0] + {messages: .[1].payload} | del(.last_non_activity_message, .unread_count)'
    whole = fixture("api_conversation_show")
    whole["messages"] = [whole.pop("last_non_activity_message")]
    del whole["unread_count"]
    path = tmp_path / "one.json"
    path.write_text(json.dumps(whole), "utf-8")
    report = import_files(installation, [path], fmt="chatwoot")
    assert report.new_conversations == 1
    texts = [m["text"] for m in _kinds(hooks_client, "message")]
    assert texts == ["Hi Lena, I have reshipped it; it arrives tomorrow."]


# --- signatures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp", ["9" * 400, "1" * 13, "²"], ids=["400-digits", "13-digits", "superscript"]
)
def test_a_signed_delivery_with_an_impossible_timestamp_is_a_400(
    hooks_client: Hooks, stamp: str
) -> None:
    body = fixture_bytes("message_created_incoming")
    digest = hmac.new(
        SECRET.encode(), stamp.encode("ascii", "replace") + b"." + body, hashlib.sha256
    ).hexdigest()
    headers = {"X-Chatwoot-Signature": f"sha256={digest}", "X-Chatwoot-Timestamp": stamp}
    response = hooks_client.post(body, token=None, headers=headers)
    assert response.status_code == 400
    assert "is not a Unix time in seconds" in response.json["error"]
    assert hooks_client.size() == 0


def test_fixture_sources_are_cited() -> None:
    for path in Path(DATA).glob("presenter_*.json"):
        assert "event_data_presenter" in fixture(path.stem)["_source"], path.name
