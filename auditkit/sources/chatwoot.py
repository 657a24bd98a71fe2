"""Reader for Chatwoot conversations: API objects (files) and webhook payloads (live).

Chatwoot emits two serialisations of the same objects, and this module accepts both
wherever either can appear:

- the API and websocket form (``push_event_data``): ``message_type`` as an integer
  (0 incoming, 1 outgoing, 2 activity, 3 template) and times as Unix epoch numbers;
- the webhook form (``webhook_data``): ``message_type`` as a string and times as
  date-time strings (``2021-07-23T18:02:48.000Z`` or ``2020-03-03 13:05:57 UTC``).

Either way the result is an auditkit conversation document (the JSONL line shape), run
through :func:`auditkit.sources.jsonl.parse_conversation`, so a Chatwoot conversation
meets exactly the rules of every other source. ``docs/sources/chatwoot.md`` has the
mapping table. Identities are stable across both paths: a conversation is
``chatwoot-<account>-<conversation display id>``, message 118 becomes event ``msg-118``,
so a conversation first seen live and later imported from the API does not repeat its
messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditkit.errors import ImportRejected
from auditkit.sources.jsonl import (
    format_json_path,
    parse_conversation,
    parse_timestamp,
    read_json_document,
)
from auditkit.sources.model import Conversation, Role, SourceItem

MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
"""Chatwoot's ``message_type`` enum: the API's integers and the webhook's strings."""

WEBHOOK_EVENTS = (
    "message_created",
    "message_updated",
    "conversation_created",
    "conversation_status_changed",
    "conversation_updated",
)
"""The webhook events auditkit records; any other event is refused."""

SYSTEM_PARTICIPANT = "chatwoot-system"
"""Author of automated template and outgoing messages that name no sender."""

CSAT_SCALE = 5

_SENDER_KINDS: dict[str, tuple[str, Role]] = {
    "contact": ("contact", Role.CUSTOMER),
    "user": ("user", Role.AGENT),
    "agent_bot": ("bot", Role.BOT),
    "agentbot": ("bot", Role.BOT),
    "captain_assistant": ("captain", Role.BOT),
    "captain::assistant": ("captain", Role.BOT),
}
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")
_UTC_SUFFIX = re.compile(
    r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?) ?(?:UTC|utc|\+0000|\+00:00|Z)"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_LABEL = re.compile(r"[^\s,\x00-\x1f\x7f-\x9f]{1,200}")
_MIN_EPOCH = 0
_MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z
_SAFE_INT = 2**53  # larger integers have no exact canonical JSON (RFC 8785) form

# Chatwoot's English activity texts (config/locales/en.yml, conversations.activity.*).
_RESOLVED = re.compile(r"Conversation was marked resolved by (?P<actor>.+)")
_REOPENED = re.compile(
    r"Conversation was reopened by (?P<actor>.+)"
    r"|System reopened the conversation due to a new incoming message\.?"
)
_TEAM_ASSIGNED = re.compile(r"Assigned to (?P<team>.+) team by (?P<actor>.+)")
_ASSIGNED = re.compile(r"Assigned to (?P<to>.+) by (?P<actor>.+)")
_SELF_ASSIGNED = re.compile(r"(?P<to>.+) self-assigned this conversation")
_UNASSIGNED = re.compile(r"Conversation unassigned by (?P<actor>.+)")
_LABELS = re.compile(r"(?P<actor>.+?) (?P<verb>added|removed) (?P<labels>[^\s,]+(?:, [^\s,]+)*)")


class _Refusal(Exception):
    """A Chatwoot object breaks a rule; ``path`` says where, ``reason`` what."""

    def __init__(self, path: Sequence[str | int], reason: str) -> None:
        where = format_json_path(path)
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = f"{where}: {reason}" if where else reason


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
        except _Refusal as refusal:
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


