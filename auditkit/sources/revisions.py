"""Recorded versions of webhook events: what a delivery group has recorded, and corrections.

A delivery that restates an event already recorded (an edit or a deletion in Chatwoot)
appends a ``correction`` keyed ``<event key>@<keyed version digest>``
(:mod:`auditkit.sources.identity`), unless that version is recorded already.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditkit.ledger.append import AppendBatch
from auditkit.ledger.records import Record, RecordDraft, RecordKind, decode_entry
from auditkit.ledger.sealing.data_keys import unseal_mapping
from auditkit.ledger.sealing.event_digests import DigestKey
from auditkit.sources import store as webhook_store
from auditkit.sources.chatwoot.export import WebhookDelivery
from auditkit.sources.chatwoot.webhooks import with_legacy_keys
from auditkit.sources.identity import (
    EventIdentity,
    correction_keys,
    event_identities,
    version_digest,
)
from auditkit.sources.model import Event

_CORRECTION_META = ("event_key", "id", "corrects", "corrects_seq", "kind", "change")


@dataclass
class GroupState:
    """Event keys recorded before a group began, and those the group has appended since.

    Loaded with one query for the whole group; the group's own appends are tracked in
    memory so nothing needs writing before the single flush at commit. ``digest_key`` keys
    the identities of events without a source id (:mod:`auditkit.sources.identity`).
    """

    recorded: set[tuple[str, str]]
    digest_key: DigestKey
    appended: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def load(
        cls, batch: AppendBatch, deliveries: Sequence[WebhookDelivery], digest_key: DigestKey
    ) -> GroupState:
        """Seed ``batch`` with the group's conversations and read their recorded event keys
        (under the current identity and the pre-keyed one)."""
        wanted: dict[str, list[str]] = {}
        for delivery in deliveries:
            conversation = delivery.conversation
            wanted.setdefault(conversation.conversation_id, []).extend(
                key
                for identity in event_identities(conversation.events, digest_key)
                for key in identity.candidates
            )
        known = batch.known_conversations(list(wanted))
        # A status change an earlier version recorded under its old key is the same record.
        asked, aliases = with_legacy_keys({k: v for k, v in wanted.items() if k in known})
        found = webhook_store.recorded_pairs(batch.conn, asked)
        return cls(
            recorded=found | {aliases[pair] for pair in found if pair in aliases},
            digest_key=digest_key,
        )

    def has(self, conversation: str, event_key: str) -> bool:
        """Whether the event is recorded or was appended earlier in this group."""
        pair = (conversation, event_key)
        return pair in self.recorded or pair in self.appended

    def recorded_as(self, conversation: str, identity: EventIdentity) -> str | None:
        """The key the event is recorded (or was appended) under, None when it is new."""
        for key in identity.candidates:
            if self.has(conversation, key):
                return key
        return None


def correction(
    batch: AppendBatch,
    state: GroupState,
    delivery: WebhookDelivery,
    event: Event,
    event_key: str,
) -> RecordDraft | None:
    """A correction of an already recorded event, unless this version was recorded before."""
    key = delivery.conversation.conversation_id
    content = {"kind": str(event.type), **{k: v for k, v in event.data.items() if k != "id"}}
    digest = version_digest(content, state.digest_key)
    correction_key, legacy_key = correction_keys(event_key, content, state.digest_key)
    if (
        state.has(key, correction_key)
        or state.has(key, legacy_key)
        or webhook_store.recorded_pairs(batch.conn, {key: [correction_key, legacy_key]})
    ):
        return None
    batch.flush()  # the versions are read from the database, earlier appends included
    versions = [
        decode_entry(entry, expected_seq=seq)
        for seq, entry in webhook_store.event_versions(batch.conn, key, event_key)
    ]
    seen = {
        version_digest(_version_content(v.kind, _opened(batch, v)), state.digest_key)
        for v in versions
    }
    if not versions or digest in seen:
        return None
    source_id = event.data.get("id")
    body: dict[str, Any] = {
        "event_key": correction_key,
        "corrects": event_key,
        "corrects_seq": versions[0].seq,
        "kind": str(event.type),
        "change": "deleted" if source_id in delivery.deleted else "edited",
        **dict(event.data),
    }
    return RecordDraft(
        kind=RecordKind.CORRECTION, conversation=key, occurred_at=delivery.changed_at, body=body
    )


def _opened(batch: AppendBatch, record: Record) -> Mapping[str, Any]:
    """A stored body with its sealed personal fields opened (when sealing is on)."""
    if batch.data_keys is None:
        return record.body
    return unseal_mapping(
        record.kind,
        record.body,
        seq=record.seq,
        conversation=record.conversation,
        keys=batch.data_keys,
    )


def _version_content(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """What a stored version says, without the bookkeeping fields."""
    if kind == RecordKind.CORRECTION:
        return {
            "kind": body["kind"],
            **{k: v for k, v in body.items() if k not in _CORRECTION_META},
        }
    return {"kind": kind, **{k: v for k, v in body.items() if k not in ("event_key", "id")}}
