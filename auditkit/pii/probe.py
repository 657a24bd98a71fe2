"""``auditkit pii --jsonl``: the configured detector over a file of labelled-style inputs.

Each input line is a JSON object ``{"id": …, "text": "…"}``, optionally with
``"participants": [{"id", "role", "name", "email", "phone", "team"}, …]`` (the
conversation's people, as ``auditkit scan`` passes them). Each output line is
``{"id": …, "findings": [{"entity_type", "start", "end", "score", "recognizer"}, …]}``
in input order. The whole file is read and checked before anything is detected: a bad
line is refused with its line number and what is wrong, and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from auditkit.errors import InputRefused
from auditkit.ledger.conversation import LedgerParticipant
from auditkit.pii.detection.detector import Detector

_PARTICIPANT_KEYS = frozenset({"id", "role", "name", "email", "phone", "team"})


@dataclass(frozen=True)
class ProbeInput:
    """One line: its id, text and participants."""

    id: Any
    text: str
    participants: tuple[LedgerParticipant, ...] = ()


def _participant(value: Any, where: str, problems: list[str]) -> LedgerParticipant | None:
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        problems.append(f"{where}: a participant is an object with a string id")
        return None
    unknown = sorted(set(value) - _PARTICIPANT_KEYS)
    if unknown:
        problems.append(f"{where}: unknown participant field(s) {', '.join(unknown)}")
        return None
    fields = {k: value.get(k) for k in ("name", "team", "email", "phone")}
    if any(v is not None and not isinstance(v, str) for v in fields.values()):
        problems.append(f"{where}: participant name, team, email and phone are strings")
        return None
    return LedgerParticipant(id=value["id"], role=str(value.get("role") or "customer"), **fields)


def read_inputs(lines: Iterable[str], source: str) -> list[ProbeInput]:
    """Every input of the file, or :class:`InputRefused` listing each bad line."""
    inputs: list[ProbeInput] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc.msg})")
            continue
        if not isinstance(item, dict):
            problems.append(f"{where}: expected an object with id and text")
            continue
        if "id" not in item:
            problems.append(f"{where}: missing id")
        if not isinstance(item.get("text"), str):
            problems.append(f"{where}: text must be a string")
        raw = item.get("participants", [])
        if not isinstance(raw, list):
            problems.append(f"{where}: participants must be a list")
            raw = []
        people = [_participant(p, where, problems) for p in raw]
        if "id" in item and isinstance(item.get("text"), str):
            inputs.append(
                ProbeInput(item["id"], item["text"], tuple(p for p in people if p is not None))
            )
    if problems:
        raise InputRefused(problems)
    if not inputs:
        raise InputRefused([f"{source}: no input lines"])
    return inputs


def probe(detector: Detector, inputs: Iterable[ProbeInput]) -> Iterator[str]:
    """One JSON line per input: its id and the findings, as ``auditkit scan`` finds them."""
    for item in inputs:
        findings = detector.detect(item.text, item.participants or None)
        yield json.dumps(
            {"id": item.id, "findings": [f.as_dict() for f in findings]}, ensure_ascii=False
        )
