"""Reader for auditkit's own JSONL format: one conversation per line, validated up front.

Every line goes through the same steps, and the first problem refuses the input
with its 1-based line number and the JSON path of the bad field:

1. UTF-8 and JSON decoding (no ``NaN``/``Infinity``, no duplicate keys, finite
   numbers, nesting at most :data:`MAX_DEPTH` levels, no NUL or lone surrogate);
2. the JSON Schema ``auditkit/schemas/conversation.schema.json``;
3. the rules a schema cannot express (time order, participant references,
   unique ids, the customer's role), in :func:`parse_conversation`.

The ABCD and SGD readers build the same document shape and call
:func:`parse_conversation`, so every source meets the same rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from auditkit.errors import ImportRejected
from auditkit.ledger.conversation import ParticipantRole
from auditkit.sources.model import (
    Conversation,
    Event,
    EventType,
    Participant,
    SourceItem,
)

MAX_LINE_BYTES = 32 * 1024 * 1024
"""A line (one conversation) longer than this is refused before it is decoded."""

MAX_DEPTH = 32
"""Objects and arrays nest at most this deep in one document."""

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
)
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_NUL_OR_SURROGATE = re.compile(r"[\x00\ud800-\udfff]")
_JSON_WHITESPACE = " \t\r\n"
_MAX_INT_DIGITS = 100
SAFE_INTEGER = 2**53 - 1
"""Largest magnitude of an integer canonical JSON (RFC 8785, I-JSON) stores exactly."""
_REFERENCE_FIELDS = {
    "message": ("author",),
    "internal_note": ("author",),
    "assignment": ("from", "to"),
    "action": ("actor",),
    "consent": ("subject", "actor"),
    "escalation": ("by",),
}


class _Refusal(Exception):
    """A document breaks a rule; ``reason`` is the message without source or line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_jsonl(path: Path) -> Iterator[SourceItem]:
    """Yield each conversation of an auditkit JSONL file, refusing the first bad line.

    Items are yielded as their lines pass; a caller that must not keep a partial
    import consumes the whole iterator before committing anything.
    """
    return parse_jsonl_lines(_decoded_lines(path), source=str(path))


def parse_jsonl_lines(lines: Iterable[str], source: str) -> Iterator[SourceItem]:
    """Yield a conversation for each non-blank line; ``source`` names the input in errors."""
    first_line: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.removeprefix("\ufeff") if number == 1 else raw
        if not line.strip(_JSON_WHITESPACE):
            continue
        try:
            if len(line) > MAX_LINE_BYTES:
                raise _Refusal(f"line is longer than {MAX_LINE_BYTES} characters")
            try:
                document = decode_json(line)
            except ValueError as error:
                raise _Refusal(str(error)) from None
            if not isinstance(document, dict):
                raise _Refusal(f"expected a JSON object, got {json_type(document)}")
            conversation = _conversation_from(document)
        except _Refusal as refusal:
            raise ImportRejected(source=source, line=number, reason=refusal.reason) from None
        conversation_id = conversation.conversation_id
        if conversation_id in first_line:
            raise ImportRejected(
                source=source,
                line=number,
                reason=(
                    f"conversation_id: {shorten(conversation_id)} already appears on line "
                    f"{first_line[conversation_id]}"
                ),
            )
        first_line[conversation_id] = number
        yield SourceItem(source=source, line=number, conversation=conversation)


def parse_conversation(document: object, *, source: str, line: int) -> Conversation:
    """Validate one conversation document (the JSONL line shape) and build its domain value."""
    try:
        return _conversation_from(document)
    except _Refusal as refusal:
        raise ImportRejected(source=source, line=line, reason=refusal.reason) from None


def decode_json(text: str) -> object:
    """Decode JSON strictly; raise ``ValueError`` with a readable reason on anything doubtful."""
    try:
        return json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as error:
        where = (
            f"column {error.colno}"
            if error.lineno == 1
            else f"line {error.lineno} column {error.colno}"
        )
        raise ValueError(f"invalid JSON at {where}: {error.msg}") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None
    except ValueError as error:
        raise ValueError(f"invalid JSON: {error}") from None


