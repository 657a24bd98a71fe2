"""Signals of one conversation, computed from its records alone, each naming the message seqs
it rests on (its evidence). The names and types are ``auditkit.rubric.autoscoring.SIGNALS``;
docs/autoqa.md says how each is found and where it goes wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditkit.autoqa import language
from auditkit.autoqa.readings import CustomerText, StaffText, customer_text, staff_text
from auditkit.ledger.conversation import (
    HUMAN_STAFF_ROLES,
    STAFF_ROLES,
    LedgerConversation,
    LedgerEvent,
    ParticipantRole,
)
from auditkit.ledger.records import RecordKind
from auditkit.metrics.measures import first_meaningful_response_seconds

Value = float | int | bool | None
REPEAT_OVERLAP = 0.6  # share of the content words two questions must share to be one
ENDS = 2  # customer messages averaged for the start and end sentiment; staff messages looked at


@dataclass(frozen=True)
class Signal:
    """A signal's value and the message seqs it rests on."""

    value: Value
    seqs: tuple[int, ...] = ()

    def document(self) -> dict[str, Any]:
        """As stored in the ``autoqa`` record: a real number as text with up to four decimals
        (records hold no floats, like review scores), flags and counts as they are."""
        return {"value": decimal_text(self.value), "seqs": list(self.seqs)}


def decimal_text(value: Value) -> str | int | bool | None:
    """A float as text with up to four decimals (``"0.4329"``, ``"-1"``); other values as is."""
    if not isinstance(value, float):
        return value
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class PolicyOutcome:
    """The checks' latest result of one policy on this conversation."""

    outcome: str  # pass | fail | not_applicable
    seqs: tuple[int, ...] = ()


@dataclass(frozen=True)
class ConversationSignals:
    """Every signal of one conversation, per-message findings, and the policies' results."""

    signals: Mapping[str, Signal]
    messages: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    policies: Mapping[str, PolicyOutcome] = field(default_factory=dict)

    def value(self, name: str) -> Value:
        """A signal's value (KeyError for a name the catalogue lacks)."""
        return self.signals[name].value

    def document(self) -> dict[str, Any]:
        """As stored in the ``autoqa`` record: signals, messages (by seq), policies."""
        return {
            "signals": {name: s.document() for name, s in sorted(self.signals.items())},
            "messages": {str(seq): dict(found) for seq, found in sorted(self.messages.items())},
            "policies": {
                pid: {"outcome": p.outcome, "seqs": list(p.seqs)}
                for pid, p in sorted(self.policies.items())
            },
        }


@dataclass
class _Message:
    seq: int
    event: LedgerEvent
    role: str
    text: str
    staff: StaffText | None = None  # the text's findings, for a staff message
    customer: CustomerText | None = None  # ... for a customer message


def _messages(conversation: LedgerConversation) -> list[_Message]:
    found = []
    roles = {key: person.role for key, person in conversation.participants.items()}
    for event in conversation.events:
        if event.kind != RecordKind.MESSAGE:
            continue
        body = event.body
        author = body.get("author")
        role = (roles.get(author) if author is not None else None) or ""
        text = body.get("text")
        if isinstance(text, str) and text.strip() and text != "[erased]":
            message = _Message(event.seq, event, role, text)
            if role in STAFF_ROLES:
                message.staff = staff_text(text)
            elif role == ParticipantRole.CUSTOMER:
                message.customer = customer_text(text)
            found.append(message)
    return found


