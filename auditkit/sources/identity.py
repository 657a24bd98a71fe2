"""Event identities for idempotent import: the source's id, or a keyed digest of the content.

An event with a source ``id`` is ``id:<id>``. One without is known by a digest of its
canonical content plus its occurrence number (two identical events stay two):
``hmac:<HMAC-SHA256 under the installation's event-digest key>:<n>``. Installations from
before keyed identities recorded ``sha256:<plain SHA-256>:<n>``; that form is still
recognised (the dual-key transition, docs/import-format.md) so a re-import appends nothing
twice, and nothing new is keyed with it. Corrections of a recorded event (webhook edits)
are keyed ``<event key>@<first 16 hex of the keyed digest of the new version>``, the old
plain form again recognised.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditkit.ledger.records import canonical_json
from auditkit.ledger.sealing.event_digests import DigestKey
from auditkit.sources.model import Event

KEYED = "hmac"
LEGACY = "sha256"
VERSION_DIGEST_HEX = 16


@dataclass(frozen=True)
class EventIdentity:
    """How one event is keyed now, and how an installation before keyed digests keyed it."""

    key: str
    legacy: str | None = None  # None for events keyed by their source id

    @property
    def candidates(self) -> tuple[str, ...]:
        """Every key the event may be recorded under, the current one first."""
        return (self.key,) if self.legacy is None else (self.key, self.legacy)

    def recorded_as(self, conversation: str, recorded: Collection[tuple[str, str]]) -> str | None:
        """The key this event is recorded under in ``conversation`` (None: not recorded)."""
        for key in self.candidates:
            if (conversation, key) in recorded:
                return key
        return None


def _content(event: Event) -> bytes:
    # Sorted-key JSON is deterministic for the same content, which is all an identity
    # needs; it skips the RFC 8785 checks that leaf bytes require.
    text = json.dumps(
        [str(event.type), event.at.isoformat(), event.data],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return text.encode("utf-8", "surrogatepass")


def event_identities(events: Sequence[Event], digest_key: DigestKey) -> list[EventIdentity]:
    """Stable identities of a conversation's events, for idempotent re-import.

    The source's own ``id`` when it has one; otherwise the keyed digest of the event's
    canonical content plus its occurrence number, with the plain-SHA-256 key earlier
    installations recorded as its legacy alias.
    """
    seen: Counter[str] = Counter()
    identities: list[EventIdentity] = []
    for event in events:
        source_id = event.data.get("id")
        if isinstance(source_id, str) and source_id:
            identities.append(EventIdentity(f"id:{source_id}"))
            continue
        content = _content(event)
        keyed = digest_key.hexdigest(content)
        # Equal content gives equal digests under either scheme: one count serves both.
        seen[keyed] += 1
        plain = hashlib.sha256(content).hexdigest()
        identities.append(
            EventIdentity(
                key=f"{KEYED}:{keyed}:{seen[keyed]}", legacy=f"{LEGACY}:{plain}:{seen[keyed]}"
            )
        )
    return identities


def version_digest(content: Mapping[str, Any], digest_key: DigestKey) -> str:
    """The keyed digest of what a version of an event says (canonical JSON, as stored: a
    version read back from the log, where 4.0 is 4, digests exactly as when it arrived)."""
    return digest_key.hexdigest(canonical_json(dict(content)))[:VERSION_DIGEST_HEX]


def correction_keys(
    event_key: str, content: Mapping[str, Any], digest_key: DigestKey
) -> tuple[str, str]:
    """The key of a correction of ``event_key`` to ``content``, and its pre-keyed form."""
    plain = hashlib.sha256(canonical_json(dict(content))).hexdigest()[:VERSION_DIGEST_HEX]
    return f"{event_key}@{version_digest(content, digest_key)}", f"{event_key}@{plain}"
