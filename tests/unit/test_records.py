"""Canonical record encoding agrees with the RFC 8785 reference implementation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from auditkit.errors import TamperDetected
from auditkit.ledger.records import (
    EncodedDraft,
    RecordDraft,
    RecordKind,
    RecordRefused,
    canonical_json,
    decode_entry,
    encode_body,
    encode_entry,
    splice_entry,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_is_byte_identical_to_rfc8785(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    "value",
    [{"\U0001f600": 1, "\uffff": 2}, {"a": 1.5}, {"n": 2**60}, {"s": '\x00\x1f\u2028"\\'}],
    ids=["astral-keys", "float", "big-int", "escapes"],
)
def test_canonical_json_edge_cases(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.IntegerDomainError:
        with pytest.raises(rfc8785.IntegerDomainError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_entry_round_trips_and_never_holds_a_newline() -> None:
    draft = RecordDraft(
        kind=RecordKind.MESSAGE,
        conversation="c-1",
        occurred_at=datetime(2025, 1, 1, tzinfo=UTC),
        body={"text": "line one\nline two"},
    )
    entry = encode_entry(4, draft, "2025-01-01T00:00:00.000000Z")
    assert b"\n" not in entry
    record = decode_entry(entry)
    assert (record.seq, record.kind, record.body["text"]) == (4, "message", "line one\nline two")


@pytest.mark.parametrize(
    "entry",
    [b"not json", b"[]", b'{"v":2}', b'{"v":1,"seq":"0"}', b'{ "v":1 }'],
)
def test_non_canonical_or_malformed_entries_are_refused(entry: bytes) -> None:
    with pytest.raises(TamperDetected):
        decode_entry(entry)


@given(
    st.dictionaries(st.text(), json_values, max_size=5),
    st.one_of(st.none(), st.text(min_size=1)),
    st.integers(min_value=0, max_value=2**53 - 1),
)
def test_a_spliced_entry_equals_the_encoded_one(
    body: dict[str, object], conversation: str | None, seq: int
) -> None:
    """The appending process splices the envelope around a body encoded elsewhere (AutoQA's
    workers): the bytes must be those of encoding the whole record, or the refusal the same."""
    moment = datetime(2025, 1, 6, 9, 30, 1, 5, tzinfo=UTC)
    draft = RecordDraft(
        kind=RecordKind.AUTOQA, conversation=conversation, occurred_at=moment, body=body
    )
    try:
        expected = encode_entry(seq, draft, "2025-01-06T10:00:00.000000Z")
    except rfc8785.CanonicalizationError:
        with pytest.raises(RecordRefused):
            encode_body(draft)
        return
    encoded = EncodedDraft(RecordKind.AUTOQA, conversation, moment, encode_body(draft))
    assert splice_entry(seq, encoded, "2025-01-06T10:00:00.000000Z") == expected
    assert json.loads(expected)["seq"] == seq


def test_a_body_that_is_not_an_encoded_object_is_not_spliced() -> None:
    moment = datetime(2025, 1, 6, tzinfo=UTC)
    for body_json in (b"[1]", b'{"a":\n1}', b""):
        with pytest.raises(ValueError, match="canonical JSON of an object"):
            splice_entry(3, EncodedDraft(RecordKind.AUTOQA, "c-1", moment, body_json), "x")
    draft = RecordDraft(RecordKind.AUTOQA, "c-1", moment, {"score": float("nan")})
    with pytest.raises(RecordRefused, match=r"body\.score"):
        encode_body(draft)
