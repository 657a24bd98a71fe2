"""Conversation metrics computed from a conversation's records; docs/metrics.md defines each."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from auditkit.ledger.conversation import HUMAN_STAFF_ROLES, LedgerConversation, LedgerEvent
from auditkit.ledger.records import RecordKind

# Canned holding replies: the whole message (after trimming) is one of these, or starts with
# one and says nothing more than a greeting or a thank-you. See docs/metrics.md.
ACKNOWLEDGEMENTS = (
    r"thanks? (?:you )?for (?:contacting|reaching out|your message|getting in touch|waiting)",
    r"we(?:'ve| have) received your (?:message|request|enquiry|inquiry)",
    r"(?:an|one of our) (?:agent|advisor|adviser|colleague|team member)s? will be with you",
    r"we(?:'ll| will) (?:get back|reply|respond) to you",
    r"(?:please )?(?:hold on|bear with (?:me|us)|wait a moment|one moment)",
    r"your (?:ticket|case|reference) (?:number|id) is",
    r"you(?:'re| are) (?:number \d+ )?in the queue",
)
_ACKNOWLEDGEMENT = re.compile(
    r"^\W*(?:(?:hi|hello|hey|good (?:morning|afternoon|evening))\b[^.!?]*[.!?,]?\s*)?"
    rf"(?:{'|'.join(ACKNOWLEDGEMENTS)})\b[^.!?]*[.!?]*\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ConversationMetrics:
    """The metrics of one conversation; ``None`` where a metric does not apply."""

    conversation_key: str
    last_seq: int
    channel: str
    first_meaningful_response_seconds: float | None
    resolution_seconds: float | None
    sessions: int
    reopens: int
    transfers: int
    escalations: int
    resolved: bool
    contained: bool
    csat: float | None
    first_event_at: datetime | None
    last_event_at: datetime | None


@lru_cache(maxsize=16384)  # pure, and holding replies are canned: the same text recurs
def is_acknowledgement(text: str) -> bool:
    """True when ``text`` is a canned holding reply with no substance (docs/metrics.md)."""
    return bool(_ACKNOWLEDGEMENT.match(" ".join(text.split())))


def staff_replies(conversation: LedgerConversation) -> list[LedgerEvent]:
    """Messages by human staff after the customer's first message, in order: the candidates
    for the first meaningful response (the first of them that is not an acknowledgement)."""
    return list(_iter_staff_replies(conversation))


def _iter_staff_replies(conversation: LedgerConversation) -> Iterator[LedgerEvent]:
    customer_wrote = False
    for event in conversation.events:
        if event.kind != RecordKind.MESSAGE:
            continue
        role = conversation.role_of(event.body.get("author"))
        if role == "customer":
            customer_wrote = True
        elif customer_wrote and role in HUMAN_STAFF_ROLES:
            yield event


def first_meaningful_response_seconds(conversation: LedgerConversation) -> float | None:
    """Seconds from the customer's first message to the first of :func:`staff_replies` that
    is not an acknowledgement; None when there is no such reply (docs/metrics.md). Stops at
    that reply: the replies after it are not read."""
    reply = next(
        (
            event
            for event in _iter_staff_replies(conversation)
            if not is_acknowledgement(str(event.body.get("text", "")))
        ),
        None,
    )
    if reply is None:
        return None
    first_customer = next(
        event.at
        for event in conversation.events
        if event.kind == RecordKind.MESSAGE
        and conversation.role_of(event.body.get("author")) == "customer"
    )  # there is one: a staff reply counts only after it
    return (reply.at - first_customer).total_seconds()


def compute_metrics(conversation: LedgerConversation) -> ConversationMetrics:
    """Every metric of ``conversation``, from its event records alone."""
    role = conversation.role_of
    started_sessions = 0
    reopens = transfers = escalations = 0
    resolved_at: datetime | None = None
    resolved = False
    human_spoke = False
    csat: float | None = None
    for event in conversation.events:
        body = event.body
        if event.kind == RecordKind.MESSAGE:
            if role(body.get("author")) in HUMAN_STAFF_ROLES:
                human_spoke = True
        elif event.kind == RecordKind.STATUS:
            status = body.get("status")
            if status == "session_started":
                started_sessions += 1
            elif status == "reopened":
                reopens += 1
                resolved = False
            elif status == "resolved":
                resolved = True
                resolved_at = event.at
        elif event.kind == RecordKind.ASSIGNMENT:
            source, target = body.get("from"), body.get("to")
            if (
                role(source) in HUMAN_STAFF_ROLES
                and role(target) in HUMAN_STAFF_ROLES
                and source != target
            ):
                transfers += 1
        elif event.kind == RecordKind.ESCALATION:
            escalations += 1
        elif event.kind == RecordKind.CSAT:
            scale = body.get("scale") or 5
            csat = float(body.get("score", 0)) / float(scale)
    first = conversation.events[0].at if conversation.events else None
    last = conversation.events[-1].at if conversation.events else None
    return ConversationMetrics(
        conversation_key=conversation.key,
        last_seq=conversation.last_seq,
        channel=conversation.channel,
        first_meaningful_response_seconds=first_meaningful_response_seconds(conversation),
        resolution_seconds=(
            (resolved_at - first).total_seconds()
            if resolved and resolved_at is not None and first is not None
            else None
        ),
        sessions=max(started_sessions, 1 if conversation.events else 0),
        reopens=reopens,
        transfers=transfers,
        escalations=escalations,
        resolved=resolved,
        contained=resolved and not human_spoke and not _human_assigned(conversation),
        csat=csat,
        first_event_at=first,
        last_event_at=last,
    )


def _human_assigned(conversation: LedgerConversation) -> bool:
    return any(
        event.kind == RecordKind.ASSIGNMENT
        and conversation.role_of(event.body.get("to")) in HUMAN_STAFF_ROLES
        for event in conversation.events
    )