def parse_webhook(payload: object, *, source: str, received_at: datetime) -> WebhookDelivery:
    """Turn one decoded webhook payload into a validated delivery, or raise ImportRejected.

    ``source`` names the payload in errors; ``received_at`` stands in for times the
    payload does not carry.
    """
    try:
        if not isinstance(payload, dict):
            raise _Refusal([], f"expected a JSON object, got {_json_type(payload)}")
        event = payload.get("event")
        if not isinstance(event, str) or not event:
            raise _Refusal(["event"], "is required: the name of the Chatwoot webhook event")
        if event not in WEBHOOK_EVENTS:
            raise _Refusal(
                ["event"],
                f"{_short(event)} is not an event auditkit records "
                f"(subscribe the webhook to: {', '.join(WEBHOOK_EVENTS)})",
            )
        if event.startswith("message_"):
            builder, document = _message_webhook(payload, event, received_at)
        else:
            builder, document = _conversation_webhook(payload, event, received_at)
    except _Refusal as refusal:
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


# --- building a document ------------------------------------------------------------------


class _Builder:
    """Collects one conversation's participants and events as JSONL-shaped dicts."""

    def __init__(self, account: str, display_id: str, conversation: Mapping[str, Any]) -> None:
        self.account = account
        self.key = f"chatwoot-{account}-{display_id}"
        self.conversation = conversation
        self.participants: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.customer: str | None = None
        self.assignee: str | None = None
        self.status: str | None = None
        self.labels: set[str] = set()
        self.opened_at: str | None = None
        self.changed_at: str = ""
        self.deleted: list[str] = []

    def person(
        self, kind: str, raw_id: object, path: list[str | int], details: Mapping[str, Any]
    ) -> str:
        """Declare (or enrich) a participant and return its id."""
        prefix, role = _SENDER_KINDS[kind]
        pid = f"{prefix}-{_id(raw_id, path)}"
        person = self.participants.setdefault(pid, {"id": pid, "role": str(role)})
        for name, keys in (
            ("name", ("name", "available_name")),
            ("email", ("email",)),
            ("phone", ("phone_number",)),
        ):
            if name in person:
                continue
            for key in keys:
                value = _clean(details.get(key), 320 if name == "email" else 200)
                if value:
                    person[name] = value[:50] if name == "phone" else value
                    break
        return pid

    def sender(self, raw: object, path: list[str | int], *, default_kind: str | None) -> str | None:
        """The participant id of a sender object (contact, user, agent bot), or None if absent."""
        if raw is None or raw == {}:
            return None
        if not isinstance(raw, dict):
            raise _Refusal(path, f"expected an object, got {_json_type(raw)}")
        kind = _sender_kind(raw.get("type"), [*path, "type"]) or default_kind
        if kind is None:
            raise _Refusal([*path, "type"], "is required: contact, user or agent_bot")
        return self.person(kind, raw.get("id"), [*path, "id"], raw)

    def system(self) -> str:
        """The participant standing for Chatwoot itself (automations, templates)."""
        self.participants.setdefault(
            SYSTEM_PARTICIPANT, {"id": SYSTEM_PARTICIPANT, "role": "bot", "name": "Chatwoot"}
        )
        return SYSTEM_PARTICIPANT

    def agent_named(self, name: str) -> str | None:
        """The one agent or bot participant with this display name, if exactly one."""
        found = [
            pid
            for pid, person in self.participants.items()
            if person["role"] in ("agent", "bot", "supervisor") and person.get("name") == name
        ]
        return found[0] if len(found) == 1 else None

    def add(self, event: dict[str, Any]) -> None:
        """Append an event (JSONL shape, with an ``id``)."""
        self.events.append(event)

    def document(self, channel: str) -> dict[str, Any]:
        """The auditkit conversation document, events in time order."""
        if self.customer is None:
            raise _Refusal(
                ["meta", "sender"],
                "cannot tell the conversation's contact (customer): no meta.sender, contact "
                "or incoming sender",
            )
        order = sorted(
            range(len(self.events)), key=lambda i: (parse_timestamp(self.events[i]["at"]), i)
        )
        customer = self.participants[self.customer]
        others = [p for pid, p in self.participants.items() if pid != self.customer]
        document: dict[str, Any] = {
            "conversation_id": self.key,
            "channel": channel,
            "customer": self.customer,
            "participants": [customer, *others],
            "events": [self.events[i] for i in order],
        }
        labels = _labels(self.conversation.get("labels"), ["labels"])
        if labels:
            document["tags"] = labels[:100]
        return document


