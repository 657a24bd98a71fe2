"""``auditkit import --format chatwoot``: API conversation objects, both serialisations."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditkit.errors import ImportRejected
from auditkit.ledger.installation import Installation
from auditkit.ledger.verify import verify_ledger
from auditkit.sources.chatwoot.export import parse_chatwoot, read_chatwoot
from auditkit.sources.chatwoot.fields import MESSAGE_TYPES
from auditkit.sources.formats import detect_format
from tests.conftest import Cli
from tests.integration.chatwoot.support import DATA, Hooks, fixture

API = DATA / "api_conversations.json"


def api_conversations() -> list[dict[str, Any]]:
    return json.loads(API.read_text(encoding="utf-8"))


def events_of(conversation_id: str) -> list[tuple[str, dict[str, Any]]]:
    (item,) = [i for i in read_chatwoot(API) if i.conversation.conversation_id == conversation_id]
    return [(str(e.type), dict(e.data)) for e in item.conversation.events]


def test_api_objects_map_to_auditkit_events() -> None:
    events = events_of("chatwoot-7-42")
    assert events == [
        ("status", {"id": "conversation-opened", "status": "opened"}),
        ("message", {"id": "msg-1001", "author": "contact-55", "text": "I was charged twice by Lumen Electronics."}),
        ("message", {"id": "msg-1002", "author": "bot-9", "text": "Hi Ana, I am Nova. Let me get an agent."}),
        ("assignment", {"id": "msg-1003", "from": None, "to": "user-4", "reason": "Assigned to Sam Hill by Nova"}),
        ("internal_note", {"id": "msg-1004", "author": "user-4", "text": "Handoff: duplicate payment, not verified yet."}),
        ("tag", {"id": "msg-1005.0", "tag": "cards"}),
        ("message", {"id": "msg-1006", "author": "user-4", "text": "I can see both charges. Refund issued."}),
        ("status", {"id": "msg-1007", "status": "resolved"}),
        ("message", {"id": "msg-1008", "author": "chatwoot-system", "text": "Please rate the conversation"}),
        ("action", {"id": "msg-1009", "name": "activity", "fields": {"content": "Sam Hill changed the priority to urgent"}}),
        ("csat", {"id": "msg-1008.csat", "score": 5, "scale": 5, "comment": "Quick, thanks."}),
        ("tag", {"id": "label-dispute", "tag": "dispute"}),
    ]  # fmt: skip


def test_participants_and_roles_come_from_the_senders() -> None:
    (first, _second) = read_chatwoot(API)
    conversation = first.conversation
    assert conversation.conversation_id == "chatwoot-7-42"
    assert conversation.channel == "whatsapp"
    assert conversation.customer == "contact-55"
    assert conversation.tags == ("cards", "dispute")
    people = {p.id: (str(p.role), p.name, p.email, p.phone) for p in conversation.participants}
    assert people == {
        "contact-55": ("customer", "Ana Pereira", "ana.pereira@example.com", "+447700900111"),
        "user-4": ("agent", "Sam Hill", None, None),
        "bot-9": ("bot", "Nova", None, None),
        "chatwoot-system": ("bot", "Chatwoot", None, None),
    }


def _webhook_serialisation(conversation: dict[str, Any]) -> dict[str, Any]:
    """The same conversation as the webhook serialises messages: string enums, date-times."""
    converted = copy.deepcopy(conversation)
    for message in converted["messages"]:
        message["message_type"] = MESSAGE_TYPES[message["message_type"]]
        moment = datetime.fromtimestamp(message["created_at"], UTC)
        message["created_at"] = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        message.pop("sender_type", None)
    return converted


def test_both_serialisations_give_the_same_conversation() -> None:
    api = api_conversations()
    webhook_form = [_webhook_serialisation(c) for c in api]
    from_api = [i.conversation for i in parse_chatwoot(api, source="api")]
    from_webhook_form = [i.conversation for i in parse_chatwoot(webhook_form, source="hooks")]
    assert from_api == from_webhook_form


def test_the_format_is_detected_and_the_list_endpoint_shape_is_read(tmp_path: Path) -> None:
    assert detect_format(API) == "chatwoot"
    wrapped = tmp_path / "list.json"
    wrapped.write_text(json.dumps({"data": {"meta": {}, "payload": api_conversations()}}))
    assert detect_format(wrapped) == "chatwoot"
    assert len(list(read_chatwoot(wrapped))) == 2
    single = tmp_path / "one.json"
    single.write_text(json.dumps(api_conversations()[1]))
    assert [i.conversation.conversation_id for i in read_chatwoot(single)] == ["chatwoot-7-43"]


def test_cli_import_appends_and_verifies_and_reimport_appends_nothing_new(
    run: Cli, installation: Installation
) -> None:
    result = run("import", "--format", "chatwoot", str(API))
    assert "2 conversations read: 2 new" in result.output
    again = run("import", str(API))
    assert "2 already recorded" in again.output
    report = verify_ledger(installation)
    assert report.ok, report.problems


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (
            lambda c: c[0]["messages"][1].update(message_type=9),
            1,
            "messages[1].message_type: 9 is not one of",
        ),
        (
            lambda c: c[1]["messages"][0].update(created_at="soon"),
            2,
            "messages[0].created_at: 'soon' is not a date-time",
        ),
        (lambda c: c[1].pop("messages"), 2, "messages: is required"),
        (
            lambda c: [m.pop("account_id") for m in c[0]["messages"]] and c[0].pop("account_id"),
            1,
            "account_id: is required",
        ),
        (lambda c: c[1].update(id=42), 2, "'chatwoot-7-42' already appears in item 1"),
        (
            lambda c: c[0]["messages"][0]["sender"].update(type="ghost"),
            1,
            "messages[0].sender.type: 'ghost'",
        ),
        (
            lambda c: c[0]["messages"].reverse(),
            1,
            None,
        ),  # order is not a refusal: events are sorted
    ],
)
def test_a_bad_conversation_is_refused_whole_with_its_position_and_field(
    tmp_path: Path,
    run: Cli,
    installation: Installation,
    change: Any,
    line: int,
    reason: str | None,
) -> None:
    conversations = api_conversations()
    change(conversations)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(conversations))
    if reason is None:
        assert len(list(read_chatwoot(path))) == 2
        return
    with pytest.raises(ImportRejected) as caught:
        list(read_chatwoot(path))
    assert caught.value.line == line
    assert reason in caught.value.reason
    result = run("import", "--format", "chatwoot", str(path), ok=False)
    assert result.exit_code == 1
    assert f"export.json:{line}: " in result.output


def test_a_conversation_seen_live_then_imported_does_not_repeat_its_messages(
    hooks_client: Hooks, run: Cli, tmp_path: Path
) -> None:
    assert hooks_client.post("conversation_created").status_code == 200
    before = hooks_client.size()
    exported = fixture("conversation_created")
    exported["messages"].append(
        {
            "id": 131,
            "content": "Thanks, it works now",
            "account_id": 1,
            "conversation_id": 11,
            "message_type": 0,
            "created_at": 1627070100,
            "private": False,
            "sender_type": "Contact",
            "sender_id": 12,
        }
    )
    path = tmp_path / "conversation-11.json"
    path.write_text(json.dumps([exported]))
    run("import", "--format", "chatwoot", str(path))
    # The import's own record and AutoQA's score of what it changed are not events.
    new = [r for r in hooks_client.records()[before:] if r.kind not in ("import.run", "autoqa")]
    assert [(r.kind, r.body.get("id")) for r in new] == [("message", "msg-131")]
    assert verify_ledger(hooks_client.installation).ok
