"""Refused webhook payloads hold raw personal data outside the log: they expire after
:data:`REJECTION_RETENTION` and go with the subject's data when the subject is erased."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import datetime, timedelta

from auditkit.db import Connection, operational_transaction
from auditkit.db.engine import scrub_free_space
from auditkit.ledger.installation import Installation
from auditkit.ledger.projections.registry import ErasedSubject, register_staff_text_eraser
from auditkit.ledger.records import format_time
from auditkit.periods import utc_now
from auditkit.sources import store as webhook_store

REJECTION_RETENTION = timedelta(days=14)
MIN_IDENTIFIER = 4  # shorter values ("Al", "42") would match unrelated payloads
MIN_PHONE_DIGITS = 7
PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")
NOT_DIGIT = re.compile(r"\D")
# Separators people and platforms put inside a phone number ("+44 7700-900 456").
JOINED = re.compile(r"(?<=\d)[\s().-]+(?=\d)")


def expire_rejections(conn: Connection, *, now: datetime) -> int:
    """Forget refused payloads older than the retention period; returns how many."""
    return webhook_store.delete_rejections_before(conn, format_time(now - REJECTION_RETENTION))


def expire_refused_payloads(installation: Installation, *, now: datetime | None = None) -> int:
    """What ``auditkit retention apply`` runs: forget expired refused payloads, scrubbed."""
    installation.require_schema()
    with operational_transaction(installation.engine) as conn:
        expired = expire_rejections(conn, now=now or utc_now())
    if expired:
        scrub_free_space(installation.engine, ("webhook_rejections",))
    return expired


def _readable(body: bytes) -> str:
    """The body as text, JSON escapes decoded (``\\u00e9`` reads as é), case-folded."""
    text = body.decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError, RecursionError):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return text.casefold()


def mentions(body: bytes, identifiers: tuple[str, ...] | list[str]) -> bool:
    """Whether a refused body names one of a subject's identifiers (id, name, e-mail, phone)."""
    text = _readable(body)
    numbers = JOINED.sub("", text)
    for identifier in identifiers:
        value = identifier.strip().casefold()
        if len(value) >= MIN_IDENTIFIER and value in text:
            return True
        if PHONE_LIKE.match(value):
            phone = NOT_DIGIT.sub("", value)
            # The national part too: "+44 7700 900456" is often sent as "07700 900456".
            if len(phone) >= MIN_PHONE_DIGITS and phone[-MIN_PHONE_DIGITS - 2 :] in numbers:
                return True
    return False


def erase_rejections_of(conn: Connection, subject: ErasedSubject, _erased: str) -> None:
    """Delete every kept refused payload that names the subject being erased."""
    expire_rejections(conn, now=utc_now())
    ids = [
        row_id
        for row_id, body in webhook_store.rejection_bodies(conn)
        if mentions(body, list(subject.identifiers))
    ]
    webhook_store.delete_rejections(conn, ids)


register_staff_text_eraser("sources", erase_rejections_of)
