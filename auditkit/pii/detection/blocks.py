"""An address's town, region, postcode and country, after its street line.

A customer gives an address as one line ("22 Larch Road, Leeds, LS6 2JU") or as lines
("Aspgränd 7\\nPiteå\\nSK\\n53-320"). The recognizers find the street (and some postcodes);
what follows it is short capitalised words and codes the name and place guessers read
as people ("Lake Ben", "Dufour") or miss. :func:`extend_addresses` stretches each street
finding over them: after a comma on its own line, and over up to five short lines under
it, stopping at a word of a sentence ("last night", "in case of an issue"), a contact line
("Mobile: …", an e-mail, a web address), a phone number or a sign-off.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS

from auditkit.pii.entities import EntityType
from auditkit.pii.findings import Finding
from auditkit.pii.recognizers.gazetteer import PARTICLES
from auditkit.pii.recognizers.places import COUNTRY_WORDS
from auditkit.pii.recognizers.vocabulary import NOT_NAMES, ORGANISATION_WORDS

MAX_LINES = 5
MAX_LINE = 48
_LINE_PREFIX = re.compile(r"[ \t>?*•|-]*")
_TOKEN = re.compile(r"[^\s,;()]+")
_GAP = re.compile(r"[ \t]*(?:[,;]|[ \t](?=[(]))?[ \t]*")
_CONTACT = re.compile(
    r"^(?:mobile|cell|desk|phone|tel|telephone|fax|e-?mail|website|web|office|name|dob|born"
    r"|date|account|card|iban)\b|@|https?:|www\.",
    re.IGNORECASE,
)
_SIGN_OFF = frozenset(
    ["thanks", "thank", "regards", "cheers", "best", "sincerely", "kind", "love", "bye", "ok"]
)
_CODE = re.compile(r"\d[\w/-]*|[A-Z]{1,3}\d[\w-]*|\(\w{1,4}\)")


def _address_word(token: str, lower_text: bool) -> bool:
    """A town, region or country word, a postcode or a particle ("de", "upon")."""
    word = token.strip(".'’")
    if not word:
        return False
    key = word.lower()
    if key in PARTICLES or _CODE.fullmatch(word):
        return True
    if key in STOP_WORDS or key in _SIGN_OFF or key in NOT_NAMES:
        return False
    if not word[0].isalpha():
        return False
    return word[0].isupper() or lower_text or not word.isascii()


def _address_run(text: str, start: int, end: int, lower_text: bool) -> int:
    """The end of the run of address words in ``text[start:end]`` (``start`` if none)."""
    reached = start
    for match in _TOKEN.finditer(text, start, end):
        if not _address_word(match.group(), lower_text):
            break
        reached = match.end()
    return reached


def _line_end(text: str, start: int) -> int:
    newline = text.find("\n", start)
    return len(text) if newline < 0 else newline


def block_end(text: str, end: int, lower_text: bool) -> int:
    """Where the address whose street line ends at ``end`` ends."""
    line_end = _line_end(text, end)
    gap = _GAP.match(text, end, line_end)
    assert gap is not None
    run = _address_run(text, gap.end(), line_end, lower_text)
    comma = "," in gap.group() or text.startswith("(", gap.end())
    if run > gap.end() and (comma or not text[run:line_end].strip(" \t")):
        end = run  # ", Leeds, LS6 2JU"; without a comma only to the line's end ("… road leeds")
    if text[end:line_end].strip(" \t.,"):
        return end  # the sentence goes on: the address ends on its line
    cursor = line_end + 1
    blanks = 0
    lines = 0
    while cursor <= len(text) and lines < MAX_LINES:
        line_end = _line_end(text, cursor)
        body_start = _LINE_PREFIX.match(text, cursor, line_end).end()  # type: ignore[union-attr]
        body = text[body_start:line_end].strip()
        if not body:
            blanks += 1
            if blanks > 1 or line_end >= len(text):
                break
            cursor = line_end + 1
            continue
        if (
            len(body) > MAX_LINE
            or _CONTACT.search(body)
            or ":" in body
            or sum(char.isdigit() for char in body) >= 7
        ):
            break
        run = _address_run(text, body_start, line_end, lower_text)
        if run == body_start:
            break
        end = run
        lines += 1
        if text[run:line_end].strip(" \t.,"):
            break  # "Canada 36523 last night."
        cursor = line_end + 1
    return end


def extend_addresses(
    findings: Sequence[Finding], text: str, guessing: frozenset[str]
) -> list[Finding]:
    """Each street finding (from a rule, not a guesser in ``guessing``) stretched over the
    town, region, postcode and country after it; street findings it then holds are dropped."""
    lower_text = not any(char.isupper() for char in text)
    out = _joined_streets(findings, text, guessing)
    for index, finding in enumerate(list(out)):
        if finding.entity_type != EntityType.STREET_ADDRESS or finding.recognizer in guessing:
            continue
        end = block_end(text, finding.end, lower_text)
        if end > finding.end:
            out[index] = Finding(
                finding.start, end, finding.entity_type, finding.score, finding.recognizer
            )
    streets = [f for f in out if f.entity_type == EntityType.STREET_ADDRESS]
    return [
        f
        for f in out
        if f.entity_type != EntityType.STREET_ADDRESS
        or not any(
            f.inside(other) and (other.start, other.end) != (f.start, f.end) for other in streets
        )
    ]


_JOIN_GAP = re.compile(r"[ \t,>]*(?:\n[ \t>?*•|-]*)?")


def _joined_streets(
    findings: Sequence[Finding], text: str, guessing: frozenset[str]
) -> list[Finding]:
    """Street findings that touch or overlap (or meet across one line break) as one:
    "Aspgränd 7 Villagränd 427 Backgränd 291", "Rue De La Gare\n Apt. 271"."""
    streets = sorted(
        f
        for f in findings
        if f.entity_type == EntityType.STREET_ADDRESS and f.recognizer not in guessing
    )
    others = [f for f in findings if f not in streets]
    joined: list[Finding] = []
    for street in streets:
        if joined:
            last = joined[-1]
            if street.start <= last.end or _JOIN_GAP.fullmatch(text, last.end, street.start):
                if street.end > last.end:
                    joined[-1] = Finding(
                        last.start,
                        street.end,
                        last.entity_type,
                        max(last.score, street.score),
                        last.recognizer,
                    )
                continue
        joined.append(street)
    return sorted([*others, *joined])


LABEL_NAME_RECOGNIZER = "AddressLabelName"
LABEL_NAME_SCORE = 0.5
_NAME_LINES_ABOVE = 4
_PARTICLE_NAMES = frozenset(
    {*PARTICLES, "van", "von", "ten", "ter", "bin", "ibn", "al", "el", "st", "mac", "o"}
)
_INITIAL = re.compile(r"[A-Z]\.?")
_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_LABEL = re.compile(r"^[^:\n]{1,40}:[ \t]+")


def _name_line(body: str, lower_text: bool) -> bool:
    """Two to four name words, capitalised (or all in lower case in a lower-case text), with
    initials and particles between: "Gyala Antall", "Vide A. Persson", "Willemine ten Pas"."""
    words = body.split()
    if not 2 <= len(words) <= 4 or body.isupper():
        return False
    named = 0
    for word in words:
        key = word.lower().strip(".")
        if _INITIAL.fullmatch(word) and word[0].isupper():
            continue
        if key in _PARTICLE_NAMES and not word[0].isupper():
            continue
        if not _NAME_WORD.fullmatch(word) or not (word[0].isupper() or lower_text):
            return False
        if key in STOP_WORDS or key in NOT_NAMES or key in ORGANISATION_WORDS:
            return False
        if key in COUNTRY_WORDS:
            return False
        named += 1
    return named >= 2


def _lines(text: str) -> list[tuple[int, int]]:
    """Each line's body (after quote marks and indentation) as a character range."""
    out = []
    at = 0
    for raw in text.split("\n"):
        lead = _LINE_PREFIX.match(raw).end()  # type: ignore[union-attr]
        body = raw[lead:].rstrip()
        out.append((at + lead, at + lead + len(body)))
        at += len(raw) + 1
    return out