def compute_signals(
    conversation: LedgerConversation, policies: Mapping[str, PolicyOutcome] | None = None
) -> ConversationSignals:
    """Every signal of ``conversation``; ``policies`` are the checks' stored results."""
    messages = _messages(conversation)
    customer = [m for m in messages if m.customer is not None]
    staff = [m for m in messages if m.staff is not None]
    human = [m for m in staff if m.role in HUMAN_STAFF_ROLES]
    per_message: dict[int, dict[str, Any]] = {}
    signals: dict[str, Signal] = {}

    # Sentiment of the customer, start and end: two messages at each end, fewer when there
    # are fewer than four (the ends never overlap unless there is one customer message).
    # Only those are scored (VADER is most of a conversation's cost); each keeps its score.
    ends = max(1, min(ENDS, len(customer) // 2))
    first, last = customer[:ends], customer[-ends:]
    scores = {m.seq: _customer(m).sentiment for m in first + last}
    for seq, score in scores.items():
        per_message.setdefault(seq, {})["sentiment"] = decimal_text(score)
    if customer:
        start = sum(scores[m.seq] for m in first) / len(first)
        end = sum(scores[m.seq] for m in last) / len(last)
        signals["sentiment_start"] = Signal(start, tuple(m.seq for m in first))
        signals["sentiment_end"] = Signal(end, tuple(m.seq for m in last))
        signals["sentiment_change"] = Signal(
            end - start, tuple(sorted({m.seq for m in first + last}))
        )
    else:
        for name in ("sentiment_start", "sentiment_end", "sentiment_change"):
            signals[name] = Signal(None)

    # Greeting, closing, apology, empathy, next steps.
    greeting = [m.seq for m in staff[:ENDS] if _staff(m).greeting]
    closing = [m.seq for m in staff[-ENDS:] if _staff(m).closing]
    signals["greeting"] = Signal(bool(greeting), tuple(greeting[:1]))
    signals["closing"] = Signal(bool(closing), tuple(closing[-1:]))
    found_phrases = [(m.seq, _staff(m).phrases) for m in staff]
    for position, name in enumerate(("apologies", "empathy", "next_steps")):
        seqs = [seq for seq, phrases in found_phrases if phrases[position]]
        for seq in seqs:
            per_message.setdefault(seq, {})[name] = True
        signals[name] = Signal(len(seqs), tuple(seqs))
    timescale = [seq for seq, phrases in found_phrases if phrases[3]]
    signals["timescale"] = Signal(bool(timescale), tuple(timescale))

    # Questions, answers, repeats; confirmation of the resolution.
    asked, unanswered = _unanswered(messages)
    for seq in asked:
        per_message.setdefault(seq, {})["question"] = True
    for seq in unanswered:
        per_message.setdefault(seq, {})["unanswered"] = True
    signals["customer_questions"] = Signal(len(asked), tuple(asked))
    signals["unanswered_questions"] = Signal(len(unanswered), tuple(unanswered))
    signals["resolution_confirmed"] = _confirmation(messages)
    signals["repeated_questions"] = _repeated(messages, per_message)

    # Language of human staff: spelling, grammar, readability.
    words = spelling = grammar = sentence_count = syllable_count = 0
    erroneous: list[int] = []
    for m in human:
        check = _staff(m).language
        words += check.words
        spelling += len(check.spelling)
        grammar += len(check.grammar)
        sentence_count += check.sentences
        syllable_count += check.syllables
        if check.spelling or check.grammar:
            erroneous.append(m.seq)
            found = per_message.setdefault(m.seq, {})
            if check.spelling:
                # A count, never the words: a misspelt word may be a name, and this record
                # is not sealed, so it must outlive an erasure without personal content.
                found["spelling"] = len(check.spelling)
            if check.grammar:
                found["grammar"] = list(check.grammar)
    human_seqs = tuple(m.seq for m in human)
    signals["agent_messages"] = Signal(len(human), human_seqs)
    signals["agent_words"] = Signal(words, human_seqs)
    per_100 = (lambda n: 100.0 * n / words) if words else (lambda n: 0.0)
    spelt = tuple(s for s in erroneous if "spelling" in per_message[s])
    parsed = tuple(s for s in erroneous if "grammar" in per_message[s])
    signals["spelling_errors_per_100_words"] = Signal(per_100(spelling), spelt)
    signals["grammar_errors_per_100_words"] = Signal(per_100(grammar), parsed)
    signals["language_errors_per_100_words"] = Signal(per_100(spelling + grammar), tuple(erroneous))
    signals["readability"] = Signal(
        language.flesch_reading_ease(words, sentence_count, syllable_count), human_seqs
    )

    # Silences.
    # The value is the metrics' own (docs/metrics.md); the seqs show where it was measured.
    measured = first_meaningful_response_seconds(conversation)
    signals["first_response_seconds"] = Signal(measured, _first_response(messages).seqs)
    signals["longest_agent_gap_seconds"] = _longest_gap(messages)

    # Policies.
    given = dict(policies or {})
    failed = sorted(pid for pid, p in given.items() if p.outcome == "fail")
    signals["policy_failures"] = Signal(
        len(failed), tuple(sorted({s for pid in failed for s in given[pid].seqs}))
    )
    return ConversationSignals(signals=signals, messages=per_message, policies=given)


def _staff(message: _Message) -> StaffText:
    assert message.staff is not None
    return message.staff


def _customer(message: _Message) -> CustomerText:
    assert message.customer is not None
    return message.customer


def _unanswered(messages: Sequence[_Message]) -> tuple[list[int], list[int]]:
    """Customer messages that ask something, and those of them nobody answered.

    A question is unanswered when no staff message with substance (not a canned holding
    reply) follows it, or when the customer asks it again later (most of its content words
    come back in a later question): the first asking went unanswered.
    """
    asked: list[tuple[int, frozenset[str], int]] = []
    for index, m in enumerate(messages):
        if m.customer is not None:
            words = m.customer.question_words
            if words is not None:
                asked.append((m.seq, words, index))
    # replied_after[i]: a staff message with substance comes after message i (one pass back).
    replied_after = [False] * len(messages)
    seen = False
    for index in range(len(messages) - 1, -1, -1):
        replied_after[index] = seen
        m = messages[index]
        seen = seen or (m.staff is not None and not m.staff.acknowledgement)
    unanswered: list[int] = []
    for position, (seq, words, index) in enumerate(asked):
        replied = replied_after[index]
        repeated = len(words) >= 2 and any(
            len(words & other) >= REPEAT_OVERLAP * max(len(words), len(other))
            for _s, other, _i in asked[position + 1 :]
        )
        if not replied or repeated:
            unanswered.append(seq)
    return [seq for seq, _w, _i in asked], unanswered


def _confirmation(messages: Sequence[_Message]) -> Signal:
    """A staff check ("does that solve it?", "anything else?") the customer's next message
    confirms ("yes, thanks"; to "anything else?", also "no, that's all")."""
    for index, m in enumerate(messages):
        if m.staff is None:
            continue
        checks, anything_else = m.staff.outcome_check
        if not checks:
            continue
        reply = next((r for r in messages[index + 1 :] if r.customer is not None), None)
        if reply is None:
            continue
        affirms, nothing_else = _customer(reply).reply
        if affirms or (anything_else and nothing_else):
            return Signal(True, (m.seq, reply.seq))
    return Signal(False)


def _repeated(messages: Sequence[_Message], per_message: dict[int, dict[str, Any]]) -> Signal:
    """Staff asking for what the customer had already given (an e-mail, an order number...)."""
    if not any(m.staff is not None and m.staff.slots_asked for m in messages):
        return Signal(0)  # nobody asks for a slot: what the customer gave need not be read
    given: dict[str, int] = {}
    evidence: list[int] = []
    count = 0
    for m in messages:
        if m.customer is not None:
            shown = m.customer.slots_shown
            if shown:
                for slot in language.SLOTS:
                    if slot in shown and slot not in given:
                        given[slot] = m.seq
        elif m.staff is not None and given:
            for slot in m.staff.slots_asked:
                if slot in given:
                    count += 1
                    evidence += [given[slot], m.seq]
                    per_message.setdefault(m.seq, {}).setdefault("asked_again", []).append(slot)
    return Signal(count, tuple(sorted(set(evidence))))


def _first_response(messages: Sequence[_Message]) -> Signal:
    """Seconds from the customer's first message to the first staff reply with substance."""
    first = next((m for m in messages if m.role == ParticipantRole.CUSTOMER), None)
    if first is None:
        return Signal(None)
    for m in messages:
        if (
            m.role in HUMAN_STAFF_ROLES
            and m.event.at >= first.event.at
            and m.seq > first.seq
            and not _staff(m).acknowledgement
        ):
            return Signal((m.event.at - first.event.at).total_seconds(), (first.seq, m.seq))
    return Signal(None, (first.seq,))


def _longest_gap(messages: Sequence[_Message]) -> Signal:
    """The longest a customer message waited for the next staff message (answered ones)."""
    best: Signal = Signal(None)
    waiting: _Message | None = None
    for m in messages:
        if m.role == ParticipantRole.CUSTOMER:
            waiting = waiting or m
        elif m.role in STAFF_ROLES and waiting is not None:
            gap = (m.event.at - waiting.event.at).total_seconds()
            if best.value is None or gap > float(best.value):
                best = Signal(gap, (waiting.seq, m.seq))
            waiting = None
    return best
