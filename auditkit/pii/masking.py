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
   - UK postcodes ("SW9 8QT", "sw9 8qt", "LS62JU") and Portuguese ones ("1200-195") as
     ``[STREET_ADDRESS]``;
   - every word with a run of four or more digits in it as ``[NUMBER]``, whole
     (account and card numbers, years of birth, codes: ``HH-7741055`` is ``[NUMBER]``,
     not ``HH-[NUMBER]``); a calendar date is one unit: an ISO date (``2024-03-20``, the
     machine format of record fields) is kept, any other date with a year
     (``14/07/1986``) is ``[DATE_TIME]``.

Both layers are one redactor: :func:`redacted` gives the CLI (``auditkit pii``) exactly
what the screens and reports show for the same text and findings. Text nobody scanned
(staff-typed comments, notes, summaries, reasons) gets the detector's findings live
when the redactor is built with ``live=True`` (:func:`scan_redactor`), then the floor:
the same masking as a scanned message. Structured fields of records
(:func:`redact_fields`) are masked by their key (``address_line1``, ``city``,
``postcode`` …) and their values go through the same redactor.

The floor alone does not find other postcodes, street addresses, names nobody declared, or
numbers written in words: that is what the scan adds, so run ``auditkit scan`` after
imports (``make demo`` does).
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from auditkit.db import Connection
from auditkit.ledger.conversation import LedgerConversation, LedgerParticipant
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import TEXT_KINDS
from auditkit.ledger.sealing.cipher import ERASED
from auditkit.pii import store as pii_store
from auditkit.pii.digests import digest_key, word_digest
from auditkit.pii.findings import Finding
from auditkit.pii.redaction import LABELS, RedactionSpan, label, redaction_spans

if TYPE_CHECKING:
    from auditkit.pii.detection.detector import Detector

__all__ = ["LABELS", "FindingsRedactor", "InterimRedactor", "Redacted", "Redactor"]

log = logging.getLogger(__name__)

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
DIGIT_RUN = re.compile(r"(?<![\w/.-])(?:[\w/.-]*?\d{4,}[\w/.-]*?)(?=[.,;:!?)\]]*(?:\s|$)|[^\w/.-])")
POSTCODE = re.compile(
    r"(?<![\w-])(?:(?i:[a-z]{1,2}\d[a-z\d]?\s+\d[a-z]{2})|[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}"
    r"|[1-9]\d{3}-\d{3})(?![\w-]|[.,/]\d)"
)
NAME_WORD = re.compile(r"(?<![\w\[])[^\W\d_](?:[\w'’-]*[^\W\d_])?(?![\w\]])")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?")
OTHER_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})")
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
    """Pattern and known-identity masking; see the module docstring for exactly what it finds.

    ``digests`` (with their ``key``) are the keyed digests of the shown conversations'
    customers' name parts (:mod:`auditkit.pii.digests`): any word whose digest is among
    them is a name, so masking goes on after erasure removed the declared names.
    """

    def __init__(self, digests: frozenset[str] = frozenset(), key: bytes | None = None) -> None:
        self._digests = digests if key is not None else frozenset()
        self._key = key

    def redact(self, text: str, *, participants: Iterable[LedgerParticipant]) -> Redacted:
        """Mask e-mails, declared phones, customers' names and digit runs of four or more."""
        people = tuple(participants)
        found: list[tuple[int, str]] = []

        def mask(pattern: re.Pattern[str], label: str, value: str) -> str:
            def replace(match: re.Match[str]) -> str:
                found.append((match.start(), label))
                return f"[{label}]"

            return pattern.sub(replace, value)

        text = mask(EMAIL, "EMAIL", text)
        tails, names_pattern = _declared(people)
        if tails:

            def phone(match: re.Match[str]) -> str:
                digits = re.sub(r"\D", "", match.group())
                if len(digits) >= 7 and digits[-7:] in tails:
                    found.append((match.start(), "PHONE"))
                    return "[PHONE]"
                return match.group()

            text = PHONE_LIKE.sub(phone, text)
        if names_pattern is not None:
            text = mask(names_pattern, "NAME", text)

        def number(match: re.Match[str]) -> str:
            value = match.group()
            if ISO_DATE.fullmatch(value):
                return value
            marker = "DATE_TIME" if OTHER_DATE.fullmatch(value) else "NUMBER"
            found.append((match.start(), marker))
            return f"[{marker}]"

        if self._digests and self._key is not None:
            key, digests = self._key, self._digests

            def erased(match: re.Match[str]) -> str:
                if word_digest(key, match.group()) in digests:
                    found.append((match.start(), "NAME"))
                    return "[NAME]"
                return match.group()

            text = NAME_WORD.sub(erased, text)
        text = mask(POSTCODE, "STREET_ADDRESS", text)
        text = DIGIT_RUN.sub(number, text)
        return Redacted(text=text, markers=tuple(label for _position, label in found))


