"""Reader for the Schema-Guided Dialogue dataset (SGD, Google, CC BY-SA 4.0).

An SGD ``dialogues_*.json`` file is a JSON list of dialogues between a USER and
a SYSTEM (a virtual assistant). Each becomes a conversation with a customer and
a bot: one ``message`` event per turn, carrying the turn's dialogue acts in
``acts``, and one ``action`` event per ``service_call`` right after the turn
that made it. SGD has no timestamps; times are synthesised as for ABCD (see
:func:`auditkit.sources.abcd.synthetic_time`). Errors name the dialogue's
1-based position in the list as their ``line``; line 0 means the whole file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auditkit.errors import ImportRejected
from auditkit.sources.abcd import synthetic_time
from auditkit.sources.jsonl import (
    format_json_path,
    parse_conversation,
    read_json_document,
    shorten,
)
from auditkit.sources.model import SourceItem

BOT_ID = "sgd-system"
"""The participant id of SGD's system side, the same bot in every dialogue."""

_SPEAKERS = {"USER", "SYSTEM"}


class _Malformed(Exception):
    def __init__(self, path: list[str | int], reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


def read_sgd(path: Path) -> Iterator[SourceItem]:
    """Yield each dialogue of an SGD ``dialogues_*.json`` file as a conversation."""
    return parse_sgd(read_json_document(path), source=str(path))


def parse_sgd(data: object, *, source: str) -> Iterator[SourceItem]:
    """Yield each dialogue of already-decoded SGD data; ``source`` names it in errors."""
    if not isinstance(data, list):
        raise ImportRejected(source=source, line=0, reason="expected a JSON list of SGD dialogues")
    first_seen: dict[str, int] = {}
    for line, item in enumerate(data, start=1):
        try:
            document = _document(item)
        except _Malformed as error:
            where = format_json_path(error.path)
            reason = f"{where}: {error.reason}" if where else error.reason
            raise ImportRejected(source=source, line=line, reason=reason) from None
        conversation_id = document["conversation_id"]
        if conversation_id in first_seen:
            raise ImportRejected(
                source=source,
                line=line,
                reason=(
                    f"dialogue_id: {conversation_id.removeprefix('sgd-')!r} already appears"
                    f" in item {first_seen[conversation_id]}"
                ),
            )
        first_seen[conversation_id] = line
        conversation = parse_conversation(document, source=source, line=line)
        yield SourceItem(source=source, line=line, conversation=conversation)


def _document(item: object) -> dict[str, Any]:
    """Check one SGD dialogue's shape and turn it into an auditkit document."""
    dialogue = _object(item, [])
    dialogue_id = dialogue.get("dialogue_id")
    if not isinstance(dialogue_id, str) or not dialogue_id:
        raise _Malformed(["dialogue_id"], "expected a non-empty string")
    services = _list(dialogue.get("services", []), ["services"])
    for index, service in enumerate(services):
        _string(service, ["services", index])
    turns = _list(dialogue.get("turns"), ["turns"])

    conversation_id = f"sgd-{dialogue_id}"
    customer_id = f"sgd-user-{dialogue_id}"
    intents: list[str] = []
    events: list[dict[str, Any]] = []
    for number, raw_turn in enumerate(turns):
        path: list[str | int] = ["turns", number]
        turn = _object(raw_turn, path)
        speaker = turn.get("speaker")
        if not isinstance(speaker, str) or speaker not in _SPEAKERS:
            # An object or list is not hashable: test the type before the set lookup.
            raise _Malformed([*path, "speaker"], f"{shorten(speaker)} is not one of USER, SYSTEM")
        text = _string(turn.get("utterance"), [*path, "utterance"])
        at = synthetic_time(conversation_id, number)
        acts: list[dict[str, Any]] = []
        calls: list[dict[str, Any]] = []
        frames = _list(turn.get("frames", []), [*path, "frames"])
        for frame_number, raw_frame in enumerate(frames):
            frame_path: list[str | int] = [*path, "frames", frame_number]
            frame = _object(raw_frame, frame_path)
            service = _string(frame.get("service"), [*frame_path, "service"])
            acts.extend(
                _act(action, [*frame_path, "actions", index], service)
                for index, action in enumerate(
                    _list(frame.get("actions", []), [*frame_path, "actions"])
                )
            )
            state = frame.get("state")
            if state is not None:
                intent = _object(state, [*frame_path, "state"]).get("active_intent")
                if (
                    isinstance(intent, str)
                    and intent
                    and intent != "NONE"
                    and intent not in intents
                ):
                    intents.append(intent)
            if "service_call" in frame:
                calls.append(
                    _call(
                        frame,
                        frame_path,
                        at=at,
                        event_id=f"turn-{number + 1}-call-{len(calls) + 1}",
                    )
                )
        author = customer_id if speaker == "USER" else BOT_ID
        events.append(
            {
                "type": "message",
                "at": at,
                "id": f"turn-{number + 1}",
                "author": author,
                "text": text,
                "acts": acts,
            }
        )
        events.extend(calls)

    return {
        "conversation_id": conversation_id,
        "channel": "chat",
        "customer": customer_id,
        "participants": [
            {"id": customer_id, "role": "customer"},
            {"id": BOT_ID, "role": "bot", "name": "SGD virtual assistant"},
        ],
        "intents": intents or list(dict.fromkeys(services)),
        "tags": list(dict.fromkeys(services)),
        "events": events,
    }


def _act(raw: object, path: list[str | int], service: str) -> dict[str, Any]:
    action = _object(raw, path)
    values = _list(action.get("values", []), [*path, "values"])
    for index, value in enumerate(values):
        _string(value, [*path, "values", index])
    return {
        "act": _string(action.get("act"), [*path, "act"]),
        "slot": _string(action.get("slot", ""), [*path, "slot"]),
        "values": list(values),
        "service": service,
    }


def _call(
    frame: dict[str, Any], path: list[str | int], *, at: str, event_id: str
) -> dict[str, Any]:
    call = _object(frame["service_call"], [*path, "service_call"])
    method = _string(call.get("method"), [*path, "service_call", "method"])
    parameters = _object(call.get("parameters", {}), [*path, "service_call", "parameters"])
    for name, value in parameters.items():
        _string(value, [*path, "service_call", "parameters", name])
    results = _list(frame.get("service_results", []), [*path, "service_results"])
    return {
        "type": "action",
        "at": at,
        "id": event_id,
        "name": method,
        "actor": BOT_ID,
        "outcome": "success" if results else "failure",
        "fields": dict(parameters),
    }


def _object(value: object, path: list[str | int]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Malformed(path, f"expected an object, got {_kind(value)}")
    return value


def _list(value: object, path: list[str | int]) -> list[Any]:
    if not isinstance(value, list):
        raise _Malformed(path, f"expected a list, got {_kind(value)}")
    return value


def _string(value: object, path: list[str | int]) -> str:
    if not isinstance(value, str):
        raise _Malformed(path, f"expected a string, got {_kind(value)}")
    return value


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
