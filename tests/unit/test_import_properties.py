"""Property tests: whatever the input, a reader yields valid conversations or raises ImportRejected."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditkit.errors import ImportRejected
from auditkit.sources.abcd import parse_abcd
from auditkit.sources.jsonl import parse_jsonl_lines, read_jsonl
from auditkit.sources.model import Conversation, SourceItem
from auditkit.sources.sgd import parse_sgd

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
clean_ids = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30
).filter(lambda s: re.search(r"[^\s\u200b-\u200d\u2060\ufeff]", s) is not None)
control_chars = st.sampled_from([chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]])
offsets = st.integers(min_value=-23 * 60, max_value=23 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
instants = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 1, 1))


def outcome(run: Callable[[], list[SourceItem]], lines: int) -> list[SourceItem] | ImportRejected:
    """Run a reader: return its items, or the ImportRejected it raised, checking the line bound."""
    try:
        items = run()
    except ImportRejected as rejected:
        assert 0 <= rejected.line <= lines, (rejected.line, lines)
        assert rejected.reason
        return rejected
    for item in items:
        assert isinstance(item.conversation, Conversation)
        assert 1 <= item.line <= lines
    return items


@st.composite
def conversations(draw: st.DrawFn) -> dict[str, Any]:
    """A valid conversation document with random ids, participants, zones and events."""
    ids = draw(st.lists(clean_ids, min_size=2, max_size=5, unique=True))
    customer, staff = ids[0], ids[1:]
    participants = [{"id": customer, "role": "customer"}] + [
        {"id": pid, "role": draw(st.sampled_from(["agent", "bot", "supervisor"]))} for pid in staff
    ]
    times = sorted(
        (moment.replace(tzinfo=UTC) for moment in draw(st.lists(instants, max_size=8))),
    )
    everyone = st.sampled_from(ids)
    events: list[dict[str, Any]] = []
    for moment in times:
        at = moment.astimezone(draw(offsets)).isoformat()
        kind = draw(st.sampled_from(["message", "assignment", "action", "consent", "tag", "csat"]))
        event: dict[str, Any] = {"type": kind, "at": at}
        if kind == "message":
            event.update(
                author=draw(everyone),
                text=draw(st.text(max_size=50).filter(lambda t: "\x00" not in t)),
            )
        elif kind == "assignment":
            event.update({"from": draw(st.none() | everyone), "to": draw(everyone)})
        elif kind == "action":
            event.update(
                name=draw(clean_ids),
                actor=draw(everyone),
                outcome=draw(st.sampled_from(["success", "failure"])),
            )
        elif kind == "consent":
            event.update(
                subject=customer,
                scope="marketing",
                decision=draw(st.sampled_from(["given", "withdrawn"])),
            )
        elif kind == "tag":
            event.update(tag=draw(clean_ids))
        else:
            event.update(score=draw(st.integers(min_value=0, max_value=5)), scale=5)
        events.append(event)
    return {
        "conversation_id": draw(clean_ids),
        "channel": "chat",
        "customer": customer,
        "participants": participants,
        "events": events,
    }


def parse(lines: list[str]) -> list[SourceItem]:
    return list(parse_jsonl_lines(lines, source="prop"))


@PROPERTY_SETTINGS
@given(st.lists(st.text(), max_size=6))
def test_arbitrary_text_lines_never_raise_anything_but_import_rejected(lines: list[str]) -> None:
    outcome(lambda: parse(lines), len(lines))


@PROPERTY_SETTINGS
@given(st.lists(json_values, max_size=4))
def test_arbitrary_json_lines_never_raise_anything_but_import_rejected(values: list[Any]) -> None:
    lines = [json.dumps(value) for value in values]
    outcome(lambda: parse(lines), len(lines))


@PROPERTY_SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_in_a_file_never_raise_anything_but_import_rejected(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.jsonl"
        path.write_bytes(data)
        physical_lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        result = outcome(lambda: list(read_jsonl(path)), physical_lines)
    if isinstance(result, ImportRejected):
        assert result.line >= 1


@PROPERTY_SETTINGS
@given(conversations())
def test_valid_conversations_are_accepted_with_times_in_utc_order(document: dict[str, Any]) -> None:
    (item,) = parse([json.dumps(document)])

    conversation = item.conversation
    assert conversation.conversation_id == document["conversation_id"]
    assert len(conversation.events) == len(document["events"])
    times = [event.at for event in conversation.events]
    assert times == sorted(times)
    assert all(moment.tzinfo is UTC for moment in times)
    for event, source in zip(conversation.events, document["events"], strict=True):
        assert event.at == datetime.fromisoformat(source["at"])
        assert dict(event.data) == {k: v for k, v in source.items() if k not in ("type", "at")}


def locations(document: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Every (object, key) a field of the document lives at, plus one new key per object."""
    objects: list[dict[str, Any]] = [document, *document["participants"], *document["events"]]
    for obj in objects:
        for key in obj:
            yield obj, key
        yield obj, "unexpected"