def names_above_addresses(
    findings: Sequence[Finding], text: str, guessing: frozenset[str]
) -> list[Finding]:
    """The name lines of an address label or signature: the lines of two to four name words
    among the four above a street line or a contact line ("Mobile: …"), skipping a job or
    company line ("Gyala Antall\\n>Google Public Data Explorer\\n>3369 24 Clarke Avenue"),
    and a name after a label on the line above ("Billing address: Stanislav Pavlík").
    They are ``PERSON``; a guessed place or group over them yields."""
    if "\n" not in text:
        return list(findings)
    lower_text = not any(char.isupper() for char in text)
    lines = _lines(text)
    starts = {
        f.start
        for f in findings
        if f.entity_type == EntityType.STREET_ADDRESS and f.recognizer not in guessing
    }
    anchors = [
        index
        for index, (start, end) in enumerate(lines)
        if start in starts or (_CONTACT.match(text[start:end]) and ":" in text[start:end])
    ]
    found: list[Finding] = []
    known = [f for f in findings if f.recognizer not in guessing]
    for anchor in anchors:
        seen = 0
        candidates: list[Finding] = []
        for index in range(anchor - 1, -1, -1):
            start, end = lines[index]
            if start == end:
                continue
            if index in anchors or end - start > MAX_LINE or seen >= _NAME_LINES_ABOVE:
                break
            seen += 1
            label = _LABEL.match(text, start, end)
            if label is not None:
                start = label.end()
            if any(f.start < end and start < f.end for f in known):
                break  # the town line of an address above a contact line
            if _name_line(text[start:end], lower_text):
                candidates.append(
                    Finding(start, end, EntityType.PERSON, LABEL_NAME_SCORE, LABEL_NAME_RECOGNIZER)
                )
            if label is not None:
                break
        if candidates:
            # The topmost is the person; a line under it is the company's, unless it
            # repeats the name ("Ella H. Snider\nOtc Markets\nElla H. Snider\n228 …").
            top = text[candidates[-1].start : candidates[-1].end]
            found.extend(c for c in candidates if text[c.start : c.end] == top)
    if not found:
        return list(findings)
    kept = [
        f
        for f in findings
        if not (
            f.recognizer in guessing
            and f.entity_type in {EntityType.LOCATION, EntityType.NRP, EntityType.PERSON}
            and any(f.overlaps(name) or f == name for name in found)
        )
    ]
    return sorted({*kept, *found})
