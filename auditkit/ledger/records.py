"""Ledger records: their kinds and their canonical (RFC 8785) byte encoding."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import rfc8785

from auditkit.errors import InputRefused, TamperDetected

ENTRY_VERSION = 1


class RecordKind(StrEnum):
    """Every kind of record the ledger holds."""

    CONVERSATION_OPENED = "conversation.opened"
    MESSAGE = "message"
    INTERNAL_NOTE = "internal_note"
    ASSIGNMENT = "assignment"
    STATUS = "status"
    ACTION = "action"
    CONSENT = "consent"
    ESCALATION = "escalation"
    TAG = "tag"
    RESOLUTION_CODE = "resolution_code"
    CSAT = "csat"
    CORRECTION = "correction"
    PARTICIPANT_ADDED = "participant.added"
    IMPORT_RUN = "import.run"
    ACCESS = "access"
    KEY_ROTATED = "key.rotated"
    ERASURE = "erasure"
    ERASURE_REQUESTED = "erasure.requested"  # four-eyes: asked by one compliance officer
    ERASURE_APPROVED = "erasure.approved"  # ... approved by a second one
    ERASURE_REJECTED = "erasure.rejected"
    CHECK_RESULT = "check.result"
    PII_FINDINGS = "pii.findings"
    LEGAL_HOLD_ADDED = "legal_hold.added"
    LEGAL_HOLD_REMOVED = "legal_hold.removed"
    MASTER_KEY_ROTATED = "master_key.rotated"
    REVIEW = "review"
    REVIEW_COMMENT = "review.comment"
    REVIEW_DISPUTE = "review.dispute"
    REVIEW_GRADER_CHECK = "review.grader_check"
    REVIEW_ACKNOWLEDGED = "review.acknowledged"  # the reviewed agent read it (and commented)
    CALIBRATION = "calibration"
    AUTOQA = "autoqa"
    AUTOQA_FLAG = "autoqa.flag"


TEXT_KINDS = frozenset({RecordKind.MESSAGE, RecordKind.INTERNAL_NOTE})
"""The record kinds whose body holds text someone wrote (scanned, redacted, commented on)."""


@dataclass(frozen=True)
class RecordDraft:
    """A record about to be appended: everything but its seq and recording time."""

    kind: RecordKind
    conversation: str | None
    occurred_at: datetime
    body: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EncodedDraft:
    """A record about to be appended whose body is already encoded: ``body_json`` is
    :func:`encode_body` of it, built where the body was computed (an AutoQA worker process),
    so the appending process splices the envelope around it instead of encoding it again.
    Only for kinds with nothing to seal and no ledger projection (``AppendBatch.append_encoded``
    refuses the others)."""

    kind: RecordKind
    conversation: str | None
    occurred_at: datetime
    body_json: bytes


@dataclass(frozen=True)
class Record:
    """A record as stored: its seq, the exact leaf bytes and their decoded fields."""

    seq: int
    kind: str
    conversation: str | None
    recorded_at: str
    occurred_at: str
    body: Mapping[str, Any]
    entry: bytes


def format_time(moment: datetime) -> str:
    """The one textual form of a time in the ledger: UTC, microseconds, ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    # isoformat is several times faster than strftime and always pads the year to 4 digits.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def parse_time(value: str) -> datetime:
    """Inverse of :func:`format_time` (accepts any RFC 3339 time with an offset)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no timezone")
    return moment.astimezone(UTC)


_SAFE_INT = 2**53

CanonicalizationError = rfc8785.CanonicalizationError
"""What ``rfc8785`` raises for a value outside canonical JSON's domain."""


class RecordRefused(InputRefused):
    """A record could not be appended: a value in its body has no canonical JSON form.

    Raised inside the append transaction, so nothing of the batch is written; the message
    names the record (kind, conversation) and the path of the value, and why.
    """

    def __init__(self, draft: RecordDraft, problem: str) -> None:
        where = f" of conversation {draft.conversation!r}" if draft.conversation else ""
        self.problem = problem
        super().__init__([f"{draft.kind} record{where}: {problem}"])


def canonical_problem(value: Any, path: str = "body") -> str | None:
    """Where and why ``value`` falls outside canonical JSON's domain (RFC 8785), or None.

    The domain: objects with string keys, arrays, strings of Unicode scalar values (no lone
    surrogate), finite numbers, integers within ±(2^53 − 1), booleans and null.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if -_SAFE_INT < value < _SAFE_INT:
            return None
        digits = str(value)
        shown = digits if len(digits) <= 24 else digits[:23] + "…"
        return (
            f"{path}: integer {shown} is outside ±(2^53 − 1), the range canonical JSON"
            " (RFC 8785) stores exactly"
        )
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        return f"{path}: {value} is not a finite number"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{path}: contains an unpaired UTF-16 surrogate"
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path}: key {key!r} is not a string"
            problem = canonical_problem(key, f"{path} key") or canonical_problem(
                item, f"{path}.{key}"
            )
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = canonical_problem(item, f"{path}[{index}]")
            if problem:
                return problem
        return None
    return f"{path}: {type(value).__name__} is not a JSON value"


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of ``value``.

    The ``rfc8785`` package is the reference but pure Python (about 12 µs a record); for
    values where the standard library already produces identical bytes (no floats, no
    astral characters in keys, integers in the safe range) we use ``json.dumps``, which is
    four times faster. A property test checks the two agree.
    """
    if _stdlib_is_canonical(value):
        try:
            return json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let rfc8785 refuse it with its own message
    return rfc8785.dumps(value)


