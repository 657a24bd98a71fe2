"""Redaction for every screen and report that shows conversation text.

Two layers, the first where it is known:

1. **The PII scan's findings.** ``auditkit scan`` runs the Presidio detector (spaCy NER,
   the support-chat recognizers, the refinement rules) over every message and stores where
   each finding is. :func:`scan_redactor` loads those findings for the conversations about to
   be shown and masks each span with its type (``[NAME]``, ``[EMAIL]``, ``[PHONE]``,
   ``[CREDIT_CARD]``, ``[STREET_ADDRESS]`` …). Running Presidio live per page view would cost
   tens of milliseconds per message; the stored findings cost one indexed query per page.
   Findings only apply to the exact text they were found in (a message's stored text).
2. **The floor** (:class:`InterimRedactor`), applied to everything afterwards, including
   text the scan never sees (review comments, notes, reasons) and messages not scanned yet:

   - e-mail addresses (any, by pattern) as ``[EMAIL]``;
   - the phone numbers participants declared, wherever their digits appear, as ``[PHONE]``;
   - customers' declared names, whole or any part of two letters or more, with or without
     accents, case-insensitively, as ``[NAME]`` (staff and bot names are shown as authors
     anyway, so they are left in the text);
   - every run of four or more digits as ``[NUMBER]`` (account and card numbers, years of
     birth, codes).

The floor alone does not find postcodes, street addresses, names nobody declared, or
numbers written in words: that is what the scan adds, so run ``auditkit scan`` after
imports (``make demo`` does).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from auditkit.db import Connection
from auditkit.ledger.conversation import LedgerConversation, LedgerParticipant
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import TEXT_KINDS
from auditkit.ledger.sealing.cipher import ERASED
from auditkit.pii import store as pii_store
from auditkit.pii.findings import Finding
from auditkit.pii.redaction import RedactionSpan, redaction_spans

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
DIGIT_RUN = re.compile(r"\d{4,}")
PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{4,}\d")
NAMED_ROLES = frozenset({"customer"})


@dataclass(frozen=True)
class Redacted:
    """Text with personal data masked, and one label (``NAME``, ``EMAIL``, ...) per masked span."""

    text: str
    markers: tuple[str, ...] = ()


class Redactor(Protocol):
    """Anything that masks personal data in a conversation's text."""

    def redact(self, text: str, *, participants: Iterable[LedgerParticipant]) -> Redacted:
        """Mask personal data in ``text``, knowing who took part."""
        ...


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class InterimRedactor:
    """Pattern and known-identity masking; see the module docstring for exactly what it finds."""

    def redact(self, text: str, *, participants: Iterable[LedgerParticipant]) -> Redacted:
        """Mask e-mails, declared phones, customers' names and digit runs of four or more."""
        people = list(participants)
        found: list[tuple[int, str]] = []

        def mask(pattern: re.Pattern[str], label: str, value: str) -> str:
            def replace(match: re.Match[str]) -> str:
                found.append((match.start(), label))
                return f"[{label}]"

            return pattern.sub(replace, value)

        text = mask(EMAIL, "EMAIL", text)
        tails = {re.sub(r"\D", "", p.phone)[-7:] for p in people if p.phone}
        tails = {tail for tail in tails if len(tail) == 7}
        if tails:

            def phone(match: re.Match[str]) -> str:
                digits = re.sub(r"\D", "", match.group())
                if len(digits) >= 7 and digits[-7:] in tails:
                    found.append((match.start(), "PHONE"))
                    return "[PHONE]"
                return match.group()

            text = PHONE_LIKE.sub(phone, text)
        names: set[str] = set()
        for person in people:
            if person.role in NAMED_ROLES and person.name:
                for candidate in [person.name, *re.split(r"[\s,.'-]+", person.name)]:
                    candidate = candidate.strip()
                    if len(candidate) >= 2:
                        names.update({candidate, _fold(candidate)})
        if names:
            alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
            text = mask(pattern, "NAME", text)
        text = mask(DIGIT_RUN, "NUMBER", text)
        return Redacted(text=text, markers=tuple(label for _position, label in found))


def default_redactor() -> Redactor:
    """The floor alone: for text with no stored findings (use :func:`scan_redactor` when shown
    text comes from conversations, so the PII scan's findings apply too)."""
    return InterimRedactor()


# Presidio's entity types as the screens label them (the rest keep their own name).
LABELS = {"PERSON": "NAME", "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE"}
SCANNED_KINDS = TEXT_KINDS


class FindingsRedactor:
    """Masks the stored findings of known texts, then applies the floor to every text."""

    def __init__(
        self,
        spans_by_text: Mapping[str, Sequence[RedactionSpan]],
        floor: Redactor | None = None,
    ) -> None:
        self._spans = spans_by_text
        self._floor = floor or InterimRedactor()

    def redact(self, text: str, *, participants: Iterable[LedgerParticipant]) -> Redacted:
        """Mask the scan's findings in ``text`` (when it is a scanned message), then the floor."""
        markers: list[str] = []
        spans = self._spans.get(text, ())
        if spans:
            pieces: list[str] = []
            at = 0
            for span in spans:
                label = LABELS.get(span.entity_type, span.entity_type)
                pieces.extend((text[at : span.start], f"[{label}]"))
                markers.append(label)
                at = span.end
            pieces.append(text[at:])
            text = "".join(pieces)
        floor = self._floor.redact(text, participants=participants)
        return Redacted(text=floor.text, markers=(*markers, *floor.markers))


def scan_redactor(
    conn: Connection, installation: Installation, conversations: Iterable[LedgerConversation]
) -> FindingsRedactor:
    """The redactor for showing these conversations: their stored scan findings, then the floor.

    Findings come from the detector the settings name (``AUDITKIT_PII_MODEL``); a message
    scanned by an older detector, or not at all, gets the floor only. Findings whose offsets
    do not fit the text as it reads now (erased text) are ignored.
    """
    shown = list(conversations)
    if not shown:
        return FindingsRedactor({})
    from auditkit.pii.scan import configured_detector_key  # loads Presidio lazily

    key = configured_detector_key(installation)
    found: dict[int, list[Finding]] = defaultdict(list)
    for row in pii_store.findings_of(conn, key, [c.key for c in shown]):
        found[int(row["message_seq"])].append(
            Finding(
                start=int(row["start"]),
                end=int(row["end"]),
                entity_type=row["entity_type"],
                score=float(row["score"]),
                recognizer=row["recognizer"],
            )
        )
    by_text: dict[str, list[Finding]] = defaultdict(list)
    for conversation in shown:
        for event in conversation.events:
            if event.kind not in SCANNED_KINDS or event.seq not in found:
                continue
            text = str(event.body.get("text", ""))
            findings = found[event.seq]
            if text == ERASED or any(f.end > len(text) for f in findings):
                continue
            by_text[text].extend(findings)
    return FindingsRedactor(
        {text: redaction_spans(findings, len(text)) for text, findings in by_text.items()}
    )
