"""The conversation readers: auditkit JSONL, ABCD and SGD, and the format registry."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from auditkit.errors import ImportRejected
from auditkit.ledger.conversation import ParticipantRole as Role
from auditkit.sources import jsonl as jsonl_module
from auditkit.sources.abcd import parse_abcd, read_abcd, synthetic_time
from auditkit.sources.chatwoot.export import read_chatwoot
from auditkit.sources.formats import FORMATS, detect_format, read_conversations
from auditkit.sources.jsonl import parse_jsonl_lines, parse_timestamp, read_jsonl
from auditkit.sources.model import EventType
from auditkit.sources.sgd import BOT_ID, parse_sgd, read_sgd

DATA = Path(__file__).resolve().parents[1] / "data"
DEMO = DATA / "demo" / "conversations.jsonl"
ABCD = DATA / "abcd" / "abcd_sample.json"
SGD = DATA / "sgd" / "dialogues_039.json"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "import-format.md"


def conversation(**overrides: Any) -> dict[str, Any]:
    """A small valid conversation document; keyword arguments replace top-level fields."""
    document: dict[str, Any] = {
        "conversation_id": "conv-1",
        "channel": "web_chat",
        "customer": "cust-1",
        "participants": [
            {"id": "cust-1", "role": "customer", "name": "Ana Silva", "email": "ana@example.com"},
            {"id": "agent-1", "role": "agent", "name": "Ben Cole", "team": "Cards"},
        ],
        "intents": ["refund"],
        "tags": ["cards"],
        "segment": "retail",
        "events": [
            {"type": "status", "at": "2024-05-01T09:00:00Z", "status": "session_started"},
            {"type": "message", "at": "2024-05-01T09:00:05Z", "author": "cust-1", "text": "Hi"},
            {"type": "assignment", "at": "2024-05-01T09:00:06Z", "from": None, "to": "agent-1"},
            {
                "type": "action",
                "at": "2024-05-01T10:00:07+01:00",
                "id": "evt-9",
                "name": "verify-identity",
                "actor": "agent-1",
                "outcome": "success",
                "fields": {"method": "kba"},
            },
        ],
    }
    document.update(overrides)
    return document


def line_of(document: dict[str, Any]) -> str:
    return json.dumps(document)


def with_event(event: dict[str, Any]) -> str:
    document = conversation()
    document["events"].append(event)
    return line_of(document)


def edited(edit: Any) -> str:
    document = conversation()
    edit(document)
    return line_of(document)


# --------------------------------------------------------------------------- JSONL


def test_schema_is_valid_draft_2020_12_and_ships_as_package_data() -> None:
    schema_file = resources.files("auditkit").joinpath("schemas/conversation.schema.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_a_valid_line_becomes_a_conversation_with_utc_times_and_event_data() -> None:
    (item,) = parse_jsonl_lines([line_of(conversation())], source="mem")

    assert (item.source, item.line) == ("mem", 1)
    conv = item.conversation
    assert conv.conversation_id == "conv-1"
    assert conv.customer == "cust-1"
    assert [p.role for p in conv.participants] == [Role.CUSTOMER, Role.AGENT]
    assert conv.participants[0].email == "ana@example.com"
    assert conv.participants[1].team == "Cards"
    assert (conv.intents, conv.tags, conv.segment) == (("refund",), ("cards",), "retail")
    assert [e.type for e in conv.events] == [
        EventType.STATUS,
        EventType.MESSAGE,
        EventType.ASSIGNMENT,
        EventType.ACTION,
    ]
    assert all(e.at.tzinfo is UTC for e in conv.events)
    assert conv.events[3].at == datetime(2024, 5, 1, 9, 0, 7, tzinfo=UTC)
    assert dict(conv.events[1].data) == {"author": "cust-1", "text": "Hi"}
    assert dict(conv.events[2].data) == {"from": None, "to": "agent-1"}
    assert dict(conv.events[3].data) == {
        "id": "evt-9",
        "name": "verify-identity",
        "actor": "agent-1",
        "outcome": "success",
        "fields": {"method": "kba"},
    }


def test_every_event_type_is_accepted() -> None:
    events = [
        {"type": "message", "author": "cust-1", "text": "hello"},
        {"type": "internal_note", "author": "agent-1", "text": "note", "fields": {"k": [1, 2]}},
        {"type": "assignment", "from": "agent-1", "to": "agent-1", "reason": "shift end"},
        {"type": "status", "status": "resolved"},
        {"type": "action", "name": "issue-refund", "outcome": "my-own-outcome"},
        {"type": "consent", "subject": "cust-1", "scope": "marketing", "decision": "withdrawn"},
        {"type": "escalation", "by": "agent-1", "to": "fraud-team", "reason": "suspicious"},
        {"type": "tag", "tag": "vip"},
        {"type": "resolution_code", "code": "refunded"},
        {"type": "csat", "score": 4.5, "scale": 5, "comment": "ok"},
    ]
    document = conversation(
        events=[{**event, "at": f"2024-05-01T09:00:{i:02d}.5Z"} for i, event in enumerate(events)]
    )

    (item,) = parse_jsonl_lines([line_of(document)], source="mem")

    assert [e.type.value for e in item.conversation.events] == [e["type"] for e in events]
    assert item.conversation.events[0].at.microsecond == 500000


def test_blank_lines_crlf_and_a_leading_bom_are_tolerated() -> None:
    lines = [
        "\ufeff" + line_of(conversation()) + "\r\n",
        "\n",
        "   \t\r\n",
        line_of(conversation(conversation_id="conv-2")),
    ]

    items = list(parse_jsonl_lines(lines, source="mem"))

    assert [(i.line, i.conversation.conversation_id) for i in items] == [
        (1, "conv-1"),
        (4, "conv-2"),
    ]


def test_read_jsonl_reports_the_path_as_source_and_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n" + line_of(conversation()) + "\n\n" + line_of(conversation(conversation_id="b")) + "\n"
    )

    items = list(read_jsonl(path))

    assert [(i.source, i.line) for i in items] == [(str(path), 2), (str(path), 4)]


def test_invalid_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(line_of(conversation()).encode() + b"\n" + b'{"conversation_id": "\xff"}\n')

    with pytest.raises(ImportRejected) as caught:
        list(read_jsonl(path))

    assert (caught.value.source, caught.value.line) == (str(path), 2)
    assert "not valid UTF-8" in caught.value.reason


def test_a_missing_file_is_refused_as_a_whole(tmp_path: Path) -> None:
    with pytest.raises(ImportRejected) as caught:
        list(read_jsonl(tmp_path / "absent.jsonl"))
    assert caught.value.line == 0
    assert "cannot read file" in caught.value.reason


def test_an_overlong_line_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonl_module, "MAX_LINE_BYTES", 100)
    path = tmp_path / "in.jsonl"
    path.write_text("\n" + "x" * 500 + "\n")

    with pytest.raises(ImportRejected) as caught:
        list(read_jsonl(path))

    assert caught.value.line == 2
    assert "longer than 100 bytes" in caught.value.reason


def test_a_duplicate_conversation_id_names_both_lines() -> None:
    lines = [
        line_of(conversation()),
        "",
        line_of(conversation(conversation_id="x")),
        line_of(conversation()),
    ]

    with pytest.raises(ImportRejected) as caught:
        list(parse_jsonl_lines(lines, source="mem"))

    assert caught.value.line == 4
    assert caught.value.reason == "conversation_id: 'conv-1' already appears on line 1"


REFUSALS = [
    ("not json", "{nope", 3, "invalid JSON at column 2"),
    ("array line", "[1, 2]", 3, "expected a JSON object, got an array"),
    ("string line", '"hello"', 3, "expected a JSON object, got a string"),
    ("duplicate key", '{"channel": "a", "channel": "b"}', 3, "duplicate key 'channel'"),
    (
        "NaN",
        with_event({"type": "csat", "at": "2024-05-01T09:00:09Z", "score": 1}).replace(
            "1}", "NaN}"
        ),
        3,
        "NaN is not allowed",
    ),
    (
        "infinite number",
        with_event({"type": "csat", "at": "2024-05-01T09:00:09Z", "score": 1}).replace(
            "1}", "1e999}"
        ),
        3,
        "out of range",
    ),
    (
        "huge integer",
        with_event({"type": "csat", "at": "2024-05-01T09:00:09Z", "score": 1}).replace(
            "1}", "1" * 200 + "}"
        ),
        3,
        "more than 100 digits",
    ),
    (
        "deep nesting",
        with_event(
            {
                "type": "internal_note",
                "at": "2024-05-01T09:00:09Z",
                "author": "agent-1",
                "text": "x",
                "fields": {"a": json.loads("[" * 40 + "]" * 40)},
            }
        ),
        3,
        "nested deeper than 32",
    ),
    (
        "unknown top-level field",
        line_of(conversation(colour="red")),
        3,
        "colour: is not a field of this format",
    ),
    (
        "unknown event field",
        with_event({"type": "tag", "at": "2024-05-01T09:00:09Z", "tag": "x", "tags": "y"}),
        3,
        "events[4].tags: is not a field",
    ),
    ("missing events", edited(lambda d: d.pop("events")), 3, "events: is required"),
    (
        "missing message text",
        with_event({"type": "message", "at": "2024-05-01T09:00:09Z", "author": "cust-1"}),
        3,
        "events[4].text: is required",
    ),
    (
        "unknown event type",
        with_event({"type": "sms", "at": "2024-05-01T09:00:09Z"}),
        3,
        "events[4].type: 'sms' is not one of message",
    ),
    (
        "event without type",
        with_event({"at": "2024-05-01T09:00:09Z"}),
        3,
        "events[4].type: is required",
    ),
    ("event not an object", with_event("hello"), 3, "events[4]: expected an object, got a string"),  # type: ignore[arg-type]
    (
        "bad month",
        with_event({"type": "tag", "at": "2024-13-01", "tag": "x"}),
        3,
        "events[4].at: '2024-13-01' is not a valid RFC 3339 date-time",
    ),
    (
        "no time zone",
        with_event({"type": "tag", "at": "2024-05-01T09:00:09", "tag": "x"}),
        3,
        "is not a valid RFC 3339 date-time",
    ),
    (
        "date only",
        with_event({"type": "tag", "at": "2024-05-01", "tag": "x"}),
        3,
        "is not a valid RFC 3339 date-time",
    ),
    (
        "out of range after UTC",
        with_event({"type": "tag", "at": "0001-01-01T00:00:00+01:00", "tag": "x"}),
        3,
        "not a valid RFC 3339",
    ),
    (
        "time not a string",
        with_event({"type": "tag", "at": 1714554000, "tag": "x"}),
        3,
        "events[4].at: expected a string, got a number",
    ),
    (
        "out of order",
        with_event({"type": "tag", "at": "2024-05-01T08:59:59Z", "tag": "x"}),
        3,
        "events[4].at: 2024-05-01T08:59:59Z is earlier than events[3].at",
    ),
    (
        "unknown author",
        with_event(
            {"type": "message", "at": "2024-05-01T09:00:09Z", "author": "ghost", "text": "x"}
        ),
        3,
        "events[4].author: 'ghost' is not a declared participant",
    ),
    (
        "unknown assignee",
        with_event(
            {"type": "assignment", "at": "2024-05-01T09:00:09Z", "from": "agent-1", "to": "ghost"}
        ),
        3,
        "events[4].to: 'ghost' is not a declared participant",
    ),
    (
        "unknown actor",
        with_event({"type": "action", "at": "2024-05-01T09:00:09Z", "name": "x", "actor": "ghost"}),
        3,
        "events[4].actor: 'ghost' is not a declared participant",
    ),
    (
        "unknown consent subject",
        with_event(
            {
                "type": "consent",
                "at": "2024-05-01T09:00:09Z",
                "subject": "ghost",
                "scope": "m",
                "decision": "given",
            }
        ),
        3,
        "events[4].subject: 'ghost'",
    ),
    (
        "from of wrong type",
        with_event(
            {"type": "assignment", "at": "2024-05-01T09:00:09Z", "from": 3, "to": "agent-1"}
        ),
        3,
        "events[4].from: expected null or a participant id",
    ),
    (
        "bad consent decision",
        with_event(
            {
                "type": "consent",
                "at": "2024-05-01T09:00:09Z",
                "subject": "cust-1",
                "scope": "m",
                "decision": "maybe",
            }
        ),
        3,
        "events[4].decision: 'maybe' is not one of given, withdrawn",
    ),
    (
        "bad status",
        with_event({"type": "status", "at": "2024-05-01T09:00:09Z", "status": "closed"}),
        3,
        "events[4].status: 'closed' is not one of",
    ),
    (
        "csat above scale",
        with_event({"type": "csat", "at": "2024-05-01T09:00:09Z", "score": 7, "scale": 5}),
        3,
        "events[4].score: 7 is above the scale (5)",
    ),
    (
        "csat boolean",
        with_event({"type": "csat", "at": "2024-05-01T09:00:09Z", "score": True}),
        3,
        "events[4].score: expected a number, got a boolean",
    ),
    (
        "duplicate event id",
        with_event({"type": "tag", "at": "2024-05-01T09:00:09Z", "tag": "x", "id": "evt-9"}),
        3,
        "events[4].id: duplicate event id 'evt-9' (also events[3])",
    ),
    (
        "text too long",
        with_event(
            {
                "type": "message",
                "at": "2024-05-01T09:00:09Z",
                "author": "cust-1",
                "text": "x" * 100_001,
            }
        ),
        3,
        "events[4].text: is too long (100001 characters, at most 100000)",
    ),
    (
        "empty conversation id",
        line_of(conversation(conversation_id="")),
        3,
        "conversation_id: must not be empty",
    ),
    (
        "long conversation id",
        line_of(conversation(conversation_id="c" * 201)),
        3,
        "conversation_id: is too long",
    ),
    (
        "NUL in conversation id",
        line_of(conversation(conversation_id="a\x00b")),
        3,
        "conversation_id: contains a NUL character",
    ),
    (
        "newline in conversation id",
        line_of(conversation(conversation_id="ab\n")),
        3,
        "conversation_id: contains control character U+000A",
    ),
    (
        "C1 control in participant id",
        edited(lambda d: d["participants"][1].update(id="agent\x85")),
        3,
        "participants[1].id: contains control character U+0085",
    ),
    (
        "NUL in message text",
        with_event(
            {"type": "message", "at": "2024-05-01T09:00:09Z", "author": "cust-1", "text": "a\x00"}
        ),
        3,
        "events[4].text: contains a NUL character",
    ),
    (
        "lone surrogate",
        line_of(conversation()).replace('"Hi"', '"\\ud800"'),
        3,
        "events[1].text: contains an unpaired UTF-16 surrogate",
    ),
    (
        "duplicate participant",
        edited(lambda d: d["participants"].append({"id": "agent-1", "role": "bot"})),
        3,
        "participants[2].id: duplicate participant id 'agent-1' (also participants[1])",
    ),
    (
        "undeclared customer",
        line_of(conversation(customer="cust-9")),
        3,
        "customer: 'cust-9' is not a declared participant",
    ),
    (
        "customer with wrong role",
        line_of(conversation(customer="agent-1")),
        3,
        "customer: participant 'agent-1' has role agent, expected customer",
    ),
    (
        "unknown role",
        edited(lambda d: d["participants"][1].update(role="robot")),
        3,
        "participants[1].role: 'robot' is not one of customer, agent, bot, supervisor",
    ),
    (
        "participants not a list",
        line_of(conversation(participants={"id": "x"})),
        3,
        "participants: expected an array, got an object",
    ),
    (
        "no participants",
        line_of(conversation(participants=[])),
        3,
        "participants: needs at least 1 item",
    ),
    (
        "tag not a string",
        line_of(conversation(tags=["ok", 5])),
        3,
        "tags[1]: expected a string, got a number",
    ),
]


@pytest.mark.parametrize(
    ("line", "expected_line", "fragment"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_a_bad_line_is_refused_with_its_line_number_and_reason(
    line: str, expected_line: int, fragment: str
) -> None:
    good = line_of(conversation(conversation_id="conv-0"))

    with pytest.raises(ImportRejected) as caught:
        list(parse_jsonl_lines([good, "", line], source="in.jsonl"))

    assert caught.value.source == "in.jsonl"
    assert caught.value.line == expected_line
    assert fragment in caught.value.reason


def test_the_first_bad_line_is_reported_after_good_ones() -> None:
    lines = [line_of(conversation()), "", line_of(conversation(conversation_id="b", channel=7))]

    with pytest.raises(ImportRejected) as caught:
        list(parse_jsonl_lines(lines, source="mem"))

    assert caught.value.line == 3
    assert caught.value.reason == "channel: expected a string, got a number"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T09:00:00Z", datetime(2024, 5, 1, 9, tzinfo=UTC)),
        ("2024-05-01t09:00:00z", datetime(2024, 5, 1, 9, tzinfo=UTC)),
        ("2024-05-01T11:30:00+02:30", datetime(2024, 5, 1, 9, tzinfo=UTC)),
        ("2024-05-01T09:00:00.123456789-00:00", datetime(2024, 5, 1, 9, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_timestamps_become_aware_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01 09:00:00Z",
        "2024-05-01T09:00Z",
        "2024-02-30T09:00:00Z",
        "2024-05-01T09:00:00+24:00",
        "2024-05-01T09:00:60Z",
    ],
)
def test_malformed_timestamps_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_the_demo_data_set_is_valid_and_covers_the_demo_scenarios() -> None:
    items = list(read_jsonl(DEMO))

    assert len(items) == 12
    conversations = [item.conversation for item in items]
    assert len({c.conversation_id for c in conversations}) == 12
    events = [event for c in conversations for event in c.events]
    actions = [
        (e.data["name"], e.data.get("outcome")) for e in events if e.type is EventType.ACTION
    ]
    assert ("verify-identity", "success") in actions
    assert ("verify-identity", "failure") in actions
    assert ("issue-refund", "success") in actions
    assert ("update-address", "success") in actions
    decisions = {e.data["decision"] for e in events if e.type is EventType.CONSENT}
    assert decisions == {"given", "withdrawn"}
    statuses = {e.data["status"] for e in events if e.type is EventType.STATUS}
    assert {"session_started", "session_ended", "resolved", "reopened"} <= statuses
    kinds = {e.type for e in events}
    assert set(EventType) <= kinds
    roles = {p.role for c in conversations for p in c.participants}
    assert roles == set(Role)
    handoffs = [e for e in events if e.type is EventType.ASSIGNMENT and e.data["from"] is not None]
    assert len(handoffs) >= 3
    sessions = [
        sum(1 for e in c.events if e.data.get("status") == "session_started") for c in conversations
    ]
    assert max(sessions) >= 2


def test_the_format_document_names_every_event_type_and_field() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    schema = json.loads(
        resources.files("auditkit")
        .joinpath("schemas/conversation.schema.json")
        .read_text(encoding="utf-8")
    )
    event_types = schema["$defs"]["event"]["properties"]["type"]["enum"]
    for event_type in event_types:
        assert f"`{event_type}`" in doc, event_type
        for field in schema["$defs"][event_type]["properties"]:
            assert f"`{field}`" in doc, f"{event_type}.{field}"
    for field in schema["properties"]:
        assert f"`{field}`" in doc, field
    assert "digest of its canonical content and occurrence" in doc.replace("\n", " ")


# --------------------------------------------------------------------------- ABCD


def test_abcd_sample_becomes_three_conversations_with_named_actions() -> None:
    items = list(read_abcd(ABCD))

    assert [i.line for i in items] == [1, 2, 3]
    assert [i.conversation.conversation_id for i in items] == [
        "abcd-3592",
        "abcd-9489",
        "abcd-3695",
    ]
    first = items[0].conversation
    assert first.channel == "chat"
    assert first.intents == ("product_defect", "return_size")
    assert first.segment == "bronze"
    customer = next(p for p in first.participants if p.id == first.customer)
    assert (customer.role, customer.name, customer.email, customer.phone) == (
        Role.CUSTOMER,
        "crystal minh",
        "cminh730@email.com",
        "(977) 625-2661",
    )
    assert [p.role for p in first.participants] == [Role.CUSTOMER, Role.AGENT]
    assert len(first.events) == 29
    names = [
        [e.data["name"] for e in item.conversation.events if e.type is EventType.ACTION]
        for item in items
    ]
    assert names == [
        ["pull-up-account", "validate-purchase", "enter-details", "notify-team"],
        ["pull-up-account", "validate-purchase"],
        ["search-faq", "search-timing", "select-faq"],
    ]
    pull_up = next(e for e in first.events if e.type is EventType.ACTION)
    assert pull_up.data["fields"] == {
        "text": "Account has been pulled up for Crystal Minh.",
        "values": ["crystal minh"],
    }
    assert pull_up.data["actor"] == "abcd-agent-3592"


def test_abcd_times_are_synthetic_deterministic_and_one_second_per_turn() -> None:
    first = next(iter(read_abcd(ABCD))).conversation
    again = next(iter(read_abcd(ABCD))).conversation

    times = [e.at for e in first.events]
    assert times == [e.at for e in again.events]
    assert all(b - a == timedelta(seconds=1) for a, b in pairwise(times))
    assert times[0] == parse_timestamp(synthetic_time("abcd-3592", 0))
    assert datetime(2021, 1, 1, tzinfo=UTC) <= times[0] < datetime(2022, 1, 1, tzinfo=UTC)
    assert [e.data["id"] for e in first.events[:2]] == ["turn-1", "turn-2"]


def test_abcd_action_text_is_recognised_without_delexed_turns() -> None:
    data = [
        {
            "convo_id": 77,
            "scenario": {
                "personal": {"customer_name": "joe bloggs"},
                "flow": "account_access",
                "subflow": "recover_username",
            },
            "original": [
                ["customer", "I forgot my username"],
                ["action", "Account has been pulled up for Joe Bloggs."],
                ["action", "Identity verification in progress ..."],
                ["action", "Identity verification in progess ..."],
                ["action", "Purchase validation in progress ..."],
                ["action", "A refund has been made for the amount of $40."],
                ["action", "System Action: search boots"],
                ["action", "The website team has been notified."],
                ["agent", "Done!"],
            ],
        }
    ]

    (item,) = parse_abcd(data, source="mem")

    names = [e.data["name"] for e in item.conversation.events if e.type is EventType.ACTION]
    assert names == [
        "pull-up-account",
        "verify-identity",
        "verify-identity",
        "validate-purchase",
        "offer-refund",
        "search-boots",
        "notify-team",
    ]
    assert item.conversation.events[2].data["fields"] == {
        "text": "Identity verification in progress ..."
    }


ABCD_REFUSALS = [
    ("not a list", {"convo_id": 1}, 0, "expected a JSON list"),
    ("item not an object", [5], 1, "expected a conversation object"),
    (
        "missing original",
        [{"convo_id": 1, "original": []}, {"convo_id": 2}],
        2,
        "original: is required",
    ),
    ("original not a list", [{"convo_id": 1, "original": "hi"}], 1, "original: expected a list"),
    (
        "turn not a pair",
        [{"convo_id": 1, "original": [["agent"]]}],
        1,
        "original[0]: expected a [speaker, text] pair",
    ),
    (
        "bad speaker",
        [{"convo_id": 1, "original": [["agent", "hi"], ["robot", "beep"]]}],
        1,
        "original[1][0]: speaker 'robot' is not one of",
    ),
    (
        "text not a string",
        [{"convo_id": 1, "original": [["agent", 5]]}],
        1,
        "original[0][1]: expected a string",
    ),
    (
        "missing convo id",
        [{"original": []}],
        1,
        "convo_id: expected a number or a non-empty string",
    ),
    ("boolean convo id", [{"convo_id": True, "original": []}], 1, "convo_id: expected a number"),
    (
        "duplicate convo id",
        [{"convo_id": 1, "original": []}, {"convo_id": "1", "original": []}],
        2,
        "already appears in item 1",
    ),
    (
        "unknown action",
        [{"convo_id": 1, "original": [["action", "Teleported the parcel."]]}],
        1,
        "original[0][1]: unrecognised action text",
    ),
    (
        "misaligned delexed",
        [{"convo_id": 1, "original": [["agent", "hi"]], "delexed": []}],
        1,
        "delexed: expected a list of 1 turn objects",
    ),
    (
        "scenario not an object",
        [{"convo_id": 1, "original": [], "scenario": []}],
        1,
        "scenario: expected an object",
    ),
    (
        "NUL in text",
        [{"convo_id": 1, "original": [["agent", "a\x00"]]}],
        1,
        "events[0].text: contains a NUL character",
    ),
]


@pytest.mark.parametrize(
    ("data", "expected_line", "fragment"),
    [r[1:] for r in ABCD_REFUSALS],
    ids=[r[0] for r in ABCD_REFUSALS],
)
def test_malformed_abcd_is_refused_with_the_item_position(
    data: object, expected_line: int, fragment: str
) -> None:
    with pytest.raises(ImportRejected) as caught:
        list(parse_abcd(data, source="abcd.json"))

    assert caught.value.line == expected_line
    assert fragment in caught.value.reason


def test_an_abcd_file_that_is_not_json_is_refused_as_a_whole(tmp_path: Path) -> None:
    path = tmp_path / "abcd.json"
    path.write_text('[{"convo_id": 1,\n "original": [}]')

    with pytest.raises(ImportRejected) as caught:
        list(read_abcd(path))

    assert caught.value.line == 0
    assert "invalid JSON at line 2" in caught.value.reason


# --------------------------------------------------------------------------- SGD


def test_sgd_dialogues_become_conversations_with_service_calls_after_their_turn() -> None:
    items = list(read_sgd(SGD))

    assert len(items) == 5
    first = items[0].conversation
    assert first.conversation_id == "sgd-39_00123"
    assert first.channel == "chat"
    assert [(p.id, p.role) for p in first.participants] == [
        ("sgd-user-39_00123", Role.CUSTOMER),
        (BOT_ID, Role.BOT),
    ]
    assert first.intents == ("TransferMoney", "CheckBalance")
    assert first.tags == ("Banks_1",)
    events = list(first.events)
    transfer_at = next(i for i, e in enumerate(events) if e.data.get("name") == "TransferMoney")
    transfer = events[transfer_at]
    assert transfer.type is EventType.ACTION
    assert transfer.data["outcome"] == "success"
    assert transfer.data["actor"] == BOT_ID
    assert transfer.data["fields"] == {
        "account_type": "checking",
        "amount": "820",
        "recipient_account_name": "Abhinav",
        "recipient_account_type": "checking",
    }
    made_by = events[transfer_at - 1]
    assert made_by.type is EventType.MESSAGE
    assert made_by.data["author"] == BOT_ID
    assert made_by.data["text"] == "Transfer completed successfully."
    assert made_by.at == transfer.at
    acts_before = [act["act"] for e in events[:transfer_at] for act in e.data.get("acts", [])]
    assert "CONFIRM" in acts_before
    assert "AFFIRM" in acts_before
    confirm = next(e for e in events if any(a["act"] == "CONFIRM" for a in e.data.get("acts", [])))
    assert {
        "act": "CONFIRM",
        "slot": "amount",
        "values": ["$820"],
        "service": "Banks_1",
    } in confirm.data["acts"]


def test_sgd_messages_carry_their_turn_id_and_one_second_per_turn() -> None:
    first = next(iter(read_sgd(SGD))).conversation
    messages = [e for e in first.events if e.type is EventType.MESSAGE]
    assert [m.data["id"] for m in messages[:3]] == ["turn-1", "turn-2", "turn-3"]
    assert messages[1].at - messages[0].at == timedelta(seconds=1)
    assert messages[0].at == parse_timestamp(synthetic_time("sgd-39_00123", 0))


def sgd_dialogue(**turn_overrides: Any) -> dict[str, Any]:
    system_frame = {
        "service": "Banks_1",
        "actions": [{"act": "NOTIFY_FAILURE", "slot": "", "values": []}],
        "service_call": {"method": "TransferMoney", "parameters": {"amount": "10"}},
        "service_results": [],
    }
    system_frame.update(turn_overrides)
    return {
        "dialogue_id": "1_00001",
        "services": ["Banks_1"],
        "turns": [
            {
                "speaker": "USER",
                "utterance": "send 10",
                "frames": [
                    {
                        "service": "Banks_1",
                        "actions": [
                            {"act": "INFORM_INTENT", "slot": "intent", "values": ["TransferMoney"]}
                        ],
                        "state": {"active_intent": "TransferMoney"},
                    }
                ],
            },
            {"speaker": "SYSTEM", "utterance": "That failed.", "frames": [system_frame]},
        ],
    }


def test_an_sgd_call_without_results_is_a_failed_action() -> None:
    (item,) = parse_sgd([sgd_dialogue()], source="mem")

    action = item.conversation.events[-1]
    assert (action.type, action.data["name"], action.data["outcome"]) == (
        EventType.ACTION,
        "TransferMoney",
        "failure",
    )


SGD_REFUSALS = [
    ("not a list", {"dialogue_id": "1"}, 0, "expected a JSON list of SGD dialogues"),
    ("item not an object", [[]], 1, "expected an object, got list"),
    ("missing dialogue id", [{"turns": []}], 1, "dialogue_id: expected a non-empty string"),
    ("turns missing", [{"dialogue_id": "1"}], 1, "turns: expected a list, got null"),
    (
        "bad speaker",
        [{"dialogue_id": "1", "turns": [{"speaker": "BOT", "utterance": "x"}]}],
        1,
        "turns[0].speaker: 'BOT' is not one of USER, SYSTEM",
    ),
    (
        "utterance not a string",
        [{"dialogue_id": "1", "turns": [{"speaker": "USER", "utterance": 3}]}],
        1,
        "turns[0].utterance: expected a string, got int",
    ),
    (
        "act values not strings",
        [sgd_dialogue(actions=[{"act": "INFORM", "slot": "a", "values": [1]}])],
        1,
        "turns[1].frames[0].actions[0].values[0]: expected a string",
    ),
    (
        "parameters not strings",
        [sgd_dialogue(service_call={"method": "TransferMoney", "parameters": {"amount": 10}})],
        1,
        "turns[1].frames[0].service_call.parameters.amount: expected a string",
    ),
    (
        "method missing",
        [sgd_dialogue(service_call={"parameters": {}})],
        1,
        "service_call.method: expected a string",
    ),
    (
        "duplicate dialogue id",
        [sgd_dialogue(), sgd_dialogue()],
        2,
        "dialogue_id: '1_00001' already appears in item 1",
    ),
]


@pytest.mark.parametrize(
    ("data", "expected_line", "fragment"),
    [r[1:] for r in SGD_REFUSALS],
    ids=[r[0] for r in SGD_REFUSALS],
)
def test_malformed_sgd_is_refused_with_the_item_position(
    data: object, expected_line: int, fragment: str
) -> None:
    with pytest.raises(ImportRejected) as caught:
        list(parse_sgd(data, source="sgd.json"))

    assert caught.value.line == expected_line
    assert fragment in caught.value.reason


# --------------------------------------------------------------------------- registry


def test_the_registry_names_the_four_formats() -> None:
    assert {
        "jsonl": read_jsonl,
        "abcd": read_abcd,
        "sgd": read_sgd,
        "chatwoot": read_chatwoot,
    } == FORMATS


@pytest.mark.parametrize(("path", "expected"), [(DEMO, "jsonl"), (ABCD, "abcd"), (SGD, "sgd")])
def test_the_format_is_detected_from_the_file(path: Path, expected: str) -> None:
    assert detect_format(path) == expected
    assert len(list(read_conversations(path, None))) == len(list(FORMATS[expected](path)))


def test_an_explicit_format_overrides_detection(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text(line_of(conversation()) + "\n")

    (item,) = read_conversations(path, "jsonl")

    assert item.conversation.conversation_id == "conv-1"


@pytest.mark.parametrize(
    ("name", "content", "fmt", "fragment"),
    [
        ("export.txt", "{}", None, "cannot tell the format from the file name"),
        ("data.json", '{"convo_id": 1}', None, "cannot tell the format"),
        ("data.json", "[]", None, "cannot tell the format"),
        ("data.json", '[{"convo_id": 1}, {"dialogue_id": "2"}]', None, "cannot tell the format"),
        ("data.json", "[", None, "invalid JSON"),
        ("data.jsonl", "", "csv", "unknown format 'csv' (known: jsonl, abcd, sgd, chatwoot)"),
    ],
)
def test_an_unknown_format_is_refused_as_a_whole(
    tmp_path: Path, name: str, content: str, fmt: str | None, fragment: str
) -> None:
    path = tmp_path / name
    path.write_text(content)

    with pytest.raises(ImportRejected) as caught:
        list(read_conversations(path, fmt))

    assert caught.value.line == 0
    assert fragment in caught.value.reason


def test_reasons_name_a_json_path() -> None:
    with pytest.raises(ImportRejected) as caught:
        list(
            parse_jsonl_lines(
                [with_event({"type": "tag", "at": "2024-13-01", "tag": "x"})], source="f"
            )
        )
    assert re.match(r"^events\[4\]\.at: ", caught.value.reason)
    assert str(caught.value) == "f:1: events[4].at: '2024-13-01' is not a valid RFC 3339 date-time"


def test_the_example_line_in_the_format_document_is_accepted() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)\n```", doc, re.DOTALL)
    assert example is not None

    (item,) = parse_jsonl_lines([example.group(1)], source="docs")

    assert len(item.conversation.events) == 11