@PROPERTY_SETTINGS
@given(conversations(), st.data())
def test_a_field_of_the_wrong_type_is_refused_on_its_line(
    document: dict[str, Any], data: st.DataObject
) -> None:
    obj, key = data.draw(st.sampled_from(list(locations(document))))
    obj[key] = data.draw(json_values)
    lines = [json.dumps(document)]

    result = outcome(lambda: parse(lines), 1)

    if isinstance(result, ImportRejected):
        assert result.line == 1


@PROPERTY_SETTINGS
@given(conversations(), st.data(), st.integers(min_value=201, max_value=300_000))
def test_huge_strings_are_refused_or_accepted_without_crashing(
    document: dict[str, Any], data: st.DataObject, size: int
) -> None:
    obj, key = data.draw(st.sampled_from(list(locations(document))))
    obj[key] = "x" * size

    result = outcome(lambda: parse([json.dumps(document)]), 1)

    if key in ("conversation_id", "id", "customer", "channel", "author", "to", "name", "tag"):
        assert isinstance(result, ImportRejected)
        assert "too long" in result.reason or "not a declared participant" in result.reason


@PROPERTY_SETTINGS
@given(conversations(), st.data(), control_chars)
def test_control_characters_in_ids_are_always_refused(
    document: dict[str, Any], data: st.DataObject, control: str
) -> None:
    old = document["conversation_id"]
    position = data.draw(st.integers(min_value=0, max_value=len(old)))
    document["conversation_id"] = old[:position] + control + old[position:]

    result = outcome(lambda: parse([json.dumps(document)]), 1)

    assert isinstance(result, ImportRejected)
    assert result.reason.startswith("conversation_id: contains")


@PROPERTY_SETTINGS
@given(st.lists(conversations(), min_size=1, max_size=4), st.data())
def test_a_repeated_conversation_id_is_refused_on_the_second_line(
    documents: list[dict[str, Any]], data: st.DataObject
) -> None:
    for index, document in enumerate(documents):
        document["conversation_id"] = f"conv-{index}"
    repeated = data.draw(st.sampled_from(documents))
    lines = [json.dumps(document) for document in documents]
    first = lines.index(json.dumps(repeated)) + 1
    lines.append(json.dumps(repeated))

    with pytest.raises(ImportRejected) as caught:
        parse(lines)

    assert caught.value.line == len(lines)
    assert caught.value.reason.endswith(f"already appears on line {first}")


abcd_turns = st.lists(
    st.tuples(
        st.sampled_from(["agent", "customer", "action", "robot"]),
        st.text(max_size=30) | json_scalars,
    ),
    max_size=5,
).map(lambda turns: [list(turn) for turn in turns])
abcd_items = st.fixed_dictionaries(
    {"convo_id": st.integers(min_value=0, max_value=5) | st.text(max_size=3) | json_scalars},
    optional={
        "original": abcd_turns | json_values,
        "scenario": st.fixed_dictionaries(
            {}, optional={"personal": json_values, "flow": json_values}
        )
        | json_values,
        "delexed": json_values,
    },
)


@PROPERTY_SETTINGS
@given(st.lists(abcd_items | json_values, max_size=4) | json_values)
def test_arbitrary_abcd_data_never_raises_anything_but_import_rejected(data: Any) -> None:
    size = len(data) if isinstance(data, list) else 0
    outcome(lambda: list(parse_abcd(data, source="abcd")), size)


