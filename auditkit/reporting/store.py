"""The reads reports make: conversations in a scope and what the query tables say about them."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, select

from auditkit.checks.tables import check_results
from auditkit.ledger.conversation import HUMAN_STAFF_ROLES
from auditkit.ledger.tables import conversations, log_entries, messages, participants
from auditkit.pii.tables import pii_findings, restricted_findings
from auditkit.review.tables import coaching_examples, review_scores, reviews

CHUNK = 500
STAFF_ROLES = tuple(sorted(HUMAN_STAFF_ROLES))  # as SQL IN takes them


def _chunks(keys: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), CHUNK):
        yield list(keys[start : start + CHUNK])


def known_participants(conn: Connection, ids: Sequence[str], *, roles: Collection[str]) -> set[str]:
    """Which of ``ids`` took part in some conversation in one of ``roles``."""
    query = (
        select(participants.c.participant_id)
        .where(participants.c.participant_id.in_(list(ids)))
        .where(participants.c.role.in_(list(roles)))
        .distinct()
    )
    return {pid for (pid,) in conn.execute(query).tuples()}


def staff_ids(conn: Connection, *, roles: Collection[str]) -> list[str]:
    """Every participant id that took part in some conversation in one of ``roles``, sorted."""
    query = (
        select(participants.c.participant_id)
        .where(participants.c.role.in_(list(roles)))
        .distinct()
        .order_by(participants.c.participant_id)
    )
    return [pid for (pid,) in conn.execute(query).tuples()]


def known_teams(conn: Connection) -> set[str]:
    """Every team some staff participant (agent or supervisor) was recorded with."""
    query = (
        select(participants.c.team)
        .where(participants.c.role.in_(STAFF_ROLES))
        .where(participants.c.team.is_not(None))
        .distinct()
    )
    return {team for (team,) in conn.execute(query).tuples()}


def team_members(conn: Connection, team: str) -> set[str]:
    """The staff participants recorded with ``team`` in some conversation."""
    query = (
        select(participants.c.participant_id)
        .where(participants.c.role.in_(STAFF_ROLES))
        .where(participants.c.team == team)
        .distinct()
    )
    return {pid for (pid,) in conn.execute(query).tuples()}


def known_channels(conn: Connection) -> set[str]:
    """Every channel some conversation came in on."""
    return {c for (c,) in conn.execute(select(conversations.c.channel).distinct()).tuples()}


def conversations_in_scope(
    conn: Connection,
    *,
    since: str | None,
    until: str | None,
    channels: Sequence[str] = (),
    agents: Sequence[str] = (),
    queues: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Conversations with activity in ``[since, until)`` on the channels, handled by the agents
    and in the queues (a conversation's queue: the team of a staff participant who handled it).
    """
    query = select(
        conversations.c.conversation_key,
        conversations.c.channel,
        conversations.c.first_event_at,
        conversations.c.last_event_at,
        conversations.c.last_seq,
    ).order_by(conversations.c.conversation_key)
    if since is not None:
        query = query.where(conversations.c.last_event_at >= since)
    if until is not None:
        query = query.where(conversations.c.first_event_at < until)
    if channels:
        query = query.where(conversations.c.channel.in_(list(channels)))
    if agents:
        query = query.where(
            conversations.c.conversation_key.in_(
                select(participants.c.conversation_key).where(
                    and_(
                        participants.c.participant_id.in_(list(agents)),
                        participants.c.role.in_(STAFF_ROLES),
                    )
                )
            )
        )
    if queues:
        query = query.where(
            conversations.c.conversation_key.in_(
                select(participants.c.conversation_key).where(
                    and_(
                        participants.c.team.in_(list(queues)),
                        participants.c.role.in_(STAFF_ROLES),
                    )
                )
            )
        )
    return [dict(row._mapping) for row in conn.execute(query)]


def message_count(conn: Connection, keys: Sequence[str]) -> int:
    """How many messages the conversations ``keys`` hold."""
    total = 0
    for part in _chunks(keys):
        query = select(func.count()).where(messages.c.conversation_key.in_(part))
        total += int(conn.execute(query).scalar() or 0)
    return total


def pii_counts(conn: Connection, keys: Sequence[str]) -> dict[str, tuple[int, set[str]]]:
    """Per entity type: findings of the newest detector run per message, and their conversations."""
    found: dict[str, tuple[int, set[str]]] = {}
    for part in _chunks(keys):
        query = select(
            pii_findings.c.entity_type,
            pii_findings.c.conversation_key,
            pii_findings.c.message_seq,
            pii_findings.c.start,
            pii_findings.c.end,
        ).where(pii_findings.c.conversation_key.in_(part))
        seen: set[tuple[Any, ...]] = set()
        for entity, key, seq, start, end in conn.execute(query).tuples():
            if (entity, seq, start, end) in seen:
                continue  # the same span found by more than one detector version
            seen.add((entity, seq, start, end))
            count, keys_of = found.get(entity, (0, set()))
            keys_of.add(key)
            found[entity] = (count + 1, keys_of)
    return found


