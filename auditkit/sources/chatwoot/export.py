"""Chatwoot: conversation API exports (files) and webhook deliveries into auditkit's event model."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from auditkit.errors import ImportRejected
from auditkit.sources.chatwoot.fields import (
    DocumentBuilder,
    Refusal,
    assignee_of,
    declare_conversation_people,
    declare_sender,
    dict_at,
    field_of,
    first_time_of,
    format_moment,
    message_events,
    new_builder,
    parse_channel,
    parse_labels,
    parse_time_at,
)
from auditkit.sources.chatwoot.webhooks import conversation_webhook, message_webhook
from auditkit.sources.jsonl import (
    json_type,
    parse_conversation,
    parse_timestamp,
    read_json_document,
    shorten,
)
from auditkit.sources.model import Conversation, SourceItem

WEBHOOK_EVENTS = (
    "message_created",
    "message_updated",
    "conversation_created",
    "conversation_status_changed",
    "conversation_updated",
)
"""The webhook events auditkit records; any other event is refused."""


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook payload turned into auditkit terms.

    ``conversation`` holds the participants the payload names and only the events this
    delivery carries (already validated like any import). ``revisable`` is true for
    ``message_updated``: its events are new versions of ones that may already be recorded,
    and the service appends a ``correction`` when they differ. ``changed_at`` is the best
    time the payload gives for the change itself (the conversation's ``updated_at``).
    """

    event: str
    account: str
    conversation: Conversation
    opened_at: datetime | None
    changed_at: datetime
    revisable: bool = False
    deleted: frozenset[str] = field(default_factory=frozenset)


def read_chatwoot(path: Path) -> Iterator[SourceItem]:
    """Yield each conversation of a Chatwoot JSON file (API conversation objects with messages)."""
    return parse_chatwoot(read_json_document(path), source=str(path))


def looks_like_chatwoot(data: object) -> bool:
    """Whether decoded JSON has the shape :func:`parse_chatwoot` reads (for format detection)."""
    items = _conversation_items(data)
    if not items:
        return False
    return all(
        isinstance(item, dict) and isinstance(item.get("messages"), list) and "inbox_id" in item
        for item in items
    )


def parse_chatwoot(data: object, *, source: str) -> Iterator[SourceItem]:
    """Yield each conversation of decoded Chatwoot data; ``source`` names the input in errors.

    Accepted shapes: one conversation object, a list of them, or the list endpoint's
    ``{"data": {"payload": [...]}}`` / ``{"payload": [...]}``. Each conversation's
    1-based position is the ``line`` of an error; line 0 means the whole file.
    """
    if _is_list_endpoint(data):
        raise ImportRejected(
            source=source,
            line=0,
            reason="data.payload: this is Chatwoot's conversation list (GET /api/v1/accounts/"
            "{account}/conversations), which holds only each conversation's last message, not"
            " its history; export each conversation with its messages instead (GET"
            " …/conversations/{id}/messages, see docs/sources/chatwoot.md)",
        )
    items = _conversation_items(data)
    if items is None:
        raise ImportRejected(
            source=source,
            line=0,
            reason="expected a Chatwoot conversation object (with messages), a list of them, "
            'or {"payload": [...]}',
        )
    first_seen: dict[str, int] = {}
    for line, item in enumerate(items, start=1):
        try:
            document = _api_document(item)
        except Refusal as refusal:
            raise ImportRejected(source=source, line=line, reason=refusal.reason) from None
        key = document["conversation_id"]
        if key in first_seen:
            raise ImportRejected(
                source=source,
                line=line,
                reason=f"id: conversation {key!r} already appears in item {first_seen[key]}",
            )
        first_seen[key] = line
        conversation = parse_conversation(document, source=source, line=line)
        yield SourceItem(source=source, line=line, conversation=conversation)


def parse_webhook(
    payload: object, *, source: str, received_at: datetime, account: str | None = None
) -> WebhookDelivery:
    """Turn one decoded webhook payload into a validated delivery, or raise ImportRejected.

    ``source`` names the payload in errors; ``received_at`` stands in for times the
    payload does not carry; ``account`` is the source's configured Chatwoot account, for
    payloads that name none (and to refuse one that names another).
    """
    try:
        if not isinstance(payload, dict):
            raise Refusal([], f"expected a JSON object, got {json_type(payload)}")
        event = payload.get("event")
        if not isinstance(event, str) or not event:
            raise Refusal(["event"], "is required: the name of the Chatwoot webhook event")
        if event not in WEBHOOK_EVENTS:
            raise Refusal(
                ["event"],
                f"{shorten(event)} is not an event auditkit records "
                f"(subscribe the webhook to: {', '.join(WEBHOOK_EVENTS)})",
            )
        if event.startswith("message_"):
            builder, document = message_webhook(payload, event, received_at, account)
        else:
            builder, document = conversation_webhook(payload, event, received_at, account)
    except Refusal as refusal:
        raise ImportRejected(source=source, line=0, reason=refusal.reason) from None
    conversation = parse_conversation(document, source=source, line=0)
    return WebhookDelivery(
        event=event,
        account=builder.account,
        conversation=conversation,
        opened_at=parse_timestamp(builder.opened_at) if builder.opened_at else None,
        changed_at=parse_timestamp(builder.changed_at),
        revisable=event == "message_updated",
        deleted=frozenset(builder.deleted),
    )


