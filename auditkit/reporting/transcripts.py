"""Redacted transcripts for export bundles: one per conversation, each message naming its seq.

The ledger's bundle writer cannot redact or lay out (it sits below ``pii`` and ``review``);
it takes an ``extra_files`` callable instead. :func:`transcript_files` is that callable:
given the seqs a bundle holds, it loads their conversations, redacts them with the review
app's one redactor (stored scan findings, then the floor) and hands each to a renderer (the
``reports`` package lays it out as HTML). Only events whose record is in the bundle are
shown, so every "seq N" a transcript names has its record and ``tlog-proofs/N.tlog-proof``
beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from auditkit.db.engine import read_transaction
from auditkit.errors import InputRefused
from auditkit.ledger import store as ledger_store
from auditkit.ledger.conversation import LedgerConversation
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import TEXT_KINDS
from auditkit.pii.masking import Redactor, scan_redactor
from auditkit.review.transcript import (
    MAX_REASON,
    MIN_REVEAL_REASON,
    TranscriptItem,
    transcript_item,
)

TRANSCRIPTS = "transcripts"
"""The bundle folder with one ``<safe conversation key>.html`` per conversation."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class BundleTranscript:
    """One conversation as an auditor reads it in a bundle: redacted, every item with its seq."""

    key: str
    channel: str
    opened_seq: int | None  # the conversation.opened record, when in the bundle
    participants: tuple[tuple[str, str], ...]  # (role, label): staff by name, customer masked
    items: tuple[TranscriptItem, ...]
    proofs_folder: str | None  # "tlog-proofs" when the bundle has one proof file per record
    clear: bool = False  # clear text (an export recorded with its reason), not redacted


TranscriptRenderer = Callable[[BundleTranscript], str]
TranscriptsPdf = Callable[[Sequence[BundleTranscript]], bytes]

PDF_NAME = f"{TRANSCRIPTS}/transcripts.pdf"
"""With ``pdf``: every transcript of the bundle in one PDF, in conversation key order."""


def safe_name(key: str) -> str:
    """A conversation key as a file name: anything but letters, digits, ``._-`` becomes ``_``.

    Keys that would collide after this get their position appended by :func:`file_names`.
    """
    name = _UNSAFE.sub("_", key).strip("._") or "conversation"
    return name[:120]


def file_names(keys: Sequence[str]) -> dict[str, str]:
    """Each key's ``transcripts/<name>.html`` path, unique even when safe names collide."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for key in keys:
        base = safe_name(key)
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.lower())
        names[key] = f"{TRANSCRIPTS}/{name}.html"
    return names


def _transcript(
    conversation: LedgerConversation,
    seqs: set[int],
    redactor: Redactor,
    proofs_folder: str | None,
    clear: bool,
) -> BundleTranscript:
    items = []
    number = 0
    for event in conversation.events:
        if event.seq not in seqs:
            continue
        item = transcript_item(conversation, event, clear=clear, redactor=redactor)
        if item.kind in TEXT_KINDS:
            number += 1
            item = replace(item, number=number)
        items.append(item)
    people = tuple(
        (p.role, "Customer" if p.role == "customer" and not clear else (p.name or p.id))
        for p in conversation.participants.values()
    )
    return BundleTranscript(
        key=conversation.key,
        channel=conversation.channel,
        opened_seq=conversation.opened_seq if conversation.opened_seq in seqs else None,
        participants=people,
        items=tuple(items),
        proofs_folder=proofs_folder,
        clear=clear,
    )


MIN_CLEAR_REASON = MIN_REVEAL_REASON


class ClearRefused(InputRefused):
    """A clear-text export was asked for without a reason long enough to audit."""


def clear_details(reason: str | None, *, field: str = "--reason") -> dict[str, Any]:
    """The export record's keys for a clear-text export; refused without a real reason
    (``field`` names where the reason was asked for: the CLI option, a form field)."""
    text = " ".join((reason or "").split())
    if len(text) < MIN_CLEAR_REASON or len(text) > MAX_REASON:
        raise ClearRefused(
            [
                f"{field}: a clear-text export needs a reason of {MIN_CLEAR_REASON}"
                f"–{MAX_REASON} characters (it is recorded in the ledger)"
            ]
        )
    return {"transcripts": "clear", "clear_reason": text}


def transcript_files(
    installation: Installation,
    render: TranscriptRenderer,
    *,
    tlog_proofs: bool = True,
    pdf: TranscriptsPdf | None = None,
    clear: bool = False,
) -> Callable[[Sequence[int]], Mapping[str, bytes]]:
    """The ``extra_files`` of an export: a redacted transcript per conversation in the bundle,
    and with ``pdf`` all of them in one PDF as well.

    ``clear`` writes the clear text and names instead; the caller must record why (the
    export record's ``clear_reason``, see :func:`clear_details`).
    """

    def build(seqs: Sequence[int]) -> Mapping[str, bytes]:
        wanted = set(seqs)
        master = installation.master_key()
        with read_transaction(installation.engine) as conn:
            entries = ledger_store.entries_by_seq(conn, seqs)
            keys = sorted({e.conversation_key for e in entries if e.conversation_key is not None})
            if not keys:
                return {}
            conversations = load_conversations(conn, keys, master=master)
            redactor = scan_redactor(conn, installation, conversations)
        names = file_names(keys)
        folder = "tlog-proofs" if tlog_proofs else None
        transcripts = [_transcript(c, wanted, redactor, folder, clear) for c in conversations]
        files = {names[t.key]: render(t).encode("utf-8") for t in transcripts}
        if pdf is not None:
            files[PDF_NAME] = pdf(transcripts)
        return files

    return build