def read_json_document(path: Path) -> object:
    """Read a whole JSON file strictly (UTF-8, :func:`decode_json`), refusing with line 0."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportRejected(
            source=source, line=0, reason=f"cannot read file: {error.strerror}"
        ) from None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        reason = f"not valid UTF-8 at byte {error.start}: {error.reason}"
        raise ImportRejected(source=source, line=0, reason=reason) from None
    try:
        return decode_json(text)
    except ValueError as error:
        raise ImportRejected(source=source, line=0, reason=str(error)) from None


@lru_cache(
    maxsize=8192
)  # each event's time is checked by the schema, the order check and the build
def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 date-time with a time zone to an aware UTC datetime.

    Fractions finer than a microsecond are truncated. Raises ``ValueError``.
    """
    if not _RFC3339.fullmatch(value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    normalised = value.upper().replace("Z", "+00:00")
    fraction = re.search(r"\.(\d+)", normalised)
    if fraction and len(fraction.group(1)) > 6:
        normalised = normalised.replace(fraction.group(0), "." + fraction.group(1)[:6], 1)
    try:
        return datetime.fromisoformat(normalised).astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ValueError(f"{value!r} is not an RFC 3339 date-time: {error}") from None


def format_json_path(parts: Iterable[str | int]) -> str:
    """Render a path such as ``("events", 3, "at")`` as ``events[3].at``."""
    rendered = ""
    for part in parts:
        if isinstance(part, int):
            rendered += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            rendered += f".{part}" if rendered else part
        else:
            rendered += f"[{json.dumps(part)}]"
    return rendered


def _decoded_lines(path: Path) -> Iterator[str]:
    source = str(path)
    try:
        stream = path.open("rb")
    except OSError as error:
        raise ImportRejected(
            source=source, line=0, reason=f"cannot read file: {error.strerror}"
        ) from None
    with stream:
        number = 0
        while raw := stream.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise ImportRejected(
                    source=source, line=number, reason=f"line is longer than {MAX_LINE_BYTES} bytes"
                )
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as error:
                reason = f"not valid UTF-8 at byte {error.start + 1} of the line: {error.reason}"
                raise ImportRejected(source=source, line=number, reason=reason) from None


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise ValueError(f"integer {text[:20]}… has more than {_MAX_INT_DIGITS} digits")
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {shorten(key)}")
        result[key] = value
    return result


def _conversation_from(document: object) -> Conversation:
    _check_values(document)
    if not _fast_validator().is_valid(document):
        # The compiled validator decides; the reference one explains, with a JSON path.
        error = best_match(_validator().iter_errors(document))
        if error is not None:
            raise _Refusal(_describe(error))
        raise _Refusal(str(next(iter(_fast_validator().iter_errors(document)))))
    assert isinstance(document, dict)
    _check_semantics(document)
    return _build(document)


def _check_values(document: object) -> None:
    """Refuse deep nesting, NUL, lone surrogates and integers beyond ±(2^53 − 1) anywhere.

    These are the values canonical JSON (RFC 8785) cannot encode exactly, so a record
    holding one could not be appended: they are refused here, with their path, before
    anything of the import is written.
    """
    if _values_are_clean(document):
        return
    _explain_values(document)


def _values_are_clean(document: object) -> bool:
    """The common case, fast: no path bookkeeping, one regex per string."""
    # JSON values: the ``type(...) is`` tests (faster than isinstance) do not narrow for mypy.
    pending: list[tuple[Any, int]] = [(document, 0)]
    bad = _NUL_OR_SURROGATE.search
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return False
        kind = type(value)
        if kind is str:
            if bad(value):
                return False
        elif kind is int:
            if not -SAFE_INTEGER <= value <= SAFE_INTEGER:
                return False
        elif kind is dict:
            if depth >= MAX_DEPTH and value:
                return False
            for key, item in value.items():
                if bad(key):
                    return False
                if type(item) is not str:
                    pending.append((item, depth + 1))
                elif bad(item):
                    return False
        elif kind is float and value != value:  # NaN never comes from decode_json; be sure
            return False
        elif kind is list:
            pending.extend((item, depth + 1) for item in value)
    return True


def _explain_values(document: object) -> None:
    """Find the first bad value again, this time keeping its JSON path for the message."""
    pending: list[tuple[object, tuple[str | int, ...]]] = [(document, ())]
    while pending:
        value, path = pending.pop()
        if len(path) > MAX_DEPTH:
            raise _Refusal(f"{format_json_path(path)}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            _check_string(value, path)
        elif isinstance(value, int) and not isinstance(value, bool):
            if not -SAFE_INTEGER <= value <= SAFE_INTEGER:
                where = format_json_path(path) or "line"
                raise _Refusal(
                    f"{where}: integer {_clip(str(value), 24)} is outside ±(2^53 − 1), the"
                    " range canonical JSON (RFC 8785) stores exactly; send it as a string"
                )
        elif isinstance(value, float) and value != value:
            raise _Refusal(f"{format_json_path(path) or 'line'}: NaN is not allowed")
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise _Refusal(f"{format_json_path(path) or 'line'}: keys must be strings")
                _check_string(key, (*path, key))
                pending.append((item, (*path, key)))
        elif isinstance(value, list):
            pending.extend((item, (*path, index)) for index, item in enumerate(value))


def _check_string(value: str, path: tuple[str | int, ...]) -> None:
    where = format_json_path(path) or "line"
    if "\x00" in value:
        raise _Refusal(f"{where}: contains a NUL character")
    if _SURROGATE.search(value):
        raise _Refusal(f"{where}: contains an unpaired UTF-16 surrogate")


@cache
def _schema() -> dict[str, Any]:
    schema_file = resources.files("auditkit").joinpath("schemas/conversation.schema.json")
    return cast(dict[str, Any], json.loads(schema_file.read_text(encoding="utf-8")))


@cache
def _fast_validator() -> jsonschema_rs.Draft202012Validator:
    """The same schema compiled by jsonschema-rs: about 100 times faster than jsonschema,
    which matters when an import validates millions of events before appending any."""
    return jsonschema_rs.Draft202012Validator(
        _schema(), formats={"date-time": _is_valid_timestamp}, validate_formats=True
    )


def _is_valid_timestamp(value: str) -> bool:
    try:
        parse_timestamp(value)
    except ValueError:
        return False
    return True


@cache
def _validator() -> Draft202012Validator:
    schema = _schema()
    checker = FormatChecker(formats=())
    checker.checks("date-time", raises=ValueError)(_is_timestamp)
    return Draft202012Validator(schema, format_checker=checker)


def _is_timestamp(value: object) -> bool:
    if isinstance(value, str):
        parse_timestamp(value)
    return True


def _describe(error: ValidationError) -> str:
    """Say what is wrong in a short sentence prefixed with the JSON path of the bad field."""
    path = list(error.absolute_path)
    # Set on every error a validator yields (the stubs also allow jsonschema's Unset).
    instance: Any = error.instance
    kind = error.validator
    limit: Any = error.validator_value
    schema: Any = error.schema
    if kind == "required" and isinstance(instance, dict):
        missing = next(name for name in limit if name not in instance)
        return f"{format_json_path([*path, missing])}: is required"
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = schema.get("properties", {})
        extra = sorted(name for name in instance if name not in allowed)
        return f"{format_json_path([*path, extra[0]])}: is not a field of this format"
    if kind == "type":
        expected = " or ".join(
            _article(name) for name in ([limit] if isinstance(limit, str) else limit)
        )
        message = f"expected {expected}, got {json_type(instance)}"
    elif kind == "enum":
        message = f"{shorten(instance)} is not one of {', '.join(map(str, limit))}"
    elif kind == "minLength" or (kind == "pattern" and instance == ""):
        message = "must not be empty"
    elif kind == "maxLength":
        message = f"is too long ({len(instance)} characters, at most {limit})"
    elif kind == "minItems":
        message = f"needs at least {limit} item{'s' if limit != 1 else ''}"
    elif kind == "maxItems":
        message = f"has too many items ({len(instance)}, at most {limit})"
    elif kind == "maxProperties":
        message = f"has too many fields ({len(instance)}, at most {limit})"
    elif kind == "not" and isinstance(instance, str):
        control = _CONTROL.search(instance)
        position = control.start() if control else 0
        message = (
            f"contains control character U+{ord(instance[position]):04X} at position {position}"
        )
    elif kind == "pattern" and isinstance(instance, str):
        message = f"{shorten(instance)} must contain a visible character, not only spaces"
    elif kind == "format":
        message = f"{shorten(instance)} is not a valid RFC 3339 date-time"
    elif kind == "anyOf" and path and path[-1] == "from":
        message = f"expected null or a participant id, got {shorten(instance)}"
    elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        relation = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "greater than",
            "exclusiveMaximum": "less than",
        }[kind]
        message = f"{shorten(instance)} must be {relation} {limit}"
    else:
        message = _clip(error.message, 200)
    return f"{format_json_path(path)}: {message}" if path else message


def _check_semantics(document: Mapping[str, Any]) -> None:
    participants: dict[str, int] = {}
    for index, participant in enumerate(document["participants"]):
        pid = participant["id"]
        if pid in participants:
            raise _Refusal(
                f"participants[{index}].id: duplicate participant id {shorten(pid)}"
                f" (also participants[{participants[pid]}])"
            )
        participants[pid] = index
    customer = document["customer"]
    if customer not in participants:
        raise _Refusal(f"customer: {shorten(customer)} is not a declared participant")
    role = document["participants"][participants[customer]]["role"]
    if role != ParticipantRole.CUSTOMER:
        raise _Refusal(
            f"customer: participant {shorten(customer)} has role {role}, expected customer"
        )

    event_ids: dict[str, int] = {}
    previous: datetime | None = None
    for index, event in enumerate(document["events"]):
        for name in _REFERENCE_FIELDS.get(event["type"], ()):
            reference = event.get(name)
            if reference is not None and reference not in participants:
                raise _Refusal(
                    f"events[{index}].{name}: {shorten(reference)} is not a declared participant"
                )
        event_id = event.get("id")
        if event_id is not None:
            if event_id in event_ids:
                raise _Refusal(
                    f"events[{index}].id: duplicate event id {shorten(event_id)}"
                    f" (also events[{event_ids[event_id]}])"
                )
            event_ids[event_id] = index
        at = parse_timestamp(event["at"])
        if previous is not None and at < previous:
            raise _Refusal(
                f"events[{index}].at: {event['at']} is earlier than events[{index - 1}].at"
                f" ({document['events'][index - 1]['at']}); events must be in time order"
            )
        previous = at
        if event["type"] == "csat" and "scale" in event and event["score"] > event["scale"]:
            raise _Refusal(
                f"events[{index}].score: {event['score']} is above the scale ({event['scale']})"
            )


def _build(document: Mapping[str, Any]) -> Conversation:
    participants = tuple(
        Participant(
            id=item["id"],
            role=ParticipantRole(item["role"]),
            name=item.get("name"),
            team=item.get("team"),
            email=item.get("email"),
            phone=item.get("phone"),
        )
        for item in document["participants"]
    )
    events = tuple(
        Event(
            type=EventType(item["type"]),
            at=parse_timestamp(item["at"]),
            data={key: value for key, value in item.items() if key not in ("type", "at")},
        )
        for item in document["events"]
    )
    return Conversation(
        conversation_id=document["conversation_id"],
        channel=document["channel"],
        customer=document["customer"],
        participants=participants,
        events=events,
        intents=tuple(document.get("intents", ())),
        tags=tuple(document.get("tags", ())),
        segment=document.get("segment"),
    )


def json_type(value: object) -> str:
    """What a decoded JSON value is, for messages: "null", "a boolean", ..., "an object"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    return "an object"


def _article(json_type: str) -> str:
    return {
        "null": "null",
        "integer": "an integer",
        "object": "an object",
        "array": "an array",
    }.get(json_type, f"a {json_type}")


def shorten(value: object) -> str:
    """A value's repr cut to 80 characters, for messages that quote the input."""
    return _clip(repr(value), 80)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
