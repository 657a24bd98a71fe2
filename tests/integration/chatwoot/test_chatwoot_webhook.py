"""``POST /hooks/chatwoot``: each event type, both serialisations, auth, limits, refusals."""

from __future__ import annotations

import copy
import hashlib
import hmac
import io
import json
import time
from typing import Any

import pytest

from auditkit.ledger.installation import Installation
from auditkit.ledger.verify import verify_ledger
from auditkit.sources.webhooks import WebhookReceiver, rejected_payloads
from tests.integration.chatwoot.support import (
    OTHER_SECRET,
    OTHER_SOURCE,
    SECRET,
    SOURCE,
    Hooks,
    fixture,
    fixture_bytes,
    make_app,
)

CONVERSATION = "chatwoot-1-10"


def bodies(hooks: Hooks, kind: str) -> list[dict[str, Any]]:
    return [dict(r.body) for r in hooks.records() if r.kind == kind]


# --- each event type ------------------------------------------------------------------------


def test_a_conversation_first_seen_through_a_message_is_opened_with_its_participants(
    hooks_client: Hooks,
) -> None:
    response = hooks_client.post("message_created_incoming")
    assert response.status_code == 200, response.json
    assert response.json == {
        "status": "recorded",
        "event": "message_created",
        "conversation": CONVERSATION,
        "records": 2,
        "tree_size": 2,
    }
    opened, message = hooks_client.records()
    assert opened.kind == "conversation.opened"
    assert opened.conversation == CONVERSATION
    assert opened.body["channel"] == "web_widget"
    assert opened.body["customer"] == "contact-12"
    assert opened.body["participants"] == [
        {
            "id": "contact-12",
            "role": "customer",
            "name": "jane",
            "email": "jane@acme.inc",
            "phone": "+15550100",
        },
        {"id": "user-1", "role": "agent", "name": "John"},
    ]
    assert opened.body["source"] == f"webhook:chatwoot:{SOURCE}:message_created"
    assert message.kind == "message"
    assert dict(message.body) == {
        "event_key": "id:msg-118",
        "id": "msg-118",
        "author": "contact-12",
        "text": "hi, I was charged twice",
    }
    assert message.occurred_at == "2021-07-23T18:02:48.000000Z"


@pytest.mark.parametrize(
    ("name", "kind", "author"),
    [
        ("message_created_outgoing", "message", "user-1"),
        ("message_created_private_note", "internal_note", "user-1"),
        ("message_created_agent_bot", "message", "bot-3"),
        ("message_created_csat_invite", "message", "chatwoot-system"),
    ],
)
def test_message_types_and_senders_map_to_record_kinds_and_roles(
    hooks_client: Hooks, name: str, kind: str, author: str
) -> None:
    assert hooks_client.post(name).status_code == 200
    record = hooks_client.records()[-1]
    assert record.kind == kind
    assert record.body["author"] == author
    opened = hooks_client.records()[0]
    roles = {p["id"]: p["role"] for p in opened.body["participants"]}
    assert roles[author] == {"user-1": "agent", "bot-3": "bot", "chatwoot-system": "bot"}[author]


def test_a_duplicate_delivery_appends_nothing(hooks_client: Hooks) -> None:
    first = hooks_client.post("message_created_incoming")
    size = hooks_client.size()
    again = hooks_client.post("message_created_incoming")
    assert first.json["status"] == "recorded"
    assert again.status_code == 200
    assert again.json["status"] == "duplicate"
    assert again.json["records"] == 0
    assert hooks_client.size() == size


def test_an_edit_is_a_new_correction_record_pointing_at_the_original(
    hooks_client: Hooks,
) -> None:
    hooks_client.post("message_created_incoming")
    original = hooks_client.records()[-1]
    response = hooks_client.post("message_updated_edited")
    assert response.json["records"] == 1
    correction = hooks_client.records()[-1]
    assert correction.kind == "correction"
    assert correction.body["corrects"] == "id:msg-118"
    assert correction.body["corrects_seq"] == original.seq
    assert correction.body["change"] == "edited"
    assert correction.body["kind"] == "message"
    assert correction.body["text"] == "hi, I was charged twice for order 4411"
    assert correction.occurred_at == "2021-07-23T18:05:00.250000Z"
    # The original is untouched, and re-delivering the edit appends nothing.
    assert hooks_client.records()[original.seq].entry == original.entry
    assert hooks_client.post("message_updated_edited").json["status"] == "duplicate"
    assert verify_ledger(hooks_client.installation).ok


