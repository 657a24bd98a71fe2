"""Where a policy applies: channels, intents, segments, tags, sources and a tool namespace."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from auditkit.ledger.conversation import LedgerConversation
from auditkit.ledger.records import RecordKind

SCOPE_FIELDS = ("channels", "intents", "segments", "tags", "sources", "tools")
"""The keys an ``applies_to`` mapping may have."""


@dataclass(frozen=True)
class AppliesTo:
    """Which conversations a policy judges; an empty field places no restriction.

    A conversation is in scope when every restriction holds: its channel is one of
    ``channels``; it has one of ``intents`` and one of ``tags``; its segment is one of
    ``segments``; its source (the ``conversation.opened`` record's ``source``: ``path:line``
    of an import, ``webhook:chatwoot:<source>:<event>`` of a delivery) matches one of the
    ``sources`` glob patterns; and every action it records is a tool of the ``tools``
    namespace. Two domains that share a tool name (τ-bench retail and airline both call
    ``get_user_details``) are told apart by the tools each also calls.
    """

    channels: frozenset[str] = frozenset()
    intents: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()
    tools: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in SCOPE_FIELDS)

    def skip_reason(self, conversation: LedgerConversation) -> str | None:
        """Why ``conversation`` is outside this scope (plain words), or None when inside."""
        if self.channels and conversation.channel not in self.channels:
            return (
                f"The policy applies to channels {_listed(self.channels)};"
                f" this conversation is on {conversation.channel!r}."
            )
        if self.intents and self.intents.isdisjoint(conversation.intents):
            return (
                f"The policy applies to intents {_listed(self.intents)};"
                " this conversation has none of them."
            )
        if self.segments and conversation.segment not in self.segments:
            segment = "no segment" if conversation.segment is None else repr(conversation.segment)
            return (
                f"The policy applies to segments {_listed(self.segments)};"
                f" this conversation has {segment}."
            )
        if self.tags and self.tags.isdisjoint(conversation.tags):
            return (
                f"The policy applies to tags {_listed(self.tags)};"
                " this conversation has none of them."
            )
        if self.sources:
            source = conversation.source or ""
            if not any(fnmatchcase(source, pattern) for pattern in self.sources):
                return (
                    f"The policy applies to sources {', '.join(self.sources)};"
                    " this conversation came from elsewhere."
                )
        if self.tools:
            foreign = sorted(
                {
                    str(event.body.get("name"))
                    for event in conversation.events
                    if event.kind == RecordKind.ACTION and event.body.get("name") not in self.tools
                }
            )
            if foreign:
                shown = ", ".join(foreign[:3]) + (
                    f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
                )
                return (
                    "The policy applies to conversations whose actions are all tools of its"
                    f" namespace; this one also calls {shown}."
                )
        return None

    def may_share(self, other: AppliesTo, action: str) -> bool:
        """Whether one conversation could be judged by both scopes on ``action``.

        Only single-valued facts tell two scopes apart for certain: disjoint channels,
        disjoint segments, disjoint literal sources, or a tool namespace that does not
        hold the action. Intents and tags do not: a conversation may carry several.
        """
        for mine, theirs in ((self.channels, other.channels), (self.segments, other.segments)):
            if mine and theirs and mine.isdisjoint(theirs):
                return False
        if (
            self.sources
            and other.sources
            and _literal(self.sources)
            and _literal(other.sources)
            and set(self.sources).isdisjoint(other.sources)
        ):
            return False
        return (not self.tools or action in self.tools) and (
            not other.tools or action in other.tools
        )


def _literal(patterns: tuple[str, ...]) -> bool:
    return not any(char in pattern for pattern in patterns for char in "*?[")


def _listed(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))