sgd_frames = st.fixed_dictionaries(
    {"service": st.text(max_size=8) | json_scalars},
    optional={
        "actions": st.lists(
            st.fixed_dictionaries(
                {"act": st.sampled_from(["CONFIRM", "AFFIRM", ""]) | json_scalars},
                optional={
                    "slot": st.text(max_size=5) | json_scalars,
                    "values": st.lists(json_scalars, max_size=2),
                },
            ),
            max_size=3,
        )
        | json_values,
        "service_call": st.fixed_dictionaries(
            {"method": st.text(max_size=10) | json_scalars},
            optional={
                "parameters": st.dictionaries(st.text(max_size=5), json_scalars, max_size=3)
                | json_values
            },
        )
        | json_values,
        "service_results": json_values,
        "state": json_values,
    },
)
sgd_items = st.fixed_dictionaries(
    {"dialogue_id": st.text(max_size=6) | json_scalars},
    optional={
        "services": st.lists(st.text(max_size=6) | json_scalars, max_size=2) | json_values,
        "turns": st.lists(
            st.fixed_dictionaries(
                {
                    # Odd types too: an object or a list is not hashable (issue 20).
                    "speaker": st.sampled_from(["USER", "SYSTEM", "BOT"]) | json_values,
                    "utterance": st.text(max_size=20) | json_scalars,
                },
                optional={"frames": st.lists(sgd_frames, max_size=2) | json_values},
            ),
            max_size=4,
        )
        | json_values,
    },
)


@PROPERTY_SETTINGS
@given(st.lists(sgd_items | json_values, max_size=4) | json_values)
def test_arbitrary_sgd_data_never_raises_anything_but_import_rejected(data: Any) -> None:
    size = len(data) if isinstance(data, list) else 0
    outcome(lambda: list(parse_sgd(data, source="sgd")), size)


# --- issue 20: values canonical JSON cannot hold, blank identifiers --------------------------

unsafe_integers = st.integers(min_value=2**53, max_value=10**40) | st.integers(
    min_value=-(10**40), max_value=-(2**53)
)
blank_ids = st.text(alphabet=" \u00a0\u2003\u200b\u200d\u2060\ufeff", min_size=1, max_size=6)


@PROPERTY_SETTINGS
@given(conversations(), st.data(), unsafe_integers)
def test_an_integer_beyond_2_53_anywhere_in_fields_is_refused_with_its_path(
    document: dict[str, Any], data: st.DataObject, number: int
) -> None:
    nested = data.draw(st.sampled_from(["flat", "list", "object"]))
    value: Any = {"flat": number, "list": [1, number], "object": {"inner": number}}[nested]
    at = document["events"][-1]["at"] if document["events"] else "2024-01-01T00:00:00Z"
    document["events"].append(
        {"type": "action", "at": at, "name": "refund", "fields": {"amount": value}}
    )
    index = len(document["events"]) - 1

    result = outcome(lambda: parse([json.dumps(document)]), 1)

    assert isinstance(result, ImportRejected)
    assert result.reason.startswith(f"events[{index}].fields.amount")
    assert "outside ±(2^53 − 1)" in result.reason


@PROPERTY_SETTINGS
@given(conversations(), st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1))
def test_an_integer_inside_the_safe_range_in_fields_is_kept_exactly(
    document: dict[str, Any], number: int
) -> None:
    at = document["events"][-1]["at"] if document["events"] else "2024-01-01T00:00:00Z"
    document["events"].append(
        {"type": "action", "at": at, "name": "refund", "fields": {"n": number}}
    )
    (item,) = parse([json.dumps(document)])
    assert item.conversation.events[-1].data["fields"] == {"n": number}


@PROPERTY_SETTINGS
@given(conversations(), st.data(), blank_ids)
def test_an_identifier_or_label_without_a_visible_character_is_refused(
    document: dict[str, Any], data: st.DataObject, blank: str
) -> None:
    field = data.draw(st.sampled_from(["conversation_id", "channel", "segment"]))
    document[field] = blank

    result = outcome(lambda: parse([json.dumps(document)]), 1)

    assert isinstance(result, ImportRejected)
    assert result.reason.startswith(f"{field}: ")
    assert "visible character" in result.reason


@PROPERTY_SETTINGS
@given(json_values | unsafe_integers.map(lambda n: {"n": [n]}))
def test_the_ledgers_domain_check_agrees_with_rfc8785(value: Any) -> None:
    import rfc8785

    from auditkit.ledger.records import canonical_problem

    try:
        rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        assert canonical_problem(value) is not None
    else:
        assert canonical_problem(value) is None
