"""Chatwoot webhook payloads (message and conversation events) into one conversation's events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from auditkit.sources.chatwoot.fields import (
    DocumentBuilder,
    Refusal,
    clean_text,
    declare_conversation_people,
    declare_sender,
    dict_at,
    field_of,
    first_time_of,
    format_moment,
    message_events,
    new_builder,
    optional_id,
    parse_channel,
    parse_labels,
)


def message_webhook(
    payload: Mapping[str, Any], event: str, received_at: datetime, account: str | None = None
) -> tuple[DocumentBuilder, dict[str, Any]]:
    """A ``message_created`` / ``message_updated`` payload (``Message#webhook_data``)."""
    conversation = payload.get("conversation")
    if not isinstance(conversation, dict):
        raise Refusal(["conversation"], "is required: the message's conversation object")
    builder = new_builder(
        conversation,
        ["conversation"],
        accounts=[
            (field_of(payload.get("account"), "id"), ["account", "id"]),
            (conversation.get("account_id"), ["conversation", "account_id"]),
            (payload.get("account_id"), ["account_id"]),
        ],
        configured=account,
    )
    builder.changed_at = first_time_of(
        conversation, ("updated_at",), ["conversation", "updated_at"]
    ) or format_moment(received_at)
    declare_conversation_people(builder, conversation, ["conversation"])
    contact = payload.get("contact")
    if builder.customer is None and isinstance(contact, dict) and contact:
        builder.customer = builder.person("contact", contact.get("id"), ["contact", "id"], contact)
    declare_sender(builder, payload, [])
    builder.opened_at = first_time_of(conversation, ("created_at",), ["conversation", "created_at"])
    message_events(
        builder, payload, [], changed_at=builder.changed_at if event == "message_updated" else None
    )
    return builder, builder.document(
        parse_channel(conversation.get("channel"), ["conversation", "channel"])
    )


def conversation_webhook(
    payload: Mapping[str, Any], event: str, received_at: datetime, account: str | None = None
) -> tuple[DocumentBuilder, dict[str, Any]]:
    """A conversation event: ``Conversation#webhook_data`` (the presenter's ``push_data``)
    plus ``event`` and, for updates, ``changed_attributes``."""
    messages = payload.get("messages", [])
    embedded = messages[0] if isinstance(messages, list) and messages else None
    builder = new_builder(
        payload,
        [],
        accounts=[
            (payload.get("account_id"), ["account_id"]),
            (field_of(payload.get("account"), "id"), ["account", "id"]),
            (field_of(embedded, "account_id"), ["messages", 0, "account_id"]),
        ],
        configured=account,
    )
    builder.changed_at = first_time_of(
        payload, ("updated_at", "timestamp"), ["updated_at"]
    ) or format_moment(received_at)
    declare_conversation_people(builder, payload, [])
    messages = payload.get("messages", [])
    if not isinstance(messages, list):
        raise Refusal(["messages"], "expected a list of message objects")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise Refusal(["messages", index], "expected a message object")
        declare_sender(builder, message, ["messages", index])
    builder.opened_at = first_time_of(payload, ("created_at",), ["created_at"])
    if event == "conversation_created":
        builder.add(
            {
                "id": "conversation-opened",
                "type": "status",
                "at": builder.opened_at or builder.changed_at,
                "status": "opened",
            }
        )
    changes = _changed_attributes(payload.get("changed_attributes"), ["changed_attributes"])
    if event == "conversation_status_changed" and "status" not in changes:
        status = payload.get("status")
        if not isinstance(status, str):
            raise Refusal(["status"], "is required: the conversation's new status")
        changes["status"] = (None, status)
    for name, (before, after) in changes.items():
        _conversation_change(builder, payload, name, before, after)
    for index, message in enumerate(messages):
        message_events(builder, message, ["messages", index], changed_at=None)
    return builder, builder.document(parse_channel(payload.get("channel"), ["channel"]))


def _changed_attributes(raw: object, path: list[str | int]) -> dict[str, tuple[Any, Any]]:
    """``[{"status": {"previous_value": ..., "current_value": ...}}, ...]`` as a dict."""
    if raw is None:
        return {}
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else None
    if items is None:
        raise Refusal(path, "expected a list of {attribute: {previous_value, current_value}}")
    changes: dict[str, tuple[Any, Any]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise Refusal([*path, index], "expected an object")
        for name, change in item.items():
            if not isinstance(change, dict) or "current_value" not in change:
                raise Refusal([*path, index, name], "expected {previous_value, current_value}")
            changes[name] = (change.get("previous_value"), change["current_value"])
    return changes


def _conversation_change(
    builder: DocumentBuilder, payload: Mapping[str, Any], name: str, before: Any, after: Any
) -> None:
    at = builder.changed_at
    where: list[str | int] = ["changed_attributes", name]
    if name == "status":
        _status_change(builder, payload, before, after, at, where)
    elif name in ("assignee_id", "assignee_agent_bot_id"):
        kind = "user" if name == "assignee_id" else "agent_bot"
        current = dict_at(dict_at(payload, "meta"), "assignee")
        previous = (
            None if before is None else builder.person(kind, before, [*where, "previous_value"], {})
        )
        if after is None:
            if previous is not None:
                builder.add(
                    {
                        "id": f"unassign-{previous}@{at}",
                        "type": "action",
                        "at": at,
                        "name": "unassign",
                        "fields": {"from": previous},
                    }
                )
            return
        details = current if str(current.get("id")) == str(after) else {}
        to = builder.person(kind, after, [*where, "current_value"], details)
        builder.add(
            {
                "id": f"assign-{previous}-{to}@{at}",
                "type": "assignment",
                "at": at,
                "from": previous,
                "to": to,
            }
        )
    elif name == "team_id":
        team = dict_at(dict_at(payload, "meta"), "team")
        fields: dict[str, Any] = {
            "from": optional_id(before, [*where, "previous_value"]),
            "to": optional_id(after, [*where, "current_value"]),
        }
        if isinstance(team.get("name"), str) and str(team.get("id")) == str(after):
            fields["team"] = team["name"]
        builder.add(
            {
                "id": f"team-{before}-{after}@{at}",
                "type": "action",
                "at": at,
                "name": "team-assigned" if after is not None else "team-unassigned",
                "fields": fields,
            }
        )
    elif name == "label_list":
        old = set(parse_labels(before, [*where, "previous_value"]))
        new = parse_labels(after, [*where, "current_value"])
        for label in new:
            if label not in old:
                builder.add({"id": f"label-{label}@{at}", "type": "tag", "at": at, "tag": label})
        for label in sorted(old - set(new)):
            builder.add(
                {
                    "id": f"unlabel-{label}@{at}",
                    "type": "action",
                    "at": at,
                    "name": "untag",
                    "fields": {"tag": label},
                }
            )


STATUSES = ("open", "resolved", "pending", "snoozed")
"""Chatwoot's conversation statuses (``Conversation.statuses``)."""


def legacy_event_keys(event_key: str) -> list[str]:
    """The keys versions before issue 20 gave the status change keyed ``event_key`` now.

    They keyed a change ``status-<old>-<new>@<t>``, with ``None`` for an old status the
    payload did not give; now it is ``status-<new>@<t>``. A delivery of a change such a
    version recorded must find it under the old key, or it would be recorded again.
    """
    prefix = "id:status-"
    if not event_key.startswith(prefix):
        return []
    new, at_sign, when = event_key[len(prefix) :].partition("@")
    if not at_sign or "-" in new:  # statuses have no '-': this is an old-style key itself
        return []
    return [f"{prefix}{old}-{new}@{when}" for old in ("None", *STATUSES)]


def with_legacy_keys(
    wanted: Mapping[str, Sequence[str]],
) -> tuple[dict[str, list[str]], dict[tuple[str, str], tuple[str, str]]]:
    """The event keys to look up by conversation, old-style status keys added, and what each
    added (conversation, old key) stands for."""
    asked = {key: list(keys) for key, keys in wanted.items()}
    aliases: dict[tuple[str, str], tuple[str, str]] = {}
    for key, keys in wanted.items():
        for event_key in keys:
            for old in legacy_event_keys(event_key):
                aliases[(key, old)] = (key, event_key)
                asked[key].append(old)
    return asked, aliases


def _status_change(
    builder: DocumentBuilder,
    payload: Mapping[str, Any],
    before: Any,
    after: Any,
    at: str,
    where: list[str | int],
) -> None:
    """One status change, keyed by the new status and the time only: the
    ``conversation_status_changed`` and ``conversation_updated`` deliveries of one change
    (with or without ``changed_attributes``, so with or without the old status) are one
    record."""
    if not isinstance(after, str) or not after:
        raise Refusal(
            [*where, "current_value"], "expected a status (open, resolved, pending, snoozed)"
        )
    if before is not None and not isinstance(before, str):
        raise Refusal([*where, "previous_value"], "expected a status or null")
    event_id = f"status-{after}@{at}"
    if after == "resolved":
        builder.add({"id": event_id, "type": "status", "at": at, "status": "resolved"})
    elif after == "open" and before == "resolved":
        builder.add({"id": event_id, "type": "status", "at": at, "status": "reopened"})
    elif after == "open" and before == "pending":
        # Chatwoot's bot handoff (Conversation#bot_handoff!): the agent bot had the
        # conversation (pending) and hands it to the human agents (open).
        builder.add(_handoff(builder, payload, event_id, at))
    else:
        builder.add(
            {
                "id": event_id,
                "type": "action",
                "at": at,
                "name": "status-change",
                "fields": {"from": before, "to": after},
            }
        )


def _handoff(
    builder: DocumentBuilder, payload: Mapping[str, Any], event_id: str, at: str
) -> dict[str, Any]:
    """The bot-to-human handoff as an escalation: by the one agent bot the payload names (if
    exactly one), to the conversation's team (else the human agents)."""
    bots = [
        pid
        for pid, person in builder.participants.items()
        if person["role"] == "bot" and pid.startswith(("bot-", "captain-"))
    ]
    team = clean_text(dict_at(dict_at(payload, "meta"), "team").get("name"), 200)
    event: dict[str, Any] = {
        "id": event_id,
        "type": "escalation",
        "at": at,
        "to": team or "human agents",
        "reason": "bot handoff: status pending -> open",
    }
    if len(bots) == 1:
        event["by"] = bots[0]
    return event
