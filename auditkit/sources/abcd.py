"""Reader for the Action-Based Conversations Dataset (ABCD, ASAPP, MIT licence).

An ABCD file is a JSON list of conversations. Each becomes one conversation with
a customer (from ``scenario.personal``) and one agent; ``action`` turns (the
agent's button clicks) become ``action`` events named by the button, taken from
the ``delexed`` turn's ``targets`` when present, otherwise recognised from the
action's text. ABCD has no timestamps, so times are synthesised
deterministically (see :func:`synthetic_time`). Errors name the conversation's
1-based position in the list as their ``line``; line 0 means the whole file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditkit.errors import ImportRejected
from auditkit.sources.jsonl import format_json_path, parse_conversation, read_json_document
from auditkit.sources.model import SourceItem

SYNTHETIC_EPOCH = datetime(2021, 1, 1, tzinfo=UTC)
"""Synthesised conversations start within one year after this instant."""

_YEAR_SECONDS = 365 * 24 * 60 * 60
_SPEAKERS = ("agent", "customer", "action")

# ABCD's action turns are rendered from one template per button; the first match wins.
_ACTION_TEXTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), name)
    for pattern, name in (
        (r"account has been pulled up for ", "pull-up-account"),
        (r"identity verification in progr?ess", "verify-identity"),
        (r"purchase validation in progr?ess", "validate-purchase"),
        (r"details of .* ha(ve|s) been entered", "enter-details"),
        (r"a password has been generated", "make-password"),
        (r"a promo code has been created", "promo-code"),
        (r"querying the system for subscription status", "subscription-status"),
        (r"querying the system for an answer", "ask-the-oracle"),
        (r"a refund has been made for the amount of", "offer-refund"),
        (r"a purchase of .* was made", "make-purchase"),
        (r"a reason of .* has been recorded", "record-reason"),
        (r"shipping status of .* has been noted", "shipping-status"),
        (r"membership level of .* has been noted", "membership"),
        (r"order has been updated with", "update-order"),
        (r"account has been updated with", "update-account"),
        (r"a link will be sent", "send-link"),
        (r"the (.* )?(team|manager|department) has been notified", "notify-team"),
        (r"searching the faq pages", "search-faq"),
        (r"faq answer related to .* was selected", "select-faq"),
        (r"agent is looking for solutions", "try-again"),
    )
)
_SEARCH_ACTION = re.compile(r"system action: search (\w+)", re.IGNORECASE)


def read_abcd(path: Path) -> Iterator[SourceItem]:
    """Yield each conversation of an ABCD JSON file (a list of conversations)."""
    return parse_abcd(read_json_document(path), source=str(path))


def parse_abcd(data: object, *, source: str) -> Iterator[SourceItem]:
    """Yield each conversation of already-decoded ABCD data; ``source`` names it in errors."""
    if not isinstance(data, list):
        raise ImportRejected(
            source=source,
            line=0,
            reason="expected a JSON list of ABCD conversations (one split of the release)",
        )
    first_seen: dict[str, int] = {}
    for line, item in enumerate(data, start=1):
        document = _document(item, source=source, line=line)
        conversation_id = document["conversation_id"]
        if conversation_id in first_seen:
            raise ImportRejected(
                source=source,
                line=line,
                reason=f"convo_id: {conversation_id!r} already appears in item {first_seen[conversation_id]}",
            )
        first_seen[conversation_id] = line
        conversation = parse_conversation(document, source=source, line=line)
        yield SourceItem(source=source, line=line, conversation=conversation)


def synthetic_time(key: str, turn: int) -> str:
    """The RFC 3339 time of 0-based ``turn`` in the source conversation named ``key``.

    The base is :data:`SYNTHETIC_EPOCH` plus a whole number of seconds (under one
    year) taken from SHA-256 of ``key``; each turn is one second after the last.
    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    offset = int.from_bytes(digest[:8], "big") % _YEAR_SECONDS
    at = SYNTHETIC_EPOCH + timedelta(seconds=offset + turn)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _document(item: object, *, source: str, line: int) -> dict[str, Any]:
    """Check one ABCD conversation's shape and turn it into an auditkit document."""

    def refuse(path: list[str | int], reason: str) -> ImportRejected:
        where = format_json_path(path)
        return ImportRejected(
            source=source, line=line, reason=f"{where}: {reason}" if where else reason
        )

    if not isinstance(item, dict):
        raise refuse([], f"expected a conversation object, got {type(item).__name__}")
    convo_id = item.get("convo_id")
    if isinstance(convo_id, bool) or not isinstance(convo_id, int | str) or convo_id == "":
        raise refuse(["convo_id"], "expected a number or a non-empty string")
    if "original" not in item:
        raise refuse(["original"], "is required")
    original = item["original"]
    if not isinstance(original, list):
        raise refuse(["original"], "expected a list of [speaker, text] turns")
    for index, turn in enumerate(original):
        if not (isinstance(turn, list) and len(turn) == 2):
            raise refuse(["original", index], "expected a [speaker, text] pair")
        speaker, text = turn
        if speaker not in _SPEAKERS:
            raise refuse(
                ["original", index, 0], f"speaker {speaker!r} is not one of agent, customer, action"
            )
        if not isinstance(text, str):
            raise refuse(["original", index, 1], "expected a string")
    delexed = item.get("delexed")
    if delexed is not None and not (
        isinstance(delexed, list)
        and len(delexed) == len(original)
        and all(isinstance(turn, dict) for turn in delexed)
    ):
        raise refuse(
            ["delexed"], f"expected a list of {len(original)} turn objects, aligned with original"
        )
    scenario = item.get("scenario", {})
    if not isinstance(scenario, dict):
        raise refuse(["scenario"], "expected an object")
    personal = scenario.get("personal", {})
    if not isinstance(personal, dict):
        raise refuse(["scenario", "personal"], "expected an object")

    conversation_id = f"abcd-{convo_id}"
    customer_id = f"abcd-customer-{convo_id}"
    agent_id = f"abcd-agent-{convo_id}"
    customer: dict[str, Any] = {"id": customer_id, "role": "customer"}
    for field, key in (("name", "customer_name"), ("email", "email"), ("phone", "phone")):
        if isinstance(personal.get(key), str) and personal[key]:
            customer[field] = personal[key]
    events: list[dict[str, Any]] = []
    for index, (speaker, text) in enumerate(original):
        event: dict[str, Any] = {
            "at": synthetic_time(conversation_id, index),
            "id": f"turn-{index + 1}",
        }
        if speaker == "action":
            name, values = _action(text, delexed[index] if delexed else None)
            if name is None:
                raise refuse(["original", index, 1], f"unrecognised action text {text[:80]!r}")
            fields: dict[str, Any] = {"text": text}
            if values is not None:
                fields["values"] = values
            event.update(type="action", name=name, actor=agent_id, fields=fields)
        else:
            author = customer_id if speaker == "customer" else agent_id
            event.update(type="message", author=author, text=text)
        events.append(event)

    document: dict[str, Any] = {
        "conversation_id": conversation_id,
        "channel": "chat",
        "customer": customer_id,
        "participants": [customer, {"id": agent_id, "role": "agent"}],
        "intents": [
            scenario[key]
            for key in ("flow", "subflow")
            if isinstance(scenario.get(key), str) and scenario[key]
        ],
        "events": events,
    }
    if isinstance(personal.get("member_level"), str) and personal["member_level"]:
        document["segment"] = personal["member_level"]
    return document


def _action(
    text: str, delexed_turn: Mapping[str, Any] | None
) -> tuple[str | None, list[Any] | None]:
    """The button name of an action turn and its slot values (when ``delexed`` has them)."""
    targets = delexed_turn.get("targets") if delexed_turn else None
    if (
        isinstance(targets, list)
        and len(targets) >= 4
        and targets[1] == "take_action"
        and isinstance(targets[2], str)
        and targets[2]
    ):
        values = targets[3] if isinstance(targets[3], list) else None
        return targets[2], values
    for pattern, name in _ACTION_TEXTS:
        if pattern.search(text):
            return name, None
    search = _SEARCH_ACTION.search(text)
    if search:
        return f"search-{search.group(1).lower()}", None
    return None, None
