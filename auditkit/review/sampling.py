"""Sampling rules of the review queue: conversation facts, random and stratified draws, assignment.

Pure functions: no database. The queue service feeds them rows and stores what they return.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from auditkit.ledger.conversation import HUMAN_STAFF_ROLES, LedgerConversation
from auditkit.ledger.records import RecordKind, format_time

NONE_STRATUM = "(none)"
LOW_CSAT_AT_MOST = 0.4  # 1 or 2 on a five-point scale
DEFAULT_LONG_MESSAGES = 20
DEFAULT_SLOW_RESPONSE_MINUTES = 15
DEFAULT_MIN_SESSIONS = 2


class SamplingMethod(StrEnum):
    """How conversations are drawn from those that pass the filters."""

    RANDOM = "random"
    BY_AGENT = "agent"
    BY_INTENT = "intent"
    BY_CHANNEL = "channel"
    MOST_INFORMATIVE = "informative"  # the lowest priority first (AutoQA: least confident)

    @property
    def label(self) -> str:
        """The method as shown in the app."""
        return {
            SamplingMethod.RANDOM: "Random",
            SamplingMethod.BY_AGENT: "Stratified by agent",
            SamplingMethod.BY_INTENT: "Stratified by intent",
            SamplingMethod.BY_CHANNEL: "Stratified by channel",
            SamplingMethod.MOST_INFORMATIVE: "Most informative (AutoQA least confident)",
        }[self]


class SampleFilter(StrEnum):
    """Conditions a conversation must meet to be drawn (all chosen ones must hold).

    The first five come from ``conversation_facts``; the rest from ``conversation_metrics``
    (docs/metrics.md defines each metric).
    """

    ESCALATED = "escalated"
    REOPENED = "reopened"
    TRANSFERRED = "transferred"
    LOW_CSAT = "low_csat"
    LONG = "long"
    SLOW_FIRST_RESPONSE = "slow_first_response"
    NOT_CONTAINED = "not_contained"
    CONTAINED = "contained"
    SEVERAL_SESSIONS = "several_sessions"

    @property
    def label(self) -> str:
        """The filter as shown in the app."""
        return {
            SampleFilter.ESCALATED: "Escalated",
            SampleFilter.REOPENED: "Reopened",
            SampleFilter.TRANSFERRED: "Transferred between agents",
            SampleFilter.LOW_CSAT: "Low CSAT",
            SampleFilter.LONG: "Long",
            SampleFilter.SLOW_FIRST_RESPONSE: "Slow first response",
            SampleFilter.NOT_CONTAINED: "Not contained by automation",
            SampleFilter.CONTAINED: "Contained by automation",
            SampleFilter.SEVERAL_SESSIONS: "Several sessions",
        }[self]

    @property
    def from_metrics(self) -> bool:
        """True when the filter reads ``conversation_metrics`` rather than the facts."""
        return self in METRIC_FILTERS


METRIC_FILTERS = frozenset(
    {
        SampleFilter.SLOW_FIRST_RESPONSE,
        SampleFilter.NOT_CONTAINED,
        SampleFilter.CONTAINED,
        SampleFilter.SEVERAL_SESSIONS,
    }
)


@dataclass(frozen=True)
class SampleRequest:
    """What a queue manager asked for: the rule, who reviews, with which rubric, by when."""

    method: SamplingMethod
    size: int
    filters: frozenset[SampleFilter]
    rubric_hash: str
    reviewer_ids: tuple[int, ...]
    due_on: date
    channel: str | None = None
    since: date | None = None
    until: date | None = None
    long_messages: int = DEFAULT_LONG_MESSAGES
    slow_response_minutes: int = DEFAULT_SLOW_RESPONSE_MINUTES
    min_sessions: int = DEFAULT_MIN_SESSIONS
    seed: str | None = None
    failed_policies: tuple[str, ...] = ()  # only conversations failing one of these policies
    spotlight: Spotlight | None = None  # a restriction from a feature above (AutoQA)


@dataclass(frozen=True)
class SampleOutcome:
    """What a sampling run did."""

    sample_id: int
    eligible: int
    assigned: int
    skipped_own: tuple[str, ...]
    seed: str
    coverage: Coverage = field(default_factory=lambda: Coverage(0, 0, 0, 0, 0, 0))


@dataclass(frozen=True)
class Spotlight:
    """A restriction a feature above the queue (AutoQA) puts on a draw, naming no table of its
    own: only ``keys`` may be drawn, and ``priority`` (lowest first) orders the most
    informative method. ``rule`` is what it drew by, kept with the sample."""

    keys: frozenset[str]
    rule: Mapping[str, object]
    priority: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Coverage:
    """What share of the period's conversations, agents and intents a draw touches."""

    conversations: int
    conversations_total: int
    agents: int
    agents_total: int
    intents: int
    intents_total: int

    def document(self) -> dict[str, int]:
        """As kept with the sample (and shown in a rule's history)."""
        return {
            "conversations": self.conversations,
            "conversations_total": self.conversations_total,
            "agents": self.agents,
            "agents_total": self.agents_total,
            "intents": self.intents,
            "intents_total": self.intents_total,
        }

    @classmethod
    def from_document(cls, found: Mapping[str, object] | None) -> Coverage | None:
        """The coverage kept with a sample (None for samples drawn before it was kept)."""
        if not found:
            return None
        return cls(**{k: int(str(found.get(k, 0))) for k in cls.__dataclass_fields__})

    def text(self) -> str:
        """One line: "3 of 40 conversations (7.5%), 2 of 5 agents (40%), 1 of 3 intents (33%)"."""
        parts = []
        for noun, part, whole in (
            ("conversations", self.conversations, self.conversations_total),
            ("agents", self.agents, self.agents_total),
            ("intents", self.intents, self.intents_total),
        ):
            share = f"{100 * part / whole:.3g}%" if whole else "—"
            parts.append(f"{part} of {whole} {noun} ({share})")
        return ", ".join(parts)