def _stdlib_is_canonical(value: Any) -> bool:
    # One loop over a stack rather than a call per container (a large body, like an AutoQA
    # record's, holds hundreds of values): the same answer, in half the time.
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if not -_SAFE_INT < item < _SAFE_INT:
                return False
        elif kind is dict:
            for key, inner in item.items():
                # Python sorts keys by code point, RFC 8785 by UTF-16 unit: they only
                # differ when a key holds a character beyond the BMP.
                if type(key) is not str or (not key.isascii() and max(key, default="") > "\uffff"):
                    return False
                kind = type(inner)
                if kind is not str and kind is not bool and inner is not None:
                    push(inner)
        elif kind is list or kind is tuple:
            extend(item)
        else:
            return False
    return True


def _envelope(
    seq: int,
    draft: RecordDraft | EncodedDraft,
    recorded_at: str,
    occurred_at: str | None,
    body: Any,
) -> dict[str, Any]:
    """A leaf's fields around ``body`` (the draft's body, or a placeholder to splice)."""
    return {
        "v": ENTRY_VERSION,
        "seq": seq,
        "kind": str(draft.kind),
        "conversation": draft.conversation,
        "recorded_at": recorded_at,
        "occurred_at": occurred_at or format_time(draft.occurred_at),
        "body": body,
    }


def encode_entry(
    seq: int, draft: RecordDraft, recorded_at: str, occurred_at: str | None = None
) -> bytes:
    """The canonical leaf bytes of a record (RFC 8785 JSON, never containing a newline).

    ``occurred_at`` may be passed when the caller has already formatted the draft's time.
    """
    envelope = _envelope(seq, draft, recorded_at, occurred_at, dict(draft.body))
    # The envelope's own fields are strings and a small int; only the body needs checking.
    if -_SAFE_INT < seq < _SAFE_INT and _stdlib_is_canonical(envelope["body"]):
        try:
            return json.dumps(
                envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8")
        except UnicodeEncodeError:
            pass
    return rfc8785.dumps(envelope)


def encode_body(draft: RecordDraft) -> bytes:
    """The canonical JSON of ``draft``'s body, as :func:`encode_entry` embeds it; a body
    outside canonical JSON's domain is refused (:class:`RecordRefused`, naming the value)."""
    try:
        return canonical_json(dict(draft.body))
    except CanonicalizationError as error:
        raise RecordRefused(draft, canonical_problem(draft.body) or str(error)) from None


_BODY_PLACEHOLDER = '{"body":0,'


def splice_entry(
    seq: int, draft: EncodedDraft, recorded_at: str, occurred_at: str | None = None
) -> bytes:
    """The leaf bytes :func:`encode_entry` gives for ``draft``'s body, from its encoded body.

    The envelope's keys sort with ``body`` first, so the entry is ``{"body":`` + the body's
    canonical JSON + the rest of the envelope, encoded once around a placeholder body.
    tests/unit/test_records.py checks the two give the same bytes.
    """
    body = draft.body_json
    if body[:1] != b"{" or body[-1:] != b"}" or b"\n" in body:
        raise ValueError("an encoded body must be the canonical JSON of an object")
    if not -_SAFE_INT < seq < _SAFE_INT:
        raise ValueError(f"seq {seq} is outside canonical JSON's integers")
    rest = canonical_json(_envelope(seq, draft, recorded_at, occurred_at, 0))
    assert rest.startswith(_BODY_PLACEHOLDER.encode())
    return b'{"body":' + body + rest[len(_BODY_PLACEHOLDER) - 1 :]


def decode_entry(entry: bytes, *, expected_seq: int | None = None) -> Record:
    """Parse stored leaf bytes back into a record, refusing anything non-canonical."""
    seq_hint = expected_seq
    try:
        value = json.loads(entry)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TamperDetected(seq=seq_hint, reason=f"entry is not JSON: {exc}") from None
    if not isinstance(value, dict) or value.get("v") != ENTRY_VERSION:
        raise TamperDetected(seq=seq_hint, reason="entry is not a version 1 record object")
    try:
        record = Record(
            seq=_typed(value, "seq", int),
            kind=_typed(value, "kind", str),
            conversation=value["conversation"],
            recorded_at=_typed(value, "recorded_at", str),
            occurred_at=_typed(value, "occurred_at", str),
            body=_typed(value, "body", dict),
            entry=entry,
        )
    except (KeyError, TypeError) as exc:
        raise TamperDetected(
            seq=seq_hint, reason=f"entry field missing or mistyped: {exc}"
        ) from None
    if canonical_json(value) != entry:
        raise TamperDetected(seq=seq_hint, reason="entry bytes are not canonical RFC 8785 JSON")
    return record


def _typed(value: Mapping[str, Any], key: str, kind: type) -> Any:
    item = value[key]
    if not isinstance(item, kind) or (kind is int and isinstance(item, bool)):
        raise TypeError(f"{key} is not {kind.__name__}")
    return item
