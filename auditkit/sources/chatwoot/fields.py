"""Building one Chatwoot conversation's document: people, messages, activities, and field parsing."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from auditkit.ledger.conversation import ParticipantRole
from auditkit.sources.jsonl import (
    format_json_path,
    json_type,
    parse_timestamp,
    shorten,
)

MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
"""Chatwoot's ``message_type`` enum: the API's integers and the webhook's strings."""


SYSTEM_PARTICIPANT = "chatwoot-system"
"""Author of automated template and outgoing messages that name no sender."""


CSAT_SCALE = 5


_SENDER_KINDS: dict[str, tuple[str, ParticipantRole]] = {
    "contact": ("contact", ParticipantRole.CUSTOMER),
    "user": ("user", ParticipantRole.AGENT),
    "agent_bot": ("bot", ParticipantRole.BOT),
    "agentbot": ("bot", ParticipantRole.BOT),
    "captain_assistant": ("captain", ParticipantRole.BOT),
    "captain::assistant": ("captain", ParticipantRole.BOT),
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


class Refusal(Exception):
    """A Chatwoot object breaks a rule; ``path`` says where, ``reason`` what."""

    def __init__(self, path: Sequence[str | int], reason: str) -> None:
        where = format_json_path(path)
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = f"{where}: {reason}" if where else reason


class DocumentBuilder:
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
                value = clean_text(details.get(key), 320 if name == "email" else 200)
                if value:
                    person[name] = value[:50] if name == "phone" else value
                    break
        return pid

    def sender(self, raw: object, path: list[str | int], *, default_kind: str | None) -> str | None:
        """The participant id of a sender object (contact, user, agent bot), or None if absent."""
        if raw is None or raw == {}:
            return None
        if not isinstance(raw, dict):
            raise Refusal(path, f"expected an object, got {json_type(raw)}")
        kind = _sender_kind(raw.get("type"), [*path, "type"]) or default_kind
        if kind is None:
            raise Refusal([*path, "type"], "is required: contact, user or agent_bot")
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
            raise Refusal(
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
        labels = parse_labels(self.conversation.get("labels"), ["labels"])
        if labels:
            document["tags"] = labels[:100]
        return document


def new_builder(
    conversation: Mapping[str, Any],
    path: list[str | int],
    *,
    accounts: Sequence[tuple[object, list[str | int]]],
    configured: str | None = None,
) -> DocumentBuilder:
    """A builder keyed by the conversation's account and display id.

    ``accounts`` lists where the payload may name the account, in order of preference,
    with its path; ``configured`` is the account of the source the payload came through
    (``AUDITKIT_WEBHOOK_ACCOUNTS``), used when the payload names none. Chatwoot's
    conversation events, built by ``Conversations::EventDataPresenter``, carry no
    ``account_id``: only their embedded message (when there is one) does.
    """
    key = "display_id" if conversation.get("display_id") is not None else "id"
    display_id = _id(conversation.get(key), [*path, key])
    for value, where in accounts:
        if value is not None:
            account = _id(value, where)
            if configured is not None and account != configured:
                raise Refusal(
                    where,
                    f"account {account} is not the account of this source ({configured},"
                    " AUDITKIT_WEBHOOK_ACCOUNTS)",
                )
            return DocumentBuilder(account, display_id, conversation)
    if configured is not None:
        return DocumentBuilder(configured, display_id, conversation)
    where = accounts[0][1] if accounts else ["account_id"]
    raise Refusal(
        where,
        "is required: the Chatwoot account, part of the conversation key "
        "chatwoot-<account>-<conversation>; Chatwoot's conversation events carry none, so"
        " set the source's account in AUDITKIT_WEBHOOK_ACCOUNTS (SOURCE=ACCOUNT_ID)",
    )


def dict_at(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``obj[key]`` when it is a JSON object, else an empty one."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def field_of(obj: object, key: str) -> object:
    return obj.get(key) if isinstance(obj, dict) else None


def declare_conversation_people(
    builder: DocumentBuilder, conversation: Mapping[str, Any], path: list[str | int]
) -> None:
    meta = conversation.get("meta")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise Refusal([*path, "meta"], "expected an object")
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
    assignee_of(builder, meta, [*path, "meta", "assignee"])


def assignee_of(
    builder: DocumentBuilder, meta: Mapping[str, Any], path: list[str | int]
) -> str | None:
    assignee = meta.get("assignee")
    if not isinstance(assignee, dict) or not assignee:
        return None
    kind = _sender_kind(assignee.get("type"), [*path, "type"]) or "user"
    if meta.get("assignee_type") == "AgentBot":
        kind = "agent_bot"
    return builder.person(kind, assignee.get("id"), [*path, "id"], assignee)


def declare_sender(
    builder: DocumentBuilder, message: Mapping[str, Any], path: list[str | int]
) -> None:
    """Declare the sender of a message first, so activity texts can name known agents."""
    _author(builder, message, path, _message_type(message.get("message_type"), path))


def _author(
    builder: DocumentBuilder, message: Mapping[str, Any], path: list[str | int], kind: str
) -> str | None:
    default = {"incoming": "contact", "outgoing": "user"}.get(kind)
    author = builder.sender(message.get("sender"), [*path, "sender"], default_kind=default)
    if author is None and message.get("sender_id") is not None and message.get("sender_type"):
        sender_kind = _sender_kind(message["sender_type"], [*path, "sender_type"])
        if sender_kind is not None:
            author = builder.person(sender_kind, message["sender_id"], [*path, "sender_id"], {})
    if author is None and kind == "incoming":
        if builder.customer is None:
            raise Refusal([*path, "sender"], "an incoming message needs its contact")
        author = builder.customer
    if builder.customer is None and author is not None and author.startswith("contact-"):
        builder.customer = author
    return author


def message_events(
    builder: DocumentBuilder,
    message: Mapping[str, Any],
    path: list[str | int],
    *,
    changed_at: str | None,
) -> None:
    """The events one Chatwoot message stands for (a message, a note, a CSAT answer, ...)."""
    mid = _id(message.get("id"), [*path, "id"])
    kind = _message_type(message.get("message_type"), path)
    at = parse_time_at(message.get("created_at"), [*path, "created_at"])
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise Refusal([*path, "content"], f"expected a string or null, got {json_type(content)}")
    text = content or ""
    private = message.get("private", False)
    if private is not None and not isinstance(private, bool):
        raise Refusal([*path, "private"], f"expected true or false, got {json_type(private)}")
    attributes = message.get("content_attributes") or {}
    if not isinstance(attributes, dict):
        raise Refusal([*path, "content_attributes"], "expected an object")
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
                changed_at or first_time_of(message, ("updated_at",), [*path, "updated_at"]) or at
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
        raise Refusal([*where, "rating"], f"expected a number from 0 to {CSAT_SCALE}")
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
        elif isinstance(value, str) and (text := clean_text(value, 200)):
            kept[key] = text
    return kept


def _activity(builder: DocumentBuilder, event_id: str, at: str, text: str) -> None:
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
        raise Refusal([*path, "message_type"], f"is required: one of {known}")
    raise Refusal([*path, "message_type"], f"{shorten(raw)} is not one of {known}")


def _sender_kind(raw: object, path: list[str | int]) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or raw.lower() not in _SENDER_KINDS:
        raise Refusal(path, f"{shorten(raw)} is not one of contact, user, agent_bot")
    return raw.lower()


def _id(raw: object, path: list[str | int]) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return str(raw)
    if isinstance(raw, str) and _ID.fullmatch(raw):
        return raw
    if raw is None:
        raise Refusal(path, "is required")
    raise Refusal(path, f"{shorten(raw)} is not a Chatwoot id (a number)")


def optional_id(raw: object, path: list[str | int]) -> str | None:
    return None if raw is None else _id(raw, path)


def parse_time_at(raw: object, path: list[str | int]) -> str:
    """An RFC 3339 UTC time from an epoch number or either of Chatwoot's date-time strings."""
    if isinstance(raw, bool) or raw is None:
        raise Refusal(path, "is required: a time (epoch seconds or a date-time)")
    if isinstance(raw, int | float):
        if not _MIN_EPOCH <= raw <= _MAX_EPOCH:
            raise Refusal(path, f"{shorten(raw)} is not a time in epoch seconds")
        return format_moment(datetime.fromtimestamp(raw, UTC))
    if isinstance(raw, str):
        if raw.isdigit():
            return parse_time_at(int(raw), path)
        match = _UTC_SUFFIX.fullmatch(raw)
        candidate = f"{match.group(1)}T{match.group(2)}Z" if match else raw
        try:
            return format_moment(parse_timestamp(candidate))
        except ValueError:
            raise Refusal(path, f"{shorten(raw)} is not a date-time with a time zone") from None
    raise Refusal(path, f"expected a time, got {json_type(raw)}")


def first_time_of(obj: Mapping[str, Any], keys: Sequence[str], path: list[str | int]) -> str | None:
    """The first of ``keys`` that holds a usable (non-zero) time, formatted; None if none."""
    for key in keys:
        value = obj.get(key)
        if value is None or value == 0 or value == "":
            continue
        return parse_time_at(value, [*path[:-1], key])
    return None


def format_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def parse_channel(raw: object, path: list[str | int]) -> str:
    """``Channel::WebWidget`` becomes ``web_widget``; no channel is ``chatwoot``."""
    if raw is None or raw == "":
        return "chatwoot"
    if not isinstance(raw, str):
        raise Refusal(path, f"expected a string, got {json_type(raw)}")
    name = raw.removeprefix("Channel::")
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    cleaned = clean_text(snake, 100)
    if not cleaned:
        raise Refusal(path, f"{shorten(raw)} is not a channel name")
    return cleaned


def parse_labels(raw: object, path: list[str | int]) -> list[str]:
    """Labels from a list or Chatwoot's comma-separated ``cached_label_list`` string."""
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list):
        raise Refusal(path, "expected a list of labels")
    labels: list[str] = []
    for index, label in enumerate(raw):
        if not isinstance(label, str) or not _LABEL.fullmatch(label):
            raise Refusal([*path, index], f"{shorten(label)} is not a label")
        if label not in labels:
            labels.append(label)
    return labels


def clean_text(value: object, limit: int) -> str | None:
    """A display value with control characters turned into spaces, clipped to ``limit``."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub(" ", value).strip()
    return text[:limit] or None