@functools.lru_cache(maxsize=4096)
def _declared(
    people: tuple[LedgerParticipant, ...],
) -> tuple[frozenset[str], re.Pattern[str] | None]:
    """The declared phones' last seven digits and the customers' names as one pattern, for
    one conversation's participants: built once per participants, not once per text (a
    list's text search redacts every message of thousands of conversations)."""
    tails = {re.sub(r"\D", "", p.phone)[-7:] for p in people if p.phone}
    names: set[str] = set()
    for person in people:
        if person.role in NAMED_ROLES and person.name:
            for candidate in [person.name, *re.split(r"[\s,.'-]+", person.name)]:
                candidate = candidate.strip()
                if len(candidate) >= 2:
                    names.update({candidate, _fold(candidate)})
    pattern = None
    if names:
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return frozenset(tail for tail in tails if len(tail) == 7), pattern


def default_redactor() -> Redactor:
    """The floor alone: for text with no stored findings (use :func:`scan_redactor` when shown
    text comes from conversations, so the PII scan's findings apply too)."""
    return InterimRedactor()


SCANNED_KINDS = TEXT_KINDS


class FindingsRedactor:
    """Masks the stored findings of known texts, then applies the floor to every text."""

    def __init__(
        self,
        spans_by_text: Mapping[str, Sequence[RedactionSpan]],
        floor: Redactor | None = None,
        live: Detector | None = None,
    ) -> None:
        self._spans = spans_by_text
        self._floor = floor or InterimRedactor()
        self._live = live

    def prepare(self, texts: Iterable[str], *, participants: Iterable[LedgerParticipant]) -> None:
        """Run the live detector once, as one batch, over the texts ``redact`` will be asked
        about that have no stored findings: spaCy runs a batch far faster than text by text,
        and the detector keeps what it found, so the later ``redact`` calls find it there."""
        if self._live is None:
            return
        todo = [t for t in dict.fromkeys(texts) if t.strip() and t not in self._spans]
        if todo:
            self._live.detect_batch(todo, list(participants) or None)

    def redact(self, text: str, *, participants: Iterable[LedgerParticipant]) -> Redacted:
        """Mask the scan's findings in ``text`` (else, when live, the detector's), then the floor."""
        people = list(participants)
        spans = self._spans.get(text)
        if spans is None and self._live is not None and text.strip():
            found = self._live.detect(text, people or None)
            spans = redaction_spans(found, len(text))
        return _masked(text, spans or (), people, self._floor)


def _masked(
    text: str,
    spans: Sequence[RedactionSpan],
    participants: Sequence[LedgerParticipant],
    floor: Redactor,
) -> Redacted:
    markers: list[str] = []
    pieces: list[str] = []
    at = 0
    for span in spans:
        shown = label(span.entity_type)
        pieces.extend((text[at : span.start], f"[{shown}]"))
        markers.append(shown)
        at = span.end
    pieces.append(text[at:])
    masked = floor.redact("".join(pieces), participants=participants)
    return Redacted(text=masked.text, markers=(*markers, *masked.markers))


def redacted(
    text: str, findings: Iterable[Finding], participants: Iterable[LedgerParticipant] = ()
) -> Redacted:
    """``text`` as every view shows it: the findings' placeholders, then the floor.

    The one redactor: ``auditkit pii``, the screens, the reports and the coaching packs
    all end here, so the same text and findings read the same everywhere.
    """
    return _masked(
        text, redaction_spans(findings, len(text)), list(participants), InterimRedactor()
    )


FIELD_LABELS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), shown)
    for pattern, shown in (
        (r"(?:^|_)(?:date_of_birth|dob|birth_?date|birthday)$", "DATE_TIME"),
        (
            r"(?:^|_)(?:address(?:_?line)?\d*|street\w*|line_?[1-3]|house\w*|city|town"
            r"|post_?code|postal_?code|zip(?:_?code)?|county|region|country)$",
            "STREET_ADDRESS",
        ),
        (r"(?:^|_)(?:e_?mail(?:_address)?)$", "EMAIL"),
        (r"(?:^|_)(?:phone|mobile|telephone|tel)(?:_?number)?$", "PHONE"),
        (
            r"(?:^|_)(?:(?:customer|full|first|last|given|family|holder|card_?holder)_?name"
            r"|name|surname|customer)$",
            "NAME",
        ),
        (r"(?:^|_)(?:iban|account(?:_?number|_?no)?|sort_?code|card(?:_?number)?|pan)$", "NUMBER"),
        (r"(?:^|_)(?:ssn|ni_?number|national_?id|passport(?:_?number)?|tax_?id)$", "ID"),
    )
)
"""Record field keys whose value is personal data whatever it says, and its label."""


