"""Readers that turn conversation files (auditkit JSONL, ABCD, SGD, Chatwoot) into domain conversations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from auditkit.errors import ImportRejected
from auditkit.sources.abcd import read_abcd
from auditkit.sources.chatwoot.export import looks_like_chatwoot, read_chatwoot
from auditkit.sources.jsonl import read_json_document, read_jsonl
from auditkit.sources.model import SourceItem
from auditkit.sources.sgd import read_sgd

Reader = Callable[[Path], Iterator[SourceItem]]

FORMATS: dict[str, Reader] = {
    "jsonl": read_jsonl,
    "abcd": read_abcd,
    "sgd": read_sgd,
    "chatwoot": read_chatwoot,
}
"""Every import format by name, as accepted by ``auditkit import --format``."""

__all__ = ["FORMATS", "Reader", "detect_format", "read_conversations"]


def read_conversations(path: Path, fmt: str | None) -> Iterator[SourceItem]:
    """Yield the conversations of ``path`` in format ``fmt``, detected from the file when None."""
    name = detect_format(path) if fmt is None else fmt
    reader = FORMATS.get(name)
    if reader is None:
        known = ", ".join(FORMATS)
        raise ImportRejected(
            source=str(path), line=0, reason=f"unknown format {name!r} (known: {known})"
        )
    return reader(path)


def detect_format(path: Path) -> str:
    """Tell a file's format: ``.jsonl`` is auditkit JSONL; ``.json`` is ABCD, SGD or Chatwoot."""
    source = str(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return "jsonl"
    if suffix == ".json":
        data = read_json_document(path)
        if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
            if all("convo_id" in item for item in data):
                return "abcd"
            if all("dialogue_id" in item for item in data):
                return "sgd"
        if looks_like_chatwoot(data):
            return "chatwoot"
        reason = (
            "cannot tell the format: expected a list of ABCD (convo_id) or SGD (dialogue_id) "
            "objects, or Chatwoot conversations (inbox_id and messages)"
        )
        raise ImportRejected(source=source, line=0, reason=reason)
    known = ", ".join(FORMATS)
    reason = f"cannot tell the format from the file name; name one of: {known}"
    raise ImportRejected(source=source, line=0, reason=reason)
