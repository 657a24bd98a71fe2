"""The conversation's own participants: their names, emails and phones, wherever they appear."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from spacy.lang.en.stop_words import STOP_WORDS

from auditkit.ledger.conversation import STAFF_ROLES, LedgerParticipant
from auditkit.pii.entities import EntityType
from auditkit.pii.findings import Finding
from auditkit.pii.recognizers.base import GroupPattern, GroupPatternRecognizer, pattern

FULL_NAME_SCORE = 0.95
NAME_PART_SCORE = 0.7
EMAIL_SCORE = 1.0
PHONE_SCORE = 1.0
MIN_PHONE_DIGITS = 7

# Between the parts of a name or the pieces of a value: spaces, line breaks, punctuation.
_GAP = r"[\W_]{0,3}"
_NAME_PART = re.compile(r"[^\W_](?:[\w'’]*[^\W_])?")


def name_parts(name: str) -> list[str]:
    """The words of a name, in order ("Mary-Jane O'Neil" → Mary, Jane, O'Neil)."""
    return _NAME_PART.findall(name)


def _name_patterns(name: str) -> list[GroupPattern]:
    parts = name_parts(name)
    if not parts:
        return []
    found: list[GroupPattern] = []
    if len(parts) > 1:
        forward = _GAP.join(re.escape(part) for part in parts)
        backward = _GAP.join(re.escape(part) for part in [parts[-1], *parts[:-1]])
        found.append(
            pattern(
                "participant full name",
                EntityType.PERSON,
                rf"(?<!\w)(?:{forward}|{backward})(?!\w)",
                FULL_NAME_SCORE,
            )
        )
    for part in parts:
        # A lone stop word ("Will", "May") or initial is no evidence of the person.
        if len(part) < 2 or part.lower() in STOP_WORDS:
            continue
        score = FULL_NAME_SCORE if len(parts) == 1 else NAME_PART_SCORE
        found.append(
            pattern(
                "participant name part",
                EntityType.PERSON,
                rf"(?<!\w){re.escape(part)}(?!\w)",
                score,
            )
        )
    return found


def _email_pattern(email: str) -> GroupPattern | None:
    local, at, domain = email.strip().rpartition("@")
    if not (local and at and domain):
        return None
    at_sign = r"\s*(?:@|\(at\)|\[at\]|\sat\s)\s*"
    dot = r"\s*(?:\.|\(dot\)|\[dot\]|\sdot\s)\s*"
    domain_regex = dot.join(re.escape(label) for label in domain.split("."))
    return pattern(
        "participant email",
        EntityType.EMAIL_ADDRESS,
        rf"(?<![\w.+-]){re.escape(local)}{at_sign}{domain_regex}(?![\w-])",
        EMAIL_SCORE,
    )


def _phone_pattern(phone: str) -> GroupPattern | None:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    # People drop or add the country code: match the number with or without it.
    variants = {digits}
    if phone.strip().startswith("+") or (len(digits) == 11 and digits.startswith("1")):
        for cut in (1, 2, 3):
            if len(digits) - cut >= MIN_PHONE_DIGITS:
                variants.add(digits[cut:])
    separator = r"[\s().\-/]{0,3}"
    alternatives = "|".join(
        separator.join(variant) for variant in sorted(variants, key=len, reverse=True)
    )
    return pattern(
        "participant phone",
        EntityType.PHONE_NUMBER,
        rf"(?<![\d(])(?:\+?\d{{1,3}}{separator})??\(?(?:{alternatives})(?!\d)",
        PHONE_SCORE,
    )


def participant_patterns(participants: Iterable[LedgerParticipant]) -> tuple[GroupPattern, ...]:
    """The patterns that find each customer's name, and every participant's email and phone.

    Staff and bot names are not personal data of the conversation: the message header
    shows them anyway (see :class:`StaffWords`).
    """
    found: list[GroupPattern] = []
    for person in participants:
        if person.name and person.role not in STAFF_ROLES:
            found.extend(_name_patterns(person.name))
        if person.email and (email := _email_pattern(person.email)):
            found.append(email)
        if person.phone and (phone := _phone_pattern(person.phone)):
            found.append(phone)
    return tuple(found)


class ParticipantRecognizer(GroupPatternRecognizer):
    """Finds the participants' own names, emails and phones, case-insensitively, split or not."""

    def __init__(self, participants: Sequence[LedgerParticipant]) -> None:
        super().__init__(participant_patterns(participants), name="ParticipantRecognizer")


_GUESSED_TYPES = frozenset({EntityType.PERSON, EntityType.NRP, EntityType.LOCATION})


class StaffWords:
    """The names of a conversation's staff and bots and of their teams, which are not masked.

    "Hi, I'm Nova, NorthBank's virtual assistant", "Amara from the Cards team": the
    header names the agent and the bot, so masking them in the text protects nothing and
    costs the reader the context. A guessed name, place or group (any recognizer but the
    participants') over a staff name, part of one or a team name is dropped, unless it is
    also a customer's name.
    """

    def __init__(self, pattern: re.Pattern[str] | None) -> None:
        self.pattern = pattern

    @classmethod
    def of(cls, participants: Iterable[LedgerParticipant]) -> StaffWords:
        """The staff words of these participants (none when nobody is staff)."""
        words: set[str] = set()
        for person in participants:
            if person.role in STAFF_ROLES:
                for value in (person.name, person.team):
                    if value:
                        words.add(value.strip())
                        words.update(p for p in name_parts(value) if len(p) > 1)
        words = {w for w in words if w and w.lower() not in STOP_WORDS}
        if not words:
            return cls(None)
        alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        return cls(re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE))

    def unmask(self, findings: list[Finding], text: str) -> list[Finding]:
        """``findings`` less the guessed names that are staff words."""
        if self.pattern is None or not findings:
            return findings
        spans = [m.span() for m in self.pattern.finditer(text)]
        if not spans:
            return findings
        customers = [f for f in findings if f.recognizer == "ParticipantRecognizer"]

        def staff(finding: Finding) -> bool:
            if finding.entity_type not in _GUESSED_TYPES or finding.recognizer == (
                "ParticipantRecognizer"
            ):
                return False
            words = [
                (finding.start + m.start(), finding.start + m.end())
                for m in _NAME_PART.finditer(text[finding.start : finding.end])
            ]
            covered = bool(words) and all(
                any(s <= start and end <= e for s, e in spans) for start, end in words
            )
            return covered and not any(finding.overlaps(c) for c in customers)

        return [f for f in findings if not staff(f)]