def test_an_update_that_changes_nothing_audited_appends_nothing(hooks_client: Hooks) -> None:
    hooks_client.post("message_created_incoming")
    unchanged = fixture("message_updated_edited")
    unchanged["content"] = fixture("message_created_incoming")["content"]
    assert hooks_client.post(unchanged).json["status"] == "duplicate"


def test_a_version_seen_before_is_not_recorded_again(hooks_client: Hooks) -> None:
    hooks_client.post("message_created_incoming")
    hooks_client.post("message_updated_edited")
    stale = fixture("message_created_incoming")  # a late retry of the original delivery
    assert hooks_client.post(stale).json["status"] == "duplicate"
    back = fixture("message_updated_edited")
    back["content"] = fixture("message_created_incoming")["content"]  # reverted to the original
    assert hooks_client.post(back).json["status"] == "duplicate"


def test_a_deleted_message_is_a_correction_and_the_original_text_stays(
    hooks_client: Hooks,
) -> None:
    hooks_client.post("message_created_outgoing")
    hooks_client.post("message_updated_deleted")
    original, correction = bodies(hooks_client, "message")[0], bodies(hooks_client, "correction")[0]
    assert original["text"] == "Sorry about that, let me check."
    assert correction["change"] == "deleted"
    assert correction["text"] == "This message was deleted"


def test_an_update_of_a_message_never_seen_records_it_as_the_message(
    hooks_client: Hooks,
) -> None:
    response = hooks_client.post("message_updated_edited")
    assert response.json["records"] == 2
    assert bodies(hooks_client, "message")[0]["text"] == "hi, I was charged twice for order 4411"
    assert not bodies(hooks_client, "correction")


def test_a_csat_answer_arrives_as_an_update_of_the_survey_message(hooks_client: Hooks) -> None:
    hooks_client.post("message_created_csat_invite")
    response = hooks_client.post("message_updated_csat")
    assert response.json["records"] == 1
    csat = hooks_client.records()[-1]
    assert csat.kind == "csat"
    assert dict(csat.body) == {
        "event_key": "id:msg-125.csat",
        "id": "msg-125.csat",
        "score": 4,
        "scale": 5,
        "comment": "Quick, thanks",
    }


def test_a_status_change_sent_as_two_events_is_recorded_once(hooks_client: Hooks) -> None:
    hooks_client.post("message_created_incoming")
    first = hooks_client.post("conversation_status_changed")
    second = hooks_client.post("conversation_updated_status")
    assert first.status_code == second.status_code == 200
    statuses = bodies(hooks_client, "status")
    assert [s["status"] for s in statuses] == ["resolved"]
    assert second.json["status"] == "duplicate"


def test_reopening_is_a_reopened_status_and_other_changes_keep_both_values(
    hooks_client: Hooks,
) -> None:
    reopened = fixture("conversation_status_changed")
    reopened["changed_attributes"] = [
        {"status": {"previous_value": "resolved", "current_value": "open"}}
    ]
    reopened["updated_at"] = 1627069999.5
    snoozed = copy.deepcopy(reopened)
    snoozed["changed_attributes"] = [
        {"status": {"previous_value": "open", "current_value": "snoozed"}}
    ]
    snoozed["updated_at"] = 1627070999.5
    assert hooks_client.post(reopened).status_code == 200
    assert hooks_client.post(snoozed).status_code == 200
    assert bodies(hooks_client, "status")[-1]["status"] == "reopened"
    action = bodies(hooks_client, "action")[-1]
    assert action["name"] == "status-change"
    assert action["fields"] == {"from": "open", "to": "snoozed"}


