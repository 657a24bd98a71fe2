"""Builders of LedgerConversation values for the checks tests (no database: fake seqs)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditkit.checks import CheckContext, Rule, RuleOutcome, Timeline, parse_policy
from auditkit.ledger.conversation import LedgerConversation, LedgerEvent, LedgerParticipant
from auditkit.sources.model import Conversation

DATA = Path(__file__).resolve().parents[2] / "data"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

CUSTOMER = "cust"
AGENT = "agent-ann"
AGENT_2 = "agent-bo"
BOT = "bot-nova"
SUPERVISOR = "sup-sam"

PARTICIPANTS = {
    CUSTOMER: LedgerParticipant(id=CUSTOMER, role="customer", name="Ada"),
    AGENT: LedgerParticipant(id=AGENT, role="agent", name="Ann"),
    AGENT_2: LedgerParticipant(id=AGENT_2, role="agent", name="Bo"),
    BOT: LedgerParticipant(id=BOT, role="bot", name="Nova"),
    SUPERVISOR: LedgerParticipant(id=SUPERVISOR, role="supervisor", name="Sam"),
}


@dataclass(frozen=True)
class Step:
    """One event of a test conversation; ``minutes`` after START unless the previous is later."""

    kind: str
    body: dict[str, Any] = field(default_factory=dict)
    minutes: float | None = None


def msg(author: str, text: str, *acts: str, minutes: float | None = None) -> Step:
    """A message; ``acts`` are dialogue act names (CONFIRM, AFFIRM, …)."""
    body: dict[str, Any] = {"author": author, "text": text}
    if acts:
        body["acts"] = [{"act": act, "slot": "", "values": []} for act in acts]
    return Step("message", body, minutes)


def action(name: str, outcome: str | None = "success", actor: str = AGENT) -> Step:
    """An action event; ``outcome=None`` records none (as ABCD does)."""
    body: dict[str, Any] = {"name": name, "actor": actor}
    if outcome is not None:
        body["outcome"] = outcome
    return Step("action", body)


def verify(outcome: str | None = "success", actor: str = AGENT) -> Step:
    """A ``verify-identity`` action."""
    return action("verify-identity", outcome, actor)


def consent(scope: str, decision: str = "given", subject: str = CUSTOMER) -> Step:
    """A consent decision by the customer, recorded by the agent."""
    return Step(
        "consent", {"subject": subject, "scope": scope, "decision": decision, "actor": AGENT}
    )


def status(value: str) -> Step:
    """A lifecycle status (session_started, session_ended, resolved, reopened)."""
    return Step("status", {"status": value})


def assign(to: str, frm: str | None = None, minutes: float | None = None) -> Step:
    """An ownership change from ``frm`` to ``to``."""
    return Step("assignment", {"from": frm, "to": to}, minutes)


def escalate(by: str | None, to: str = "tier-2", minutes: float | None = None) -> Step:
    """An escalation raised by ``by``."""
    body: dict[str, Any] = {"to": to}
    if by is not None:
        body["by"] = by
    return Step("escalation", body, minutes)


def note(author: str, text: str = "", minutes: float | None = None, **fields: Any) -> Step:
    """An internal note with optional structured fields."""
    body: dict[str, Any] = {"author": author, "text": text}
    if fields:
        body["fields"] = fields
    return Step("internal_note", body, minutes)


def code(value: str) -> Step:
    """A resolution code."""
    return Step("resolution_code", {"code": value})


def conversation(
    *steps: Step,
    intents: Sequence[str] = (),
    channel: str = "web_chat",
    key: str = "conv-1",
) -> LedgerConversation:
    """A conversation whose events get seqs 1, 2, 3, … (the opened record is seq 0)."""
    events = []
    at = START
    for number, step in enumerate(steps, start=1):
        if step.minutes is not None:
            at = max(at, START + timedelta(minutes=step.minutes))
        body = {"event_key": f"e{number}", **step.body}
        events.append(LedgerEvent(seq=number, kind=step.kind, at=at, body=body))
        at += timedelta(seconds=10)
    return LedgerConversation(
        key=key,
        channel=channel,
        customer=CUSTOMER,
        participants=PARTICIPANTS,
        events=tuple(events),
        intents=tuple(intents),
        opened_seq=0,
    )


def to_ledger(source: Conversation, *, first_seq: int = 0) -> LedgerConversation:
    """What the ledger would hold for an imported conversation, with made-up dense seqs."""
    participants = {
        p.id: LedgerParticipant(
            id=p.id, role=str(p.role), name=p.name, team=p.team, email=p.email, phone=p.phone
        )
        for p in source.participants
    }
    events = tuple(
        LedgerEvent(
            seq=first_seq + number,
            kind=str(event.type),
            at=event.at,
            body={"event_key": f"k{number}", **json.loads(json.dumps(dict(event.data)))},
        )
        for number, event in enumerate(source.events, start=1)
    )
    return LedgerConversation(
        key=source.conversation_id,
        channel=source.channel,
        customer=source.customer,
        participants=participants,
        events=events,
        intents=source.intents,
        tags=source.tags,
        segment=source.segment,
        opened_seq=first_seq,
    )


def harper_valley_calls(path: Path) -> list[LedgerConversation]:
    """Harper Valley Bank call transcripts as phone conversations (no action events at all)."""
    calls = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for number, call in enumerate(calls):
        sid = call["metadata"]["sid"]
        customer, agent = f"hvb-caller-{sid}", f"hvb-agent-{sid}"
        start = START + timedelta(days=number)
        events = tuple(
            LedgerEvent(
                seq=index,
                kind="message",
                at=start + timedelta(milliseconds=segment["start_ms"]),
                body={
                    "event_key": f"segment-{segment['index']}",
                    "author": agent if segment["speaker_role"] == "agent" else customer,
                    "text": segment["human_transcript"],
                },
            )
            for index, segment in enumerate(call["segments"], start=1)
        )
        found.append(
            LedgerConversation(
                key=f"hvb-{sid}",
                channel="phone",
                customer=customer,
                participants={
                    customer: LedgerParticipant(id=customer, role="customer"),
                    agent: LedgerParticipant(id=agent, role="agent"),
                },
                events=events,
            )
        )
    return found


def seqs(conversation: LedgerConversation, kind: str) -> list[int]:
    """The seqs of a conversation's events of ``kind``."""
    return [event.seq for event in conversation.events if event.kind == kind]


def policy_text(*rules: str, extra: str = "") -> bytes:
    """A valid policy file around the given rule mappings (YAML, indented as list items)."""
    head = "id: test-policy\nversion: '1'\ndescription: A test policy.\nseverity: high\n" + extra
    body = "".join(_as_list_item(rule) for rule in rules)
    return (head + "rules:\n" + body).encode()


def _as_list_item(rule: str) -> str:
    lines = textwrap.dedent(rule).strip("\n").splitlines()
    return "".join(("  - " if i == 0 else "    ") + line + "\n" for i, line in enumerate(lines))


def make_rule(text: str) -> Rule:
    """The single rule of a policy made from one rule mapping."""
    return parse_policy(policy_text(text), source="test.yaml").rules[0]


def judge(
    rule: Rule, conversation: LedgerConversation, context: CheckContext | None = None
) -> RuleOutcome:
    """A rule's outcome on a conversation."""
    return rule.evaluate(Timeline.build(conversation), context or CheckContext())