# --- API objects (files) ------------------------------------------------------------------


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


def _api_document(item: object) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _Refusal([], f"expected a conversation object, got {_json_type(item)}")
    messages = item.get("messages")
    if not isinstance(messages, list):
        raise _Refusal(["messages"], "is required: the conversation's messages, as a list")
    builder = _builder(
        item,
        [],
        accounts=[
            (item.get("account_id"), ["account_id"]),
            (_get(messages[0] if messages else None, "account_id"), ["messages", 0, "account_id"]),
        ],
    )
    _declare_conversation_people(builder, item, [])
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _Refusal(["messages", index], "expected a message object")
        _declare_sender(builder, message, ["messages", index])
    created = _first_time(item, ("created_at",), ["created_at"])
    times = [
        _time(m.get("created_at"), ["messages", i, "created_at"]) for i, m in enumerate(messages)
    ]
    opened = created or (min(times, key=parse_timestamp) if times else None)
    if opened is None:
        opened = _first_time(item, ("timestamp", "last_activity_at"), ["timestamp"])
    if opened is None:
        raise _Refusal(["created_at"], "is required when the conversation has no messages")
    builder.add({"id": "conversation-opened", "type": "status", "at": opened, "status": "opened"})
    builder.status = "open"
    for index, message in enumerate(messages):
        _message_events(builder, message, ["messages", index], changed_at=None)
    _reconcile_snapshot(builder, item)
    return builder.document(_channel(item.get("channel"), ["channel"]))


def _reconcile_snapshot(builder: _Builder, item: Mapping[str, Any]) -> None:
    """The API object holds the current assignee, labels and status, not their history: what
    the activity messages did not already establish is recorded at the last activity time."""
    last = max((parse_timestamp(e["at"]) for e in builder.events), default=None)
    stamp = _first_time(item, ("last_activity_at", "timestamp"), ["last_activity_at"])
    if stamp is not None and (last is None or parse_timestamp(stamp) > last):
        at = stamp
    else:
        assert last is not None
        at = _format(last)
    meta = _dict_at(item, "meta")
    assignee = _assignee(builder, meta, ["meta", "assignee"])
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
    for label in _labels(item.get("labels"), ["labels"]):
        if label not in builder.labels:
            builder.add({"id": f"label-{label}", "type": "tag", "at": at, "tag": label})
            builder.labels.add(label)
    status = item.get("status")
    if status == "resolved" and builder.status != "resolved":
        builder.add({"id": "status-resolved", "type": "status", "at": at, "status": "resolved"})


# --- webhook payloads ---------------------------------------------------------------------


def _message_webhook(
    payload: Mapping[str, Any], event: str, received_at: datetime
) -> tuple[_Builder, dict[str, Any]]:
    conversation = payload.get("conversation")
    if not isinstance(conversation, dict):
        raise _Refusal(["conversation"], "is required: the message's conversation object")
    builder = _builder(
        conversation,
        ["conversation"],
        accounts=[
            (_get(payload.get("account"), "id"), ["account", "id"]),
            (conversation.get("account_id"), ["conversation", "account_id"]),
            (payload.get("account_id"), ["account_id"]),
        ],
    )
    builder.changed_at = _first_time(
        conversation, ("updated_at",), ["conversation", "updated_at"]
    ) or _format(received_at)
    _declare_conversation_people(builder, conversation, ["conversation"])
    contact = payload.get("contact")
    if builder.customer is None and isinstance(contact, dict) and contact:
        builder.customer = builder.person("contact", contact.get("id"), ["contact", "id"], contact)
    _declare_sender(builder, payload, [])
    builder.opened_at = _first_time(conversation, ("created_at",), ["conversation", "created_at"])
    _message_events(
        builder, payload, [], changed_at=builder.changed_at if event == "message_updated" else None
    )
    return builder, builder.document(
        _channel(conversation.get("channel"), ["conversation", "channel"])
    )