def test_assignee_and_label_changes_become_assignment_and_tag_records(
    hooks_client: Hooks,
) -> None:
    hooks_client.post("message_created_incoming")
    response = hooks_client.post("conversation_updated_assignee_labels")
    assert response.status_code == 200
    added = [r for r in hooks_client.records() if r.kind == "participant.added"]
    # Mary is new; so is Chatwoot itself, author of the template message the payload embeds.
    assert [dict(r.body["participant"]) for r in added] == [
        {"id": "user-2", "role": "agent", "name": "Mary"},
        {"id": "chatwoot-system", "role": "bot", "name": "Chatwoot"},
    ]
    (assignment,) = bodies(hooks_client, "assignment")
    assert (assignment["from"], assignment["to"]) == ("user-1", "user-2")
    assert [t["tag"] for t in bodies(hooks_client, "tag")] == ["refund"]
    assert hooks_client.post("conversation_updated_assignee_labels").json["status"] == "duplicate"


def test_conversation_created_opens_the_conversation_with_its_first_message(
    hooks_client: Hooks,
) -> None:
    response = hooks_client.post("conversation_created")
    assert response.json["conversation"] == "chatwoot-1-11"
    kinds = [r.kind for r in hooks_client.records()]
    assert kinds == ["conversation.opened", "status", "message"]
    opened, status, message = hooks_client.records()
    assert opened.occurred_at == "2021-07-23T19:53:20.000000Z"  # epoch created_at
    assert status.body["status"] == "opened"
    assert message.body["author"] == "contact-12"  # API form: sender_type Contact, integer type


def test_the_documented_generic_sample_is_accepted(hooks_client: Hooks) -> None:
    response = hooks_client.post("message_created_legacy")
    assert response.status_code == 200, response.json
    message = hooks_client.records()[-1]
    assert message.conversation == "chatwoot-1-1"
    assert message.occurred_at == "2020-03-03T13:05:57.000000Z"  # "2020-03-03 13:05:57 UTC"


def test_a_participant_first_seen_later_is_added_before_their_message(
    hooks_client: Hooks,
) -> None:
    hooks_client.post("message_created_incoming")
    hooks_client.post("message_created_agent_bot")
    kinds = [r.kind for r in hooks_client.records()]
    assert kinds == ["conversation.opened", "message", "participant.added", "message"]
    assert hooks_client.records()[2].body["participant"] == {
        "id": "bot-3",
        "role": "bot",
        "name": "Acme Bot",
    }
    with hooks_client.installation.engine.connect() as conn:
        from sqlalchemy import text

        role = conn.execute(text("SELECT role FROM messages WHERE author = 'bot-3'")).scalar_one()
    assert role == "bot"
    assert verify_ledger(hooks_client.installation).ok


def test_every_fixture_in_any_order_verifies(hooks_client: Hooks) -> None:
    names = [
        "message_updated_csat",
        "conversation_updated_assignee_labels",
        "message_created_private_note",
        "message_created_incoming",
        "message_updated_edited",
        "conversation_status_changed",
        "message_created_outgoing",
        "message_updated_deleted",
        "message_created_agent_bot",
        "conversation_created",
        "message_created_legacy",
        "conversation_updated_status",
        "message_created_csat_invite",
    ]
    for name in names:
        assert hooks_client.post(name).status_code == 200, name
    size = hooks_client.size()
    for name in names:
        assert hooks_client.post(name).json["status"] == "duplicate", name
    assert hooks_client.size() == size
    report = verify_ledger(hooks_client.installation)
    assert report.ok, report.problems


# --- authentication and limits -----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "token", "reason"),
    [
        (SOURCE, None, "no secret"),
        (SOURCE, "wrong-secret-0123456789", "unknown source or wrong secret"),
        (SOURCE, OTHER_SECRET, "unknown source or wrong secret"),
        ("nobody", SECRET, "unknown source or wrong secret"),
        (None, SECRET, "name the source"),
    ],
)
def test_a_delivery_without_its_sources_secret_is_refused_and_not_kept(
    hooks_client: Hooks, source: str | None, token: str | None, reason: str
) -> None:
    response = hooks_client.post("message_created_incoming", source=source, token=token)
    assert response.status_code == 401
    assert reason in response.json["error"]
    assert hooks_client.size() == 0
    assert hooks_client.rejections() == []