def coverage_of(drawn: Iterable[str], period: Iterable[Mapping[str, object]]) -> Coverage:
    """The coverage of the ``drawn`` keys among ``period``'s facts rows (every conversation of
    the draw's period, whatever the filters): the agents and intents of a drawn conversation
    are all those that took part in it or were recorded on it."""
    chosen = set(drawn)
    agents: set[str] = set()
    intents: set[str] = set()
    touched_agents: set[str] = set()
    touched_intents: set[str] = set()
    total = 0
    for row in period:
        total += 1
        mine_agents = set(json.loads(str(row["agents"] or "[]")))
        mine_intents = set(json.loads(str(row["intents"] or "[]")))
        agents |= mine_agents
        intents |= mine_intents
        if row["conversation_key"] in chosen:
            touched_agents |= mine_agents
            touched_intents |= mine_intents
    return Coverage(
        conversations=len(chosen),
        conversations_total=total,
        agents=len(touched_agents),
        agents_total=len(agents),
        intents=len(touched_intents),
        intents_total=len(intents),
    )


def request_problems(request: SampleRequest, *, max_sample: int, today: date) -> list[str]:
    """What is wrong with a request on its own (reviewers, rubric and policies are checked
    against the installation by the queue)."""
    problems = []
    if not 1 <= request.size <= max_sample:
        problems.append(f"sample size: a whole number from 1 to {max_sample}")
    if request.due_on < today:
        problems.append("due date: must be today or later")
    if request.since and request.until and request.since > request.until:
        problems.append("period: the start must not be after the end")
    if request.long_messages < 1:
        problems.append("long conversations: at least 1 message")
    if request.slow_response_minutes < 1:
        problems.append("slow first response: at least 1 minute")
    if request.min_sessions < 2:
        problems.append("several sessions: at least 2 sessions")
    if {SampleFilter.CONTAINED, SampleFilter.NOT_CONTAINED} <= request.filters:
        problems.append(
            "filters: contained and not contained by automation exclude each other; choose one"
        )
    if request.method == SamplingMethod.MOST_INFORMATIVE and (
        request.spotlight is None or not request.spotlight.priority
    ):
        problems.append(
            "method: most informative draws where AutoQA is least confident; "
            "the rubric has no automatic scores to order by"
        )
    return problems


@dataclass(frozen=True)
class Candidate:
    """A conversation that may be drawn, with what stratification and assignment need."""

    key: str
    channel: str
    primary_agent: str | None
    intent: str | None
    staff: frozenset[str]


