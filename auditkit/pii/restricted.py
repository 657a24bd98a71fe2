"""Restricted data in a conversation, as findings: secrets a customer sent, asked for, echoed.

Three kinds, each with the message seq as evidence:

* ``sent_by_customer``: a customer message holds a full card number, password, one-time
  code, PIN, CVV or security answer (a finding of that type, or a bare reply shaped like
  one right after staff asked for it);
* ``requested_by_staff``: an agent, bot or supervisor asked for one ("can you give me the
  code we sent?"), unless the sentence says not to ("we will never ask for your password");
* ``repeated_by_staff``: a staff message contains a value the customer sent earlier.
  Values are compared by salted SHA-256 digests computed in memory for this call only;
  no value or digest is returned or kept.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from auditkit.ledger.conversation import STAFF_ROLES
from auditkit.pii.entities import EntityType
from auditkit.pii.findings import Finding
from auditkit.pii.recognizers.secrets import looks_like_secret

RESTRICTED_TYPES: frozenset[str] = frozenset(
    {
        EntityType.CREDIT_CARD,
        EntityType.PASSWORD,
        EntityType.ONE_TIME_CODE,
        EntityType.PIN,
        EntityType.CARD_CVV,
        EntityType.SECURITY_ANSWER,
    }
)
"""Types no one should send in chat: card numbers (full) and credentials."""

CUSTOMER_ROLE = "customer"
_DIGIT_TYPES = frozenset(
    {EntityType.CREDIT_CARD, EntityType.ONE_TIME_CODE, EntityType.PIN, EntityType.CARD_CVV}
)


class RestrictedKind(StrEnum):
    """What happened to a restricted value."""

    SENT_BY_CUSTOMER = "sent_by_customer"
    REQUESTED_BY_STAFF = "requested_by_staff"
    REPEATED_BY_STAFF = "repeated_by_staff"


@dataclass(frozen=True)
class ScannedMessage:
    """One message of a conversation, its author's role and the detector's findings in it."""

    seq: int
    role: str
    text: str
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class RestrictedFinding:
    """A restricted-data event: its kind, the data type, and the seqs that show it.

    ``seq`` is the message that is the event; ``evidence_seqs`` adds the messages it
    relates to (the customer's original message for an echo, the request for a reply).
    ``start``/``end`` locate the value in message ``seq`` when the detector's findings do
    not already (a bare reply, an echo), so it can be redacted with :meth:`as_finding`.
    """

    kind: RestrictedKind
    entity_type: str
    seq: int
    evidence_seqs: tuple[int, ...]
    rule: str
    start: int | None = None
    end: int | None = None

    def as_finding(self) -> Finding | None:
        """A finding for the located value (to redact it), or None when there is none."""
        if self.start is None or self.end is None:
            return None
        return Finding(self.start, self.end, self.entity_type, 1.0, "RestrictedDataClassifier")


@dataclass(frozen=True)
class RequestRule:
    """Staff wording that asks for one restricted type."""

    entity_type: str
    target: re.Pattern[str]


def _rule(entity_type: str, target: str) -> RequestRule:
    return RequestRule(entity_type, re.compile(target, re.IGNORECASE))


REQUEST_RULES: tuple[RequestRule, ...] = (
    _rule(
        EntityType.CREDIT_CARD,
        r"\b(?:(?:full|long|complete|16[- ]digit)\s+)?(?:(?:credit|debit|bank)\s+)?card\s*(?:number|no\.?|#|details)\b"
        r"|\bcard\s+details\b",
    ),
    _rule(
        EntityType.PASSWORD, r"\b(?:pass\s?word|passwd|passphrase|login\s+details|credentials)\b"
    ),
    _rule(
        EntityType.ONE_TIME_CODE,
        r"\b(?:one[- ]?time\s+(?:pass\s?code|code|password|pin)|otp|verification\s+code|confirmation\s+code"
        r"|(?:sms|text|2fa|login|access|auth(?:entication)?|\d[- ]digit|six[- ]digit)\s+code"
        r"|code\s+(?:we|i)\s+(?:just\s+)?(?:sent|texted|emailed))\b",
    ),
    _rule(EntityType.PIN, r"\bpin(?:\s+(?:number|code))?\b"),
    _rule(
        EntityType.CARD_CVV,
        r"\b(?:cvv2?|cvc2?|cv2|card\s+security\s+code|security\s+code\s+on\s+the\s+back"
        r"|(?:3|three)[- ]digit\s+(?:security\s+)?code)\b",
    ),
    _rule(
        EntityType.SECURITY_ANSWER,
        r"\b(?:mother'?s\s+maiden\s+name|security\s+(?:question|answer)|secret\s+(?:answer|word)"
        r"|memorable\s+(?:word|information)|first\s+pet)\b",
    ),
)
"""What staff might ask for, per type; a sentence must also ask (see ``_ASKS``)."""

_ASKS = re.compile(
    r"\b(?:give|provide|send|share|tell|type|enter|read|confirm|spell|verify|need|require|want"
    r"|what(?:'s|\s+is|\s+was|\s+are)|may\s+i\s+have|can\s+i\s+(?:have|get)|could\s+i\s+(?:have|get)"
    r"|please)\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(
    r"\b(?:never|don'?t|do\s+not|doesn'?t|does\s+not|won'?t|will\s+not|shouldn'?t|should\s+not"
    r"|no\s+need|not\s+(?:ask|share|send|give)|nobody|no\s+one|reset|change|forgot|forgotten)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")

# A bare customer reply right after a request, shaped like the requested value.
_REPLY_SHAPES: dict[str, re.Pattern[str]] = {
    EntityType.ONE_TIME_CODE: re.compile(r"\d{4,8}|\d{3}[- ]\d{3}"),
    EntityType.PIN: re.compile(r"\d{4,6}"),
    EntityType.CARD_CVV: re.compile(r"\d{3,4}"),
    EntityType.PASSWORD: re.compile(r"[^\s]{4,64}"),
    EntityType.SECURITY_ANSWER: re.compile(r"[^\W\d_][\w'’-]*(?:\s+[^\W\d_][\w'’-]*){0,3}"),
}


def requested_types(text: str) -> list[str]:
    """The restricted types a staff message asks for (sentences that negate are ignored)."""
    found: list[str] = []
    for sentence in _SENTENCE.findall(text):
        if _NEGATED.search(sentence) or not _ASKS.search(sentence):
            continue
        for rule in REQUEST_RULES:
            if rule.entity_type not in found and rule.target.search(sentence):
                found.append(rule.entity_type)
    return found


def _normalise(entity_type: str, value: str) -> str:
    if entity_type in _DIGIT_TYPES:
        return re.sub(r"\D", "", value)
    if entity_type == EntityType.SECURITY_ANSWER:
        return " ".join(value.casefold().split())
    return value.strip().strip("\"'“”‘’.,!?;:()")


def _candidates(entity_type: str, text: str) -> Iterator[tuple[int, int]]:
    """Every span of a staff message that could hold a repeated value of the type."""
    if entity_type in _DIGIT_TYPES:
        for match in re.finditer(r"\d(?:[\d -]*\d)?", text):
            yield match.span()
            for piece in re.finditer(r"\d+", match.group()):
                yield match.start() + piece.start(), match.start() + piece.end()
    elif entity_type == EntityType.SECURITY_ANSWER:
        words = [match.span() for match in re.finditer(r"[\w'’-]+", text)]
        for size in range(1, 5):
            for index in range(len(words) - size + 1):
                yield words[index][0], words[index + size - 1][1]
    else:
        for match in re.finditer(r"\S+", text):
            yield match.span()


class _Digests:
    """Salted digests of the values customers sent, per type: compared, never exposed."""

    def __init__(self) -> None:
        self._salt = secrets.token_bytes(16)
        self._sent: dict[tuple[str, bytes], int] = {}

    def _digest(self, entity_type: str, value: str) -> bytes | None:
        normalised = _normalise(entity_type, value)
        if not normalised:
            return None
        return hashlib.sha256(
            self._salt + entity_type.encode() + b"\0" + normalised.encode()
        ).digest()

    def remember(self, entity_type: str, value: str, seq: int) -> None:
        digest = self._digest(entity_type, value)
        if digest is not None:
            self._sent.setdefault((entity_type, digest), seq)

    def first_sent(self, entity_type: str, text: str) -> tuple[int, int, int] | None:
        """(seq of the customer message that held it, start, end) of a value found in ``text``."""
        for start, end in _candidates(entity_type, text):
            digest = self._digest(entity_type, text[start:end])
            if digest is not None and (entity_type, digest) in self._sent:
                return self._sent[(entity_type, digest)], start, end
        return None

    def types(self) -> set[str]:
        return {entity_type for entity_type, _ in self._sent}


def classify_restricted(
    messages: Sequence[ScannedMessage], *, types: Iterable[str] = RESTRICTED_TYPES
) -> list[RestrictedFinding]:
    """The restricted-data findings of one conversation's messages (in seq order)."""
    watched = frozenset(types)
    digests = _Digests()
    out: list[RestrictedFinding] = []
    pending: dict[str, int] = {}  # type asked for → seq of the request, until the customer replies
    for message in sorted(messages, key=lambda m: m.seq):
        if message.role == CUSTOMER_ROLE:
            sent = sorted({f.entity_type for f in message.findings if f.entity_type in watched})
            for finding in message.findings:
                if finding.entity_type in watched:
                    digests.remember(
                        finding.entity_type, message.text[finding.start : finding.end], message.seq
                    )
            for entity_type in sent:
                out.append(
                    RestrictedFinding(
                        RestrictedKind.SENT_BY_CUSTOMER,
                        str(entity_type),
                        message.seq,
                        (message.seq,),
                        "finding",
                    )
                )
            reply = message.text.strip()
            for entity_type, request_seq in sorted(pending.items()):
                shape = _REPLY_SHAPES.get(entity_type)
                if entity_type in sent or shape is None or not shape.fullmatch(reply):
                    continue
                if entity_type == EntityType.PASSWORD and not looks_like_secret(reply):
                    continue
                digests.remember(entity_type, reply, message.seq)
                start = message.text.index(reply)
                out.append(
                    RestrictedFinding(
                        RestrictedKind.SENT_BY_CUSTOMER,
                        str(entity_type),
                        message.seq,
                        (request_seq, message.seq),
                        "reply to a request",
                        start,
                        start + len(reply),
                    )
                )
            pending.clear()
        elif message.role in STAFF_ROLES:
            for entity_type in requested_types(message.text):
                if entity_type in watched:
                    pending[entity_type] = message.seq
                    out.append(
                        RestrictedFinding(
                            RestrictedKind.REQUESTED_BY_STAFF,
                            str(entity_type),
                            message.seq,
                            (message.seq,),
                            "request wording",
                        )
                    )
            for entity_type in sorted(digests.types()):
                repeated = digests.first_sent(entity_type, message.text)
                if repeated is not None:
                    first, start, end = repeated
                    out.append(
                        RestrictedFinding(
                            RestrictedKind.REPEATED_BY_STAFF,
                            str(entity_type),
                            message.seq,
                            (first, message.seq),
                            "same value as the customer sent",
                            start,
                            end,
                        )
                    )
    return out
