"""Sealing personal content: round trips, bound to its record, unreadable once the key is gone."""

from __future__ import annotations

import pytest

from auditkit.ledger.sealing.cipher import (
    ERASED,
    SEALED,
    SealingError,
    generate_master_key,
    new_data_key,
    parse_master_key,
    seal_body,
    sealed_subject,
    unseal_body,
    unwrap_data_key,
    wrap_data_key,
)

BODIES = [
    ("message", {"event_key": "k", "author": "a-1", "text": "my card is 4111 1111 1111 1111"}),
    ("internal_note", {"event_key": "k", "author": "a-1", "text": "handoff", "fields": {"x": 1}}),
    (
        "action",
        {
            "event_key": "k",
            "name": "issue-refund",
            "outcome": "success",
            "fields": {"iban": "GB29"},
        },
    ),
    ("csat", {"event_key": "k", "score": 2, "comment": "Ana was rude"}),
    (
        "conversation.opened",
        {
            "channel": "chat",
            "customer": "c-1",
            "participants": [
                {
                    "id": "c-1",
                    "role": "customer",
                    "name": "Ana Pereira",
                    "email": "ana@example.com",
                },
                {"id": "a-1", "role": "agent", "name": "Sam", "team": "Cards"},
            ],
        },
    ),
]


@pytest.mark.parametrize(("kind", "body"), BODIES, ids=[k for k, _ in BODIES])
def test_sealed_bodies_round_trip_and_hide_personal_values(kind: str, body: dict) -> None:
    key = new_data_key()
    sealed = seal_body(kind, body, subject="c-1", data_key=key, seq=7, conversation="conv")
    assert sealed_subject(sealed) == "c-1"
    rendered = repr(sealed)
    for secret in ("4111", "handoff", "GB29", "rude", "Ana Pereira", "ana@example.com"):
        assert secret not in rendered
    assert unseal_body(kind, sealed, data_key=key, seq=7, conversation="conv") == body


def test_clear_identities_stay_readable_in_the_sealed_opened_record() -> None:
    kind, body = BODIES[-1]
    sealed = seal_body(
        kind, body, subject="c-1", data_key=new_data_key(), seq=0, conversation="conv"
    )
    assert [(p["id"], p["role"]) for p in sealed["participants"]] == [
        ("c-1", "customer"),
        ("a-1", "agent"),
    ]
    assert sealed["participants"][1]["team"] == "Cards"


@pytest.mark.parametrize(
    ("seq", "kind", "conversation"),
    [(8, "message", "conv"), (7, "internal_note", "conv"), (7, "message", "other")],
    ids=["other-seq", "other-kind", "other-conversation"],
)
def test_a_ciphertext_moved_to_another_record_does_not_open(
    seq: int, kind: str, conversation: str
) -> None:
    key = new_data_key()
    sealed = seal_body(
        "message", BODIES[0][1], subject="c-1", data_key=key, seq=7, conversation="conv"
    )
    with pytest.raises(SealingError, match="does not open"):
        unseal_body(kind, sealed, data_key=key, seq=seq, conversation=conversation)


def test_without_the_data_key_the_content_reads_as_erased() -> None:
    sealed = seal_body(
        "message", BODIES[0][1], subject="c-1", data_key=new_data_key(), seq=7, conversation="conv"
    )
    opened = unseal_body("message", sealed, data_key=None, seq=7, conversation="conv")
    assert opened["text"] == ERASED
    assert opened["author"] == "a-1"
    assert SEALED not in opened


def test_bodies_without_personal_fields_are_not_sealed() -> None:
    body = {"event_key": "k", "status": "resolved"}
    assert (
        seal_body("status", body, subject="c-1", data_key=new_data_key(), seq=1, conversation="c")
        == body
    )


def test_data_keys_unwrap_only_with_their_master_key_and_subject() -> None:
    master, other = generate_master_key(), generate_master_key()
    key = new_data_key()
    wrapped = wrap_data_key(master, "c-1", key)
    assert unwrap_data_key(master, "c-1", wrapped) == key
    with pytest.raises(SealingError, match="wrong master key"):
        unwrap_data_key(other, "c-1", wrapped)
    with pytest.raises(SealingError):
        unwrap_data_key(master, "c-2", wrapped)


@pytest.mark.parametrize("text", ["not base64!", "c2hvcnQ="])
def test_bad_master_keys_are_refused(text: str) -> None:
    with pytest.raises(SealingError):
        parse_master_key(text)


def test_master_key_round_trips_through_its_encoding() -> None:
    key = generate_master_key()
    assert parse_master_key(key.encoded()) == key
    assert len(key.key_id) == 16
