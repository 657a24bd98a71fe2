"""What every rule type shares: the rule interface and the action and message matchers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Self

from auditkit.checks.replies import Reply, reply_kind
from auditkit.checks.results import CheckContext, Outcome, RuleOutcome
from auditkit.checks.spec import Spec
from auditkit.checks.timeline import Timeline
from auditkit.checks.wording import PhraseSet
from auditkit.ledger.records import RecordKind

MAX_LISTED = 3
"""Explanations name this many violations, then say how many more there were."""


@dataclass(frozen=True)
class Rule(ABC):
    """A typed rule of a policy: built from its YAML mapping, evaluated over a whole conversation.

    A subclass declares ``type_name`` (the ``type:`` written in policy files) and
    ``fields`` (the keys it accepts besides ``type`` and ``id``), reads them in
    :meth:`from_spec` and judges a conversation in :meth:`evaluate`. Explanations name
    actions, scopes, entity types and seqs, never message text, so a result holds no
    personal data.
    """

    type_name: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]

    rule_id: str

    @classmethod
    @abstractmethod
    def from_spec(cls, rule_id: str, spec: Spec) -> Self:
        """Read the rule from its mapping; problems go to ``spec.problems``, never raise."""

    @abstractmethod
    def evaluate(self, timeline: Timeline, context: CheckContext) -> RuleOutcome:
        """Judge one conversation: pass, fail or not applicable, with evidence seqs."""


@dataclass(frozen=True)
class ActionMatcher:
    """Recognises a kind of action: ``action`` events by name or, if none recorded, staff phrases.

    A conversation whose platform recorded no ``action`` event at all is read from its
    staff messages instead: a message matching one of ``phrases`` counts as the action.
    """

    names: frozenset[str]
    phrases: PhraseSet

    @classmethod
    def read(cls, spec: Spec, *, required: bool = True) -> ActionMatcher:
        """Read ``actions`` and ``phrases`` from a rule's mapping."""
        names = frozenset(spec.labels("actions"))
        phrases = spec.phrases("phrases")
        if required and not names and not phrases:
            spec.problem("actions", "give the action names, phrase patterns (phrases) or both")
        return cls(names, phrases)

    def find(self, timeline: Timeline) -> list[int]:
        """Indices of the events that are this action, in order."""
        if timeline.has_action_events:
            if not self.names:
                return []
            events = timeline.events
            return [
                i for i in timeline.indices("action") if events[i].body.get("name") in self.names
            ]
        if not self.phrases:
            return []
        return [
            i
            for i in timeline.indices("message")
            if timeline.is_staff(i) and self.phrases.search(timeline.normalised(i))
        ]


def describe_action(timeline: Timeline, index: int) -> str:
    """Plain words for an action occurrence, without quoting any message text."""
    event = timeline.events[index]
    if event.kind == RecordKind.ACTION:
        return f"action {event.body.get('name')!r} (seq {event.seq})"
    role = timeline.roles[index] or "staff"
    return f"the {role}'s message at seq {event.seq} (recognised by its wording)"


@dataclass(frozen=True)
class MessageMatcher:
    """Recognises a kind of message by its dialogue acts, a list of replies or phrase patterns.

    Where the source records dialogue acts (SGD's ``CONFIRM``, ``AFFIRM`` …) and the
    matcher names some, a message that carries acts is judged by its acts alone: the
    annotation says what the turn does better than its words. Otherwise ``replies``
    (``affirmations`` or ``negations``: the documented lists of :mod:`auditkit.checks.replies`)
    and ``phrases`` are tried.
    """

    acts: frozenset[str]
    phrases: PhraseSet
    replies: Reply | None = None

    @classmethod
    def read(cls, spec: Spec, key: str, *, required: bool) -> MessageMatcher:
        """Read a ``{acts: [...], replies: ..., phrases: [...]}`` mapping under ``key``."""
        child = spec.child(key, required=required, what=f"'{key}' matchers")
        if child is None:
            return cls(frozenset(), PhraseSet.of(()))
        acts = frozenset(child.labels("acts"))
        replies = child.choice("replies", Reply, default=None) if child.has("replies") else None
        phrases = child.phrases("phrases")
        child.finish()
        if required and not acts and not phrases and replies is None:
            spec.problem(
                key,
                "give dialogue acts (acts), a reply list (replies), phrase patterns"
                " (phrases) or a mix",
            )
        return cls(acts, phrases, replies)

    def __bool__(self) -> bool:
        return bool(self.acts) or bool(self.phrases) or self.replies is not None

    def matches(self, timeline: Timeline, index: int) -> bool:
        """Whether the message at ``index`` is of this kind."""
        if self.acts:
            acts = timeline.acts(index)
            if acts:
                return not self.acts.isdisjoint(acts)
        if self.replies is not None:
            text = timeline.events[index].body.get("text")
            if isinstance(text, str) and reply_kind(text) is self.replies:
                return True
        return bool(self.phrases) and self.phrases.search(timeline.normalised(index))


def passed(explanation: str, evidence: Iterable[int] = ()) -> RuleOutcome:
    """A pass outcome with sorted, de-duplicated evidence."""
    return RuleOutcome(Outcome.PASS, explanation, tuple(sorted(set(evidence))))


def failed(violations: list[str], evidence: Iterable[int]) -> RuleOutcome:
    """A fail outcome naming the first few violations in plain words."""
    shown = "; ".join(violations[:MAX_LISTED])
    more = len(violations) - MAX_LISTED
    if more > 0:
        shown += f"; and {more} more"
    return RuleOutcome(
        Outcome.FAIL, shown[0].upper() + shown[1:] + ".", tuple(sorted(set(evidence)))
    )


def not_applicable(explanation: str) -> RuleOutcome:
    """A not-applicable outcome (nothing in the conversation the rule is about)."""
    return RuleOutcome(Outcome.NOT_APPLICABLE, explanation)


def plural(count: int, word: str) -> str:
    """``1 action``, ``2 actions``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def each(count: int, noun: str) -> str:
    """``the refund`` for one, ``each of the 3 refunds`` for more."""
    return f"the {noun}" if count == 1 else f"each of the {count} {noun}s"