def _conversation_webhook(
    payload: Mapping[str, Any], event: str, received_at: datetime
) -> tuple[_Builder, dict[str, Any]]:
    builder = _builder(
        payload,
        [],
        accounts=[
            (payload.get("account_id"), ["account_id"]),
            (_get(payload.get("account"), "id"), ["account", "id"]),
        ],
    )
    builder.changed_at = _first_time(
        payload, ("updated_at", "timestamp"), ["updated_at"]
    ) or _format(received_at)
    _declare_conversation_people(builder, payload, [])
    messages = payload.get("messages", [])
    if not isinstance(messages, list):
        raise _Refusal(["messages"], "expected a list of message objects")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _Refusal(["messages", index], "expected a message object")
        _declare_sender(builder, message, ["messages", index])
    builder.opened_at = _first_time(payload, ("created_at",), ["created_at"])
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
            raise _Refusal(["status"], "is required: the conversation's new status")
        changes["status"] = (None, status)
    for name, (before, after) in changes.items():
        _conversation_change(builder, payload, name, before, after)
    for index, message in enumerate(messages):
        _message_events(builder, message, ["messages", index], changed_at=None)
    return builder, builder.document(_channel(payload.get("channel"), ["channel"]))


def _changed_attributes(raw: object, path: list[str | int]) -> dict[str, tuple[Any, Any]]:
    """``[{"status": {"previous_value": ..., "current_value": ...}}, ...]`` as a dict."""
    if raw is None:
        return {}
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else None
    if items is None:
        raise _Refusal(path, "expected a list of {attribute: {previous_value, current_value}}")
    changes: dict[str, tuple[Any, Any]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _Refusal([*path, index], "expected an object")
        for name, change in item.items():
            if not isinstance(change, dict) or "current_value" not in change:
                raise _Refusal([*path, index, name], "expected {previous_value, current_value}")
            changes[name] = (change.get("previous_value"), change["current_value"])
    return changes


def _conversation_change(
    builder: _Builder, payload: Mapping[str, Any], name: str, before: Any, after: Any
) -> None:
    at = builder.changed_at
    where: list[str | int] = ["changed_attributes", name]
    if name == "status":
        _status_change(builder, before, after, at, where)
    elif name in ("assignee_id", "assignee_agent_bot_id"):
        kind = "user" if name == "assignee_id" else "agent_bot"
        current = _dict_at(_dict_at(payload, "meta"), "assignee")
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
        team = _dict_at(_dict_at(payload, "meta"), "team")
        fields: dict[str, Any] = {
            "from": _optional_id(before, [*where, "previous_value"]),
            "to": _optional_id(after, [*where, "current_value"]),
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
        old = set(_labels(before, [*where, "previous_value"]))
        new = _labels(after, [*where, "current_value"])
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
    # Other attributes (priority, snoozed_until, custom_attributes, waiting_since, ...) are not
    # events of the conversation's record; the delivery is accepted and appends nothing for them.


def _status_change(
    builder: _Builder, before: Any, after: Any, at: str, where: list[str | int]
) -> None:
    if not isinstance(after, str) or not after:
        raise _Refusal(
            [*where, "current_value"], "expected a status (open, resolved, pending, snoozed)"
        )
    if before is not None and not isinstance(before, str):
        raise _Refusal([*where, "previous_value"], "expected a status or null")
    event_id = f"status-{before}-{after}@{at}"
    if after == "resolved":
        builder.add({"id": event_id, "type": "status", "at": at, "status": "resolved"})
    elif after == "open" and before == "resolved":
        builder.add({"id": event_id, "type": "status", "at": at, "status": "reopened"})
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


# --- shared pieces ------------------------------------------------------------------------


def _builder(
    conversation: Mapping[str, Any],
    path: list[str | int],
    *,
    accounts: Sequence[tuple[object, list[str | int]]],
) -> _Builder:
    """A builder keyed by the conversation's account and display id.

    ``accounts`` lists where the account id may be, in order of preference, with its path.
    """
    key = "display_id" if conversation.get("display_id") is not None else "id"
    display_id = _id(conversation.get(key), [*path, key])
    for value, where in accounts:
        if value is not None:
            return _Builder(_id(value, where), display_id, conversation)
    where = accounts[0][1] if accounts else ["account_id"]
    raise _Refusal(
        where,
        "is required: the Chatwoot account, part of the conversation key "
        "chatwoot-<account>-<conversation>",
    )


def _dict_at(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``obj[key]`` when it is a JSON object, else an empty one."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def _get(obj: object, key: str) -> object:
    return obj.get(key) if isinstance(obj, dict) else None


def _declare_conversation_people(
    builder: _Builder, conversation: Mapping[str, Any], path: list[str | int]
) -> None:
    meta = conversation.get("meta")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise _Refusal([*path, "meta"], "expected an object")
    contact = meta.get("sender")
    if isinstance(contact, dict) and contact:
        builder.customer = builder.person(
            "contact", contact.get("id"), [*path, "meta", "sender", "id"], contact
        )
    elif isinstance(conversation.get("contact_inbox"), dict):
        inbox = conversation["contact_inbox"]
        if inbox.get("contact_id") is not None:
            builder.customer = builder.person(
                "contact", inbox["contact_id"], [*path, "contact_inbox", "contact_id"], {}
            )
    _assignee(builder, meta, [*path, "meta", "assignee"])


def _assignee(builder: _Builder, meta: Mapping[str, Any], path: list[str | int]) -> str | None:
    assignee = meta.get("assignee")
    if not isinstance(assignee, dict) or not assignee:
        return None
    kind = _sender_kind(assignee.get("type"), [*path, "type"]) or "user"
    if meta.get("assignee_type") == "AgentBot":
        kind = "agent_bot"
    return builder.person(kind, assignee.get("id"), [*path, "id"], assignee)


def _declare_sender(builder: _Builder, message: Mapping[str, Any], path: list[str | int]) -> None:
    """Declare the sender of a message first, so activity texts can name known agents."""
    _author(builder, message, path, _message_type(message.get("message_type"), path))


def _author(
    builder: _Builder, message: Mapping[str, Any], path: list[str | int], kind: str
) -> str | None:
    default = {"incoming": "contact", "outgoing": "user"}.get(kind)
    author = builder.sender(message.get("sender"), [*path, "sender"], default_kind=default)
    if author is None and message.get("sender_id") is not None and message.get("sender_type"):
        sender_kind = _sender_kind(message["sender_type"], [*path, "sender_type"])
        if sender_kind is not None:
            author = builder.person(sender_kind, message["sender_id"], [*path, "sender_id"], {})
    if author is None and kind == "incoming":
        if builder.customer is None:
            raise _Refusal([*path, "sender"], "an incoming message needs its contact")
        author = builder.customer
    if builder.customer is None and author is not None and author.startswith("contact-"):
        builder.customer = author
    return author


def _message_events(
    builder: _Builder, message: Mapping[str, Any], path: list[str | int], *, changed_at: str | None
) -> None:
    """The events one Chatwoot message stands for (a message, a note, a CSAT answer, ...)."""
    mid = _id(message.get("id"), [*path, "id"])
    kind = _message_type(message.get("message_type"), path)
    at = _time(message.get("created_at"), [*path, "created_at"])
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise _Refusal([*path, "content"], f"expected a string or null, got {_json_type(content)}")
    text = content or ""
    private = message.get("private", False)
    if private is not None and not isinstance(private, bool):
        raise _Refusal([*path, "private"], f"expected true or false, got {_json_type(private)}")
    attributes = message.get("content_attributes") or {}
    if not isinstance(attributes, dict):
        raise _Refusal([*path, "content_attributes"], "expected an object")
    content_type = message.get("content_type")
    event_id = f"msg-{mid}"
    if attributes.get("deleted") is True:
        builder.deleted.append(event_id)

    if kind == "activity":
        _activity(builder, event_id, at, text)
    else:
        author = _author(builder, message, path, kind) or builder.system()
        event_type = "internal_note" if private else "message"
        builder.add({"id": event_id, "type": event_type, "at": at, "author": author, "text": text})
        attachments = message.get("attachments")
        if isinstance(attachments, list) and attachments:
            builder.add(
                {
                    "id": f"{event_id}.attachments",
                    "type": "action",
                    "at": at,
                    "name": "attachment",
                    "actor": author,
                    "fields": {
                        "message": event_id,
                        "attachments": [_attachment(a) for a in attachments[:50]],
                    },
                }
            )
    if content_type == "input_csat":
        response = _csat_response(attributes, [*path, "content_attributes"])
        if response is not None:
            answered = (
                changed_at or _first_time(message, ("updated_at",), [*path, "updated_at"]) or at
            )
            if parse_timestamp(answered) < parse_timestamp(at):
                answered = at
            csat: dict[str, Any] = {"id": f"{event_id}.csat", "type": "csat", "at": answered}
            csat.update(response)
            builder.add(csat)


def _csat_response(attributes: Mapping[str, Any], path: list[str | int]) -> dict[str, Any] | None:
    submitted = attributes.get("submitted_values")
    if not isinstance(submitted, dict):
        return None
    response = submitted.get("csat_survey_response")
    if not isinstance(response, dict) or response.get("rating") is None:
        return None
    where = [*path, "submitted_values", "csat_survey_response"]
    rating = response["rating"]
    if isinstance(rating, str) and rating.isdigit():
        rating = int(rating)
    if (
        isinstance(rating, bool)
        or not isinstance(rating, int | float)
        or not 0 <= rating <= CSAT_SCALE
    ):
        raise _Refusal([*where, "rating"], f"expected a number from 0 to {CSAT_SCALE}")
    result: dict[str, Any] = {"score": rating, "scale": CSAT_SCALE}
    feedback = response.get("feedback_message")
    if isinstance(feedback, str) and feedback:
        result["comment"] = feedback
    return result


def _attachment(raw: object) -> dict[str, Any]:
    """What an attachment was (type, extension, size), not its expiring download URL."""
    if not isinstance(raw, dict):
        return {}
    kept: dict[str, Any] = {}
    for key in ("id", "file_type", "extension", "file_size"):
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _SAFE_INT:
            kept[key] = value
        elif isinstance(value, str) and (text := _clean(value, 200)):
            kept[key] = text
    return kept


def _activity(builder: _Builder, event_id: str, at: str, text: str) -> None:
    """An activity message: a status, assignment or label change when its (English) text says
    which; otherwise kept verbatim as an ``activity`` action."""
    line = text.strip()
    if _RESOLVED.fullmatch(line):
        builder.add({"id": event_id, "type": "status", "at": at, "status": "resolved"})
        builder.status = "resolved"
        return
    if _REOPENED.fullmatch(line):
        builder.add({"id": event_id, "type": "status", "at": at, "status": "reopened"})
        builder.status = "open"
        return
    if not _TEAM_ASSIGNED.fullmatch(line):
        match = _ASSIGNED.fullmatch(line) or _SELF_ASSIGNED.fullmatch(line)
        if match:
            to = builder.agent_named(match.group("to"))
            if to is not None:
                builder.add(
                    {
                        "id": event_id,
                        "type": "assignment",
                        "at": at,
                        "from": builder.assignee,
                        "to": to,
                        "reason": line[:1000],
                    }
                )
                builder.assignee = to
                return
    if _UNASSIGNED.fullmatch(line) and builder.assignee is not None:
        builder.add(
            {
                "id": event_id,
                "type": "action",
                "at": at,
                "name": "unassign",
                "fields": {"from": builder.assignee, "content": line},
            }
        )
        builder.assignee = None
        return
    labels = _LABELS.fullmatch(line)
    if labels and builder.agent_named(labels.group("actor")) is not None:
        for index, label in enumerate(labels.group("labels").split(", ")):
            if labels.group("verb") == "added":
                builder.add({"id": f"{event_id}.{index}", "type": "tag", "at": at, "tag": label})
                builder.labels.add(label)
            else:
                builder.add(
                    {
                        "id": f"{event_id}.{index}",
                        "type": "action",
                        "at": at,
                        "name": "untag",
                        "fields": {"tag": label},
                    }
                )
                builder.labels.discard(label)
        return
    builder.add(
        {
            "id": event_id,
            "type": "action",
            "at": at,
            "name": "activity",
            "fields": {"content": text},
        }
    )


def _message_type(raw: object, path: list[str | int]) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw in MESSAGE_TYPES:
        return MESSAGE_TYPES[raw]
    if isinstance(raw, str) and raw in MESSAGE_TYPES.values():
        return raw
    known = ", ".join(f"{name} ({number})" for number, name in MESSAGE_TYPES.items())
    if raw is None:
        raise _Refusal([*path, "message_type"], f"is required: one of {known}")
    raise _Refusal([*path, "message_type"], f"{_short(raw)} is not one of {known}")


def _sender_kind(raw: object, path: list[str | int]) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or raw.lower() not in _SENDER_KINDS:
        raise _Refusal(path, f"{_short(raw)} is not one of contact, user, agent_bot")
    return raw.lower()


def _id(raw: object, path: list[str | int]) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return str(raw)
    if isinstance(raw, str) and _ID.fullmatch(raw):
        return raw
    if raw is None:
        raise _Refusal(path, "is required")
    raise _Refusal(path, f"{_short(raw)} is not a Chatwoot id (a number)")


def _optional_id(raw: object, path: list[str | int]) -> str | None:
    return None if raw is None else _id(raw, path)


def _time(raw: object, path: list[str | int]) -> str:
    """An RFC 3339 UTC time from an epoch number or either of Chatwoot's date-time strings."""
    if isinstance(raw, bool) or raw is None:
        raise _Refusal(path, "is required: a time (epoch seconds or a date-time)")
    if isinstance(raw, int | float):
        if not _MIN_EPOCH <= raw <= _MAX_EPOCH:
            raise _Refusal(path, f"{_short(raw)} is not a time in epoch seconds")
        return _format(datetime.fromtimestamp(raw, UTC))
    if isinstance(raw, str):
        if raw.isdigit():
            return _time(int(raw), path)
        match = _UTC_SUFFIX.fullmatch(raw)
        candidate = f"{match.group(1)}T{match.group(2)}Z" if match else raw
        try:
            return _format(parse_timestamp(candidate))
        except ValueError:
            raise _Refusal(path, f"{_short(raw)} is not a date-time with a time zone") from None
    raise _Refusal(path, f"expected a time, got {_json_type(raw)}")


def _first_time(obj: Mapping[str, Any], keys: Sequence[str], path: list[str | int]) -> str | None:
    """The first of ``keys`` that holds a usable (non-zero) time, formatted; None if none."""
    for key in keys:
        value = obj.get(key)
        if value is None or value == 0 or value == "":
            continue
        return _time(value, [*path[:-1], key])
    return None


def _format(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def _channel(raw: object, path: list[str | int]) -> str:
    """``Channel::WebWidget`` becomes ``web_widget``; no channel is ``chatwoot``."""
    if raw is None or raw == "":
        return "chatwoot"
    if not isinstance(raw, str):
        raise _Refusal(path, f"expected a string, got {_json_type(raw)}")
    name = raw.removeprefix("Channel::")
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    cleaned = _clean(snake, 100)
    if not cleaned:
        raise _Refusal(path, f"{_short(raw)} is not a channel name")
    return cleaned


def _labels(raw: object, path: list[str | int]) -> list[str]:
    """Labels from a list or Chatwoot's comma-separated ``cached_label_list`` string."""
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list):
        raise _Refusal(path, "expected a list of labels")
    labels: list[str] = []
    for index, label in enumerate(raw):
        if not isinstance(label, str) or not _LABEL.fullmatch(label):
            raise _Refusal([*path, index], f"{_short(label)} is not a label")
        if label not in labels:
            labels.append(label)
    return labels


def _clean(value: object, limit: int) -> str | None:
    """A display value with control characters turned into spaces, clipped to ``limit``."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub(" ", value).strip()
    return text[:limit] or None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"