def test_each_source_has_its_own_secret(hooks_client: Hooks) -> None:
    response = hooks_client.post(
        "message_created_incoming", source=OTHER_SOURCE, token=OTHER_SECRET
    )
    assert response.status_code == 200
    assert hooks_client.records()[0].body["source"].startswith(f"webhook:chatwoot:{OTHER_SOURCE}:")


@pytest.mark.parametrize(
    "headers",
    [{"X-Auditkit-Token": SECRET}, {"Authorization": f"Bearer {SECRET}"}],
    ids=["x-auditkit-token", "bearer"],
)
def test_the_secret_may_come_in_a_header(hooks_client: Hooks, headers: dict[str, str]) -> None:
    response = hooks_client.post("message_created_incoming", token=None, headers=headers)
    assert response.status_code == 200


def _signed(body: bytes, secret: str, stamp: int) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Chatwoot-Signature": f"sha256={digest}", "X-Chatwoot-Timestamp": str(stamp)}


def test_a_chatwoot_signature_with_the_sources_secret_is_accepted(hooks_client: Hooks) -> None:
    body = fixture_bytes("message_created_incoming")
    headers = _signed(body, SECRET, int(time.time()))
    assert hooks_client.post(body, token=None, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("secret", "age", "reason"),
    [
        ("not-the-secret-0123456", 0, "wrong signature"),
        (SECRET, 3600, "not recent"),
    ],
)
def test_a_bad_or_stale_signature_is_refused(
    hooks_client: Hooks, secret: str, age: int, reason: str
) -> None:
    body = fixture_bytes("message_created_incoming")
    headers = _signed(body, secret, int(time.time()) - age)
    response = hooks_client.post(body, token=None, headers=headers)
    assert response.status_code == 401
    assert reason in response.json["error"]
    assert hooks_client.size() == 0


def test_without_configured_sources_every_delivery_is_refused(
    installation: Installation,
) -> None:
    from dataclasses import replace

    bare = Installation(
        settings=replace(installation.settings, webhook_secrets={}), engine=installation.engine
    )
    client = make_app(bare).test_client()
    response = client.post("/hooks/chatwoot?token=anything", data=b"{}")
    assert response.status_code == 403
    assert "AUDITKIT_WEBHOOK_SECRETS" in response.json["error"]


def test_a_body_over_the_limit_is_refused_with_413(hooks_client: Hooks) -> None:
    limit = hooks_client.installation.settings.webhook_max_bytes
    payload = fixture("message_created_incoming")
    payload["content"] = "x" * limit
    response = hooks_client.post(payload)
    assert response.status_code == 413
    assert str(limit) in response.json["error"]
    assert hooks_client.size() == 0


def test_a_streamed_body_over_the_limit_is_refused_with_413(hooks_client: Hooks) -> None:
    limit = hooks_client.installation.settings.webhook_max_bytes
    # No Content-Length (a chunked upload): the limit is enforced while reading.
    response = hooks_client.client.post(
        "/hooks/chatwoot",
        query_string={"source": SOURCE, "token": SECRET},
        input_stream=io.BytesIO(b" " * (limit + 10)),
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
    )
    assert response.status_code == 413
    assert response.json["error"].startswith("body is larger than the limit")