_LIST_COUNTS = ("mine_count", "unassigned_count", "all_count")
"""The counts ``conversations/index.json.jbuilder`` puts in the list's ``data.meta``."""


def _is_list_endpoint(data: object) -> bool:
    """Whether ``data`` is the conversation list endpoint's answer, as Chatwoot sends it."""
    inner = data.get("data") if isinstance(data, dict) else None
    meta = inner.get("meta") if isinstance(inner, dict) else None
    return (
        isinstance(inner, dict)
        and isinstance(inner.get("payload"), list)
        and isinstance(meta, dict)
        and any(key in meta for key in _LIST_COUNTS)
    )


def _conversation_items(data: object) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        inner = data.get("data")
        if isinstance(inner, dict) and isinstance(inner.get("payload"), list):
            return list(inner["payload"])
        if isinstance(data.get("payload"), list):
            return list(data["payload"])
        if "messages" in data:
            return [data]
    return None


_PRESENTER_ONLY = ("last_non_activity_message", "unread_count")
"""Keys only the conversation partial (``conversations/partials/_conversation.json.jbuilder``)
writes: what ``GET …/conversations/{id}`` and the list answer, with the last message only."""


def _api_document(item: object) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise Refusal([], f"expected a conversation object, got {json_type(item)}")
    messages = item.get("messages")
    if not isinstance(messages, list):
        raise Refusal(["messages"], "is required: the conversation's messages, as a list")
    if len(messages) == 1 and any(key in item for key in _PRESENTER_ONLY):
        # The partial renders ``[messages.last]``: one message, whatever the history. With
        # no message at all it renders [] (then there is none to lose).
        raise Refusal(
            ["messages"],
            "holds one message in Chatwoot's conversation object as GET /api/v1/accounts/"
            "{account}/conversations/{id} (or the list) returns it, which carries only the "
            "conversation's last message, not its history: add the messages from GET "
            "…/conversations/{id}/messages and drop last_non_activity_message and "
            "unread_count (see docs/sources/chatwoot.md)",
        )
    builder = new_builder(
        item,
        [],
        accounts=[
            (item.get("account_id"), ["account_id"]),
            (
                field_of(messages[0] if messages else None, "account_id"),
                ["messages", 0, "account_id"],
            ),
        ],
    )
    declare_conversation_people(builder, item, [])
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise Refusal(["messages", index], "expected a message object")
        declare_sender(builder, message, ["messages", index])
    created = first_time_of(item, ("created_at",), ["created_at"])
    times = [
        parse_time_at(m.get("created_at"), ["messages", i, "created_at"])
        for i, m in enumerate(messages)
    ]
    opened = created or (min(times, key=parse_timestamp) if times else None)
    if opened is None:
        opened = first_time_of(item, ("timestamp", "last_activity_at"), ["timestamp"])
    if opened is None:
        raise Refusal(["created_at"], "is required when the conversation has no messages")
    builder.add({"id": "conversation-opened", "type": "status", "at": opened, "status": "opened"})
    builder.status = "open"
    for index, message in enumerate(messages):
        message_events(builder, message, ["messages", index], changed_at=None)
    _reconcile_snapshot(builder, item)
    return builder.document(parse_channel(item.get("channel"), ["channel"]))


def _reconcile_snapshot(builder: DocumentBuilder, item: Mapping[str, Any]) -> None:
    """The API object holds the current assignee, labels and status, not their history: what
    the activity messages did not already establish is recorded at the last activity time."""
    last = max((parse_timestamp(e["at"]) for e in builder.events), default=None)
    stamp = first_time_of(item, ("last_activity_at", "timestamp"), ["last_activity_at"])
    if stamp is not None and (last is None or parse_timestamp(stamp) > last):
        at = stamp
    else:
        assert last is not None
        at = format_moment(last)
    meta = dict_at(item, "meta")
    assignee = assignee_of(builder, meta, ["meta", "assignee"])
    if assignee is not None and assignee != builder.assignee:
        builder.add(
            {
                "id": f"assignee-{assignee}",
                "type": "assignment",
                "at": at,
                "from": builder.assignee,
                "to": assignee,
                "reason": "assignee when exported",
            }
        )
        builder.assignee = assignee
    for label in parse_labels(item.get("labels"), ["labels"]):
        if label not in builder.labels:
            builder.add({"id": f"label-{label}", "type": "tag", "at": at, "tag": label})
            builder.labels.add(label)
    status = item.get("status")
    if status == "resolved" and builder.status != "resolved":
        builder.add({"id": "status-resolved", "type": "status", "at": at, "status": "resolved"})