def restricted_rows(conn: Connection, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Restricted-data findings of the conversations ``keys``."""
    rows: list[dict[str, Any]] = []
    for part in _chunks(keys):
        query = (
            select(
                restricted_findings.c.conversation_key,
                restricted_findings.c.kind,
                restricted_findings.c.entity_type,
                restricted_findings.c.message_seq,
                restricted_findings.c.rule,
            )
            .where(restricted_findings.c.conversation_key.in_(part))
            .distinct()
        )
        rows.extend(dict(row._mapping) for row in conn.execute(query))
    return sorted(rows, key=lambda r: (r["conversation_key"], r["message_seq"]))


def check_rows(
    conn: Connection, keys: Sequence[str], *, policies: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The latest check result per conversation and policy, for the conversations ``keys``."""
    rows: list[dict[str, Any]] = []
    for part in _chunks(keys):
        query = select(check_results).where(check_results.c.conversation_key.in_(part))
        if policies:
            query = query.where(check_results.c.policy_id.in_(list(policies)))
        rows.extend(dict(row._mapping) for row in conn.execute(query))
    return sorted(rows, key=lambda r: (r["policy_id"], r["conversation_key"]))


def customers_of(conn: Connection, keys: Sequence[str]) -> dict[str, set[str]]:
    """Each data subject (a conversation's customer) of ``keys`` and their conversations there."""
    found: dict[str, set[str]] = {}
    for part in _chunks(keys):
        query = select(conversations.c.customer, conversations.c.conversation_key).where(
            conversations.c.conversation_key.in_(part)
        )
        for customer, key in conn.execute(query).tuples():
            found.setdefault(customer, set()).add(key)
    return found


def records_of_kinds(
    conn: Connection, kinds: Sequence[str], *, since: str | None, until: str | None
) -> list[tuple[int, str, str | None, str, bytes]]:
    """(seq, kind, conversation, occurred_at, entry) of the records of ``kinds`` in a period."""
    query = (
        select(
            log_entries.c.seq,
            log_entries.c.kind,
            log_entries.c.conversation_key,
            log_entries.c.occurred_at,
            log_entries.c.entry,
        )
        .where(log_entries.c.kind.in_(list(kinds)))
        .order_by(log_entries.c.seq)
    )
    if since is not None:
        query = query.where(log_entries.c.occurred_at >= since)
    if until is not None:
        query = query.where(log_entries.c.occurred_at < until)
    return [
        (int(seq), kind, key, at, bytes(entry))
        for seq, kind, key, at, entry in conn.execute(query).tuples()
    ]


def _latest_version() -> Any:
    newer = reviews.alias("newer")
    return ~(
        select(newer.c.seq)
        .where(and_(newer.c.review_id == reviews.c.review_id, newer.c.version > reviews.c.version))
        .exists()
    )


def review_rows(
    conn: Connection,
    *,
    keys: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[dict[str, Any]]:
    """Latest review versions (of some conversations, submitted in a period), oldest first."""
    query = select(reviews).where(_latest_version()).order_by(reviews.c.submitted_at)
    if since is not None:
        query = query.where(reviews.c.submitted_at >= since)
    if until is not None:
        query = query.where(reviews.c.submitted_at < until)
    if keys is None:
        return [dict(row._mapping) for row in conn.execute(query)]
    rows: list[dict[str, Any]] = []
    for part in _chunks(keys):
        rows.extend(
            dict(row._mapping)
            for row in conn.execute(query.where(reviews.c.conversation_key.in_(part)))
        )
    return sorted(rows, key=lambda r: r["submitted_at"])


def score_rows(conn: Connection, seqs: Sequence[int]) -> list[dict[str, Any]]:
    """Criterion scores of the review versions ``seqs``."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(seqs), CHUNK):
        part = list(seqs[start : start + CHUNK])
        query = select(review_scores).where(review_scores.c.seq.in_(part))
        rows.extend(dict(row._mapping) for row in conn.execute(query))
    return rows


def example_rows(conn: Connection, seqs: Sequence[int]) -> list[dict[str, Any]]:
    """Coaching examples marked in the review versions ``seqs``, in marking order."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(seqs), CHUNK):
        part = list(seqs[start : start + CHUNK])
        query = (
            select(coaching_examples, reviews.c.reviewer, reviews.c.submitted_at)
            .join(reviews, reviews.c.seq == coaching_examples.c.review_seq)
            .where(coaching_examples.c.review_seq.in_(part))
        )
        rows.extend(dict(row._mapping) for row in conn.execute(query))
    return sorted(rows, key=lambda r: (r["review_seq"], r["position"]))


def latest_reviews(
    conn: Connection,
    *,
    agent_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int,
) -> list[dict[str, Any]]:
    """Latest review versions (of an agent, submitted in a period), newest first, at most ``limit``,
    each with the number of coaching examples marked in it."""
    marked = (
        select(func.count())
        .where(coaching_examples.c.review_seq == reviews.c.seq)
        .scalar_subquery()
        .label("examples")
    )
    query = (
        select(reviews, marked)
        .where(_latest_version())
        .order_by(reviews.c.submitted_at.desc(), reviews.c.seq.desc())
        .limit(limit)
    )
    if agent_id is not None:
        query = query.where(reviews.c.agent_id == agent_id)
    if since is not None:
        query = query.where(reviews.c.submitted_at >= since)
    if until is not None:
        query = query.where(reviews.c.submitted_at < until)
    return [dict(row._mapping) for row in conn.execute(query)]