# --- refusals are clear and kept ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"{not json", 400, "invalid JSON at column 2"),
        (b"\xff\xfe{}", 400, "not valid UTF-8"),
        (b"", 400, "body is empty"),
        (b"[1, 2]", 422, "expected a JSON object, got an array"),
        (b'{"id": 1}', 422, "event: is required"),
        (b'{"event": "contact_created", "id": 5}', 422, "'contact_created' is not an event"),
        (b'{"event": "message_created", "id": 1}', 422, "conversation: is required"),
        (b'{"a": 1, "a": 2}', 400, "duplicate key"),
        (b'{"event": NaN}', 400, "NaN is not allowed"),
    ],
)
def test_a_malformed_or_unknown_payload_gets_a_reason_and_is_kept(
    hooks_client: Hooks, body: bytes, status: int, reason: str
) -> None:
    response = hooks_client.post(body)
    assert response.status_code == status
    assert reason in response.json["error"]
    assert hooks_client.size() == 0
    (kept,) = hooks_client.rejections()
    assert bytes(kept["body"]) == body
    assert kept["status"] == status
    assert reason in kept["reason"]
    assert kept["source"] == SOURCE
    assert kept["body_sha256"] == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda p: p.update(message_type="broadcast"), "message_type: 'broadcast' is not one of"),
        (lambda p: p.update(message_type=7), "message_type: 7 is not one of"),
        (lambda p: p.update(created_at="yesterday"), "created_at: 'yesterday' is not a date-time"),
        (lambda p: p.update(created_at=None), "created_at: is required"),
        (lambda p: p["sender"].update(type="robot"), "sender.type: 'robot' is not one of"),
        (lambda p: p["conversation"].pop("id"), "conversation.id: is required"),
        (
            lambda p: p.pop("account") and p["conversation"].pop("account_id"),
            "account.id: is required",
        ),
        (lambda p: p.update(content=["hi"]), "content: expected a string or null"),
        (lambda p: p.update(content="x" * 100_001), "text: is too long"),
    ],
)
def test_a_payload_that_breaks_a_rule_names_the_field(
    hooks_client: Hooks, change: Any, reason: str
) -> None:
    payload = fixture("message_created_incoming")
    change(payload)
    response = hooks_client.post(payload)
    assert response.status_code == 422
    assert reason in response.json["error"], response.json
    assert hooks_client.size() == 0
    assert len(rejected_payloads(hooks_client.installation)) == 1


def test_the_receiver_refuses_without_http(installation: Installation) -> None:
    from auditkit.sources.webhooks import WebhookRejected

    receiver = WebhookReceiver(installation)
    with pytest.raises(WebhookRejected) as caught:
        receiver.receive(source=SOURCE, body=json.dumps({"event": 1}).encode())
    assert caught.value.status == 422
    report = receiver.receive(source=SOURCE, body=fixture_bytes("message_created_incoming"))
    assert (report.records_appended, report.tree_size, report.duplicate) == (2, 2, False)


def test_the_review_app_serves_it_without_csrf_or_session(
    installation: Installation,
) -> None:
    from web import create_app

    app = create_app(installation, secret_key=b"k" * 32, secure_cookies=False)
    client = app.test_client()
    response = client.post(
        f"/hooks/chatwoot?source={SOURCE}&token={SECRET}",
        data=fixture_bytes("message_created_incoming"),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.json["status"] == "recorded"


def test_with_sealing_on_edits_are_compared_in_the_clear(env: dict[str, str]) -> None:
    from auditkit.ledger.installation import initialise
    from auditkit.settings import load_settings

    sealed_env = {**env, "AUDITKIT_SEALING": "on"}
    initialise(load_settings(sealed_env))
    installation = Installation.open(load_settings(sealed_env))
    try:
        hooks = Hooks(make_app(installation).test_client(), installation)
        hooks.post("message_created_incoming")
        assert hooks.post("message_updated_edited").json["records"] == 1
        assert hooks.post("message_updated_edited").json["status"] == "duplicate"
        back = fixture("message_updated_edited")
        back["content"] = fixture("message_created_incoming")["content"]
        assert hooks.post(back).json["status"] == "duplicate"
        correction = hooks.records()[-1]
        assert correction.kind == "correction"
        assert "text" not in correction.body  # stored sealed
        hooks.post("message_created_agent_bot")  # a participant.added, its name sealed
        assert hooks.records()[-2].kind == "participant.added"
        report = verify_ledger(installation)
        assert report.ok, report.problems
    finally:
        installation.engine.dispose()
