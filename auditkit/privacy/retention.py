"""What the retention rules read of each conversation, kept in ``retention_facts``: its
customer (the data subject), channel, intents and when it last closed. Refreshed by seq
watermark from the compact timelines (statuses, channels and intents are clear there: no key
is opened) when a retention run needs it, so a run reads one row per subject, channel and
intents, grouped in SQL, instead of decoding a timeline per conversation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from auditkit.db.engine import read_transaction
from auditkit.ledger.conversation import LedgerConversation
from auditkit.ledger.installation import Installation
from auditkit.ledger.projections.derived_store import refresh_conversation_rows
from auditkit.ledger.reader import load_timelines
from auditkit.ledger.records import RecordKind, format_time
from auditkit.privacy import store as privacy_store
from auditkit.privacy.tables import retention_facts
from auditkit.settings import RetentionRule

FACTS_PAGE = 500


def closed_at(conversation: LedgerConversation) -> datetime | None:
    """When the conversation last closed (resolved and not reopened since), else None."""
    closed: datetime | None = None
    for event in conversation.events:
        if event.kind == RecordKind.STATUS:
            status = event.body.get("status")
            if status == "resolved":
                closed = event.at
            elif status in ("reopened", "opened"):
                closed = None
    return closed


def rule_days(rules: Sequence[RetentionRule], channel: str, intents: tuple[str, ...]) -> int | None:
    """Days to keep personal content on this channel with these intents; the longest
    matching rule wins (None: no rule applies, kept)."""
    matching = [r.days for r in rules if r.matches(channel, intents)]
    return max(matching) if matching else None


def facts_of(conversation: LedgerConversation) -> dict[str, object]:
    """The ``retention_facts`` row of one conversation."""
    closed = closed_at(conversation)
    return {
        "conversation_key": conversation.key,
        "last_seq": conversation.last_seq,
        "customer": conversation.customer,
        "channel": conversation.channel,
        "intents": json.dumps(list(conversation.intents)),
        "closed_at": None if closed is None else format_time(closed),
    }


def refresh_retention_facts(installation: Installation) -> int:
    """Bring ``retention_facts`` up to date with the log; returns how many were recomputed."""
    return refresh_conversation_rows(
        installation.engine,
        retention_facts,
        lambda conn, keys: [facts_of(c) for c in load_timelines(conn, keys)],
        page=FACTS_PAGE,
    )


@dataclass(frozen=True)
class RetentionDue:
    """Which data subjects (not erased) have every conversation past its retention period."""

    due: tuple[str, ...]  # in subject order
    kept: int  # the others: a conversation still open, within its period, or under no rule


def subjects_due(
    installation: Installation, rules: Sequence[RetentionRule], now: datetime
) -> RetentionDue:
    """The subjects not erased all of whose conversations are past retention: closed, a rule
    applies, and the closing plus its days is past (the longest matching rule wins). The rules
    are matched once per (channel, intents) recorded; the subjects due are grouped in SQL, so
    the run reads one row per subject due, not one per conversation (the facts refreshed
    first)."""
    refresh_retention_facts(installation)
    with read_transaction(installation.engine) as conn:
        cutoffs: dict[tuple[str, str], str] = {}
        for channel, intents in privacy_store.retention_combinations(conn):
            days = rule_days(rules, channel, tuple(json.loads(intents)))
            if days is not None:
                # Times are kept in one fixed-width UTC form: text order is time order.
                cutoffs[(channel, intents)] = format_time(now - timedelta(days=days))
        due, subjects = privacy_store.retention_subjects(conn, cutoffs)
    return RetentionDue(due=tuple(due), kept=subjects - len(due))
