"""Interim redaction for the review app, until the Presidio redactor (auditkit.pii) is wired in.

The seam is :func:`default_redactor`: return the Presidio-backed redactor there and every
screen that shows conversation text uses it, through ``auditkit.services.review.redacted_text``.

What the interim redactor masks, and only that:

- e-mail addresses (any, by pattern) as ``[EMAIL]``;
- the phone numbers participants declared, wherever their digits appear, as ``[PHONE]``;
- customers' declared names, whole or any part of two letters or more, with or without
  accents, case-insensitively, as ``[NAME]`` (staff and bot names are shown as authors
  anyway, so they are left in the text);
- every run of four or more digits as ``[NUMBER]`` (account and card numbers, years of
  birth, codes).

It does not find postcodes, street addresses, names nobody declared, or numbers written
in words: that is the PII detector's job.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from auditkit.ledger.conversation import LedgerParticipant

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
    """The redactor every review screen uses. Swap in the Presidio redactor here."""
    return InterimRedactor()