def facts_of(conversation: LedgerConversation) -> dict[str, Any]:
    """The ``conversation_facts`` row of a conversation, derived from its records.

    The primary agent wrote most of the agent messages (ties: the one who wrote last); a
    conversation is *transferred* when ownership passed from one agent or supervisor to
    another (a bot's handoff is not a transfer); CSAT is the last survey's score over its
    scale (5 when the scale is not given).
    """
    agent_messages: Counter[str] = Counter()
    last_writer: dict[str, int] = {}
    escalated = reopened = transferred = False
    csat: float | None = None
    message_count = 0
    for index, event in enumerate(conversation.events):
        body = event.body
        if event.kind == RecordKind.MESSAGE:
            message_count += 1
            author = body.get("author")
            if conversation.role_of(author) == "agent" and isinstance(author, str):
                agent_messages[author] += 1
                last_writer[author] = index
        elif event.kind == RecordKind.ESCALATION:
            escalated = True
        elif event.kind == RecordKind.STATUS and body.get("status") == "reopened":
            reopened = True
        elif event.kind == RecordKind.ASSIGNMENT:
            if (
                conversation.role_of(body.get("from")) in HUMAN_STAFF_ROLES
                and conversation.role_of(body.get("to")) in HUMAN_STAFF_ROLES
                and body.get("from") != body.get("to")
            ):
                transferred = True
        elif event.kind == RecordKind.CSAT:
            scale = body.get("scale") or 5
            csat = float(body.get("score", 0)) / float(scale)
    primary = None
    if agent_messages:
        primary = max(agent_messages, key=lambda a: (agent_messages[a], last_writer[a]))
    else:
        for event in reversed(conversation.events):
            target = event.body.get("to") if event.kind == RecordKind.ASSIGNMENT else None
            if conversation.role_of(target) == "agent":
                primary = target
                break
    agents = sorted(p.id for p in conversation.participants.values() if p.role == "agent")
    staff = sorted(p.id for p in conversation.participants.values() if p.role in HUMAN_STAFF_ROLES)
    first = conversation.events[0].at if conversation.events else None
    last = conversation.events[-1].at if conversation.events else None
    return {
        "conversation_key": conversation.key,
        "last_seq": conversation.last_seq,
        "channel": conversation.channel,
        "primary_agent": primary,
        "agents": json.dumps(agents),
        "staff": json.dumps(staff),
        "intent": conversation.intents[0] if conversation.intents else None,
        "intents": json.dumps(list(conversation.intents)),
        "escalated": escalated,
        "reopened": reopened,
        "transferred": transferred,
        "csat": csat,
        "message_count": message_count,
        "duration_seconds": int((last - first).total_seconds()) if first and last else 0,
        "first_event_at": format_time(first) if first else None,
        "last_event_at": format_time(last) if last else None,
    }


def stratum_of(candidate: Candidate, method: SamplingMethod) -> str:
    """The stratum a candidate falls in under ``method``."""
    if method == SamplingMethod.BY_AGENT:
        return candidate.primary_agent or NONE_STRATUM
    if method == SamplingMethod.BY_INTENT:
        return candidate.intent or NONE_STRATUM
    if method == SamplingMethod.BY_CHANNEL:
        return candidate.channel
    return ""


def draw(
    candidates: Sequence[Candidate],
    *,
    method: SamplingMethod,
    size: int,
    seed: str,
    priority: Mapping[str, float] | None = None,
) -> list[Candidate]:
    """Draw ``size`` candidates at random, or ``size`` from each stratum, or (most
    informative) the ``size`` of lowest ``priority``, ties at random; same seed, same draw."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible draw, not a secret)
    ordered = sorted(candidates, key=lambda c: c.key)
    if method == SamplingMethod.MOST_INFORMATIVE:
        given = priority or {}
        ranked = [c for c in ordered if c.key in given]
        tie = {c.key: rng.random() for c in ranked}
        ranked.sort(key=lambda c: (given[c.key], tie[c.key]))
        return sorted(ranked[:size], key=lambda c: c.key)
    if method == SamplingMethod.RANDOM:
        return sorted(rng.sample(ordered, min(size, len(ordered))), key=lambda c: c.key)
    strata: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in ordered:
        strata[stratum_of(candidate, method)].append(candidate)
    drawn: list[Candidate] = []
    for name in sorted(strata):
        members = strata[name]
        drawn.extend(rng.sample(members, min(size, len(members))))
    return sorted(drawn, key=lambda c: c.key)


@dataclass(frozen=True)
class Reviewer:
    """Who can take assignments, and their own participant id (never their own work)."""

    id: int
    participant_id: str | None


def assign(
    drawn: Sequence[Candidate], reviewers: Sequence[Reviewer]
) -> tuple[list[tuple[Candidate, int]], list[Candidate]]:
    """Give each drawn conversation to the least-loaded reviewer who took no part in it.

    Returns the (candidate, reviewer id) pairs and the candidates nobody could take.
    """
    load = dict.fromkeys((r.id for r in reviewers), 0)
    pairs: list[tuple[Candidate, int]] = []
    skipped: list[Candidate] = []
    for candidate in drawn:
        eligible = [r for r in reviewers if r.participant_id not in candidate.staff]
        if not eligible:
            skipped.append(candidate)
            continue
        chosen = min(eligible, key=lambda r: load[r.id])
        load[chosen.id] += 1
        pairs.append((candidate, chosen.id))
    return pairs, skipped
