"""The installation's event-digest key: HMAC-SHA256 identities for events without a source id.

An event a source gives no id of is known by a digest of its content (for idempotent
re-import). A plain SHA-256 of that content lets anyone who reads the database or a bundle
confirm a guess ("was this e-mail address in the conversation?"), so new identities are
HMACs under a per-installation secret. The secret lives where the master key does
(``keys/event.key``, mode 0600, or ``AUDITKIT_EVENT_KEY`` / ``AUDITKIT_EVENT_KEY_FILE``);
only its public fingerprint is stored in the database, and it never goes into a bundle.
It is independent of the master key: rotating that key, or running without sealing,
leaves every event identity as it was.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from functools import cached_property

from auditkit.ledger.sealing.cipher import SealingError

KEY_BYTES = 32
PURPOSE = "event-digest"
"""The ``installation_keys`` row that names the event-digest key's fingerprint."""


@dataclass(frozen=True)
class DigestKey:
    """The secret event identities are keyed with; it never leaves the settings."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        """Refuse anything but a 256-bit key."""
        if len(self.secret) != KEY_BYTES:
            raise SealingError(
                f"event digest key must be {KEY_BYTES} bytes, got {len(self.secret)}"
            )

    @property
    def key_id(self) -> str:
        """A public fingerprint that tells which key an installation's identities use."""
        return hashlib.sha256(b"auditkit event digest key\n" + self.secret).hexdigest()[:16]

    def encoded(self) -> str:
        """The key as stored in a key file or variable (base64)."""
        return base64.b64encode(self.secret).decode("ascii")

    @cached_property
    def _base(self) -> hmac.HMAC:
        # Keyed once: each digest copies it rather than hashing the key pads again.
        return hmac.new(self.secret, digestmod=hashlib.sha256)

    def hexdigest(self, data: bytes) -> str:
        """HMAC-SHA256 of ``data`` under this key, as 64 hex digits."""
        mac = self._base.copy()
        mac.update(data)
        return mac.hexdigest()


def generate_digest_key() -> DigestKey:
    """A new random event-digest key."""
    return DigestKey(os.urandom(KEY_BYTES))


def parse_digest_key(text: str) -> DigestKey:
    """Decode a base64 event-digest key, with a clear error when it is not one."""
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise SealingError("event digest key is not base64") from None
    return DigestKey(secret)