def field_label(key: str) -> str | None:
    """The label a field's value is masked as, by its key (``postcode`` → ``STREET_ADDRESS``)."""
    for pattern, shown in FIELD_LABELS:
        if pattern.search(key):
            return shown
    return None


def redact_fields(
    fields: Mapping[str, Any],
    redactor: Redactor,
    participants: Iterable[LedgerParticipant],
    *,
    skip: frozenset[str] = frozenset(),
) -> Redacted:
    """``key: value, …`` of a record's fields, each personal value masked.

    A key that names personal data (:data:`FIELD_LABELS`) masks its value whole; every
    other value goes through ``redactor`` like message text (ISO dates stay whole).
    """
    people = list(participants)
    parts: list[str] = []
    markers: list[str] = []
    for key, value in fields.items():
        if key in skip:
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        shown = field_label(key)
        if shown is None and ISO_DATE.fullmatch(text.strip()):
            parts.append(f"{key}: {text}")  # a record's own date (settled_on), not a birthday
            continue
        if shown is not None and text.strip():
            parts.append(f"{key}: [{shown}]")
            markers.append(shown)
            continue
        masked = redactor.redact(text, participants=people)
        parts.append(f"{key}: {masked.text}")
        markers.extend(masked.markers)
    return Redacted(text=", ".join(parts), markers=tuple(markers))


def scan_redactor(
    conn: Connection,
    installation: Installation,
    conversations: Iterable[LedgerConversation],
    *,
    live: bool = False,
) -> FindingsRedactor:
    """The redactor for showing these conversations: their stored scan findings, then the floor.

    Findings come from the detector the settings name (``AUDITKIT_PII_MODEL``); a message
    scanned by an older detector, or not at all, gets the floor only, unless ``live``:
    then every text without stored findings (staff-typed comments, notes, reasons,
    unscanned messages) is run through that detector in this process first. Findings whose offsets
    do not fit the text as it reads now (erased text) are ignored.
    """
    shown = list(conversations)
    detector = _live_detector(installation) if live else None
    if not shown:
        return FindingsRedactor({}, live=detector)
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
    # A message scanned with nothing found is known too: its text needs no live detection.
    scanned = pii_store.scanned_seqs(conn, key, [c.key for c in shown])
    by_text: dict[str, list[Finding]] = defaultdict(list)
    for conversation in shown:
        for event in conversation.events:
            if event.kind not in SCANNED_KINDS or (
                event.seq not in found and event.seq not in scanned
            ):
                continue
            text = str(event.body.get("text", ""))
            findings = found.get(event.seq, [])
            if text == ERASED or any(f.end > len(text) for f in findings):
                continue
            by_text[text].extend(findings)
    return FindingsRedactor(
        {text: redaction_spans(findings, len(text)) for text, findings in by_text.items()},
        floor=_floor(conn, installation, [c.key for c in shown]),
        live=detector,
    )


def _live_detector(installation: Installation) -> Detector | None:
    """The configured detector for live masking, or None (the floor alone, logged) when the
    settings name a model that is not installed: a page must not fail for it."""
    from auditkit.pii.errors import DetectorConfigInvalid, ModelNotInstalled
    from auditkit.pii.scan import configured_detector  # loads Presidio lazily

    try:
        return configured_detector(installation)
    except (ModelNotInstalled, DetectorConfigInvalid) as exc:
        log.warning("live PII masking is off, the floor alone applies: %s", exc)
        return None


def _floor(conn: Connection, installation: Installation, keys: Sequence[str]) -> InterimRedactor:
    """The floor, with the name digests of these conversations when there are any."""
    master = installation.master_key()
    if master is None:
        return InterimRedactor()
    digests = pii_store.name_digests_of(conn, keys)
    return InterimRedactor(digests, digest_key(master)) if digests else InterimRedactor()


def staff_text_redactor(
    conn: Connection, installation: Installation, conversation_key: str
) -> Callable[[str], str]:
    """Masks staff-typed text about one conversation (review notes, summaries, dispute
    comments) exactly as that conversation's messages are masked: the configured
    detector live with its participants, then the floor."""
    from auditkit.ledger.reader import load_conversations

    conversations = load_conversations(conn, [conversation_key], master=installation.master_key())
    redactor = scan_redactor(conn, installation, conversations, live=True)
    people = [p for c in conversations for p in c.participants.values()]

    def mask(text: str) -> str:
        return redactor.redact(text, participants=people).text if text else text

    return mask
