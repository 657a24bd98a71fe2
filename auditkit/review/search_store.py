"""Queries behind the lists people search: conversations by any filter, policy results.

Both lists filter on the same facts (agent, team, intent, channel, period), so one module
builds those conditions; each list adds its own, counts, sorts and pages in SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select, update
from sqlalchemy.sql import ColumnElement, Select

from auditkit.checks import store as check_store
from auditkit.checks.tables import check_failure_counts, check_results
from auditkit.ledger.projections import staff_store
from auditkit.ledger.sealing.cipher import ERASED
from auditkit.ledger.tables import conversations, messages, participants, subject_keys
from auditkit.metrics.tables import conversation_metrics
from auditkit.pii.tables import restricted_findings
from auditkit.review.tables import (
    conversation_facts,
    review_assignments,
    review_comments,
    review_drafts,
    review_scores,
    reviews,
)

Row = dict[str, Any]
STAFF = ("agent", "supervisor")
CHUNK = 500
STREAM_ROWS = 500


@dataclass(frozen=True)
class Scope:
    """Conditions both lists share (``None`` or empty: no condition)."""

    agent: str | None = None
    team: str | None = None
    intent: str | None = None
    channel: str | None = None
    segment: str | None = None
    since: str | None = None  # active at or after
    until: str | None = None  # started before


@dataclass(frozen=True)
class ConversationConditions:
    """What the conversation list adds to the shared scope."""

    csat_min: float | None = None  # 0-1
    csat_max: float | None = None
    reviewed: bool | None = None
    score_min: float | None = None
    score_max: float | None = None
    failed_policy: str | None = None  # a policy id, or "*" for any policy
    restricted_detector: str | None = None  # restricted-data finding by this detector
    several_sessions: bool = False
    reopened: bool = False
    transferred: bool = False
    text_like: str | None = None  # a candidate filter on the stored text (checked redacted)
    keys: Sequence[str] | None = None  # only these conversations
    # A select of conversation keys a feature above the list builds (AutoQA's score filters):
    # only those in ``within``, none of those in ``without``. The list names no table of theirs.
    within: Any = None
    without: Any = None


def _scope(scope: Scope, key: Any) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if scope.agent:
        where.append(
            key.in_(
                select(participants.c.conversation_key).where(
                    and_(
                        participants.c.participant_id == scope.agent,
                        participants.c.role == "agent",
                    )
                )
            )
        )
    if scope.team:
        where.append(
            key.in_(
                select(participants.c.conversation_key).where(
                    and_(participants.c.team == scope.team, participants.c.role.in_(STAFF))
                )
            )
        )
    if scope.intent:
        # The facts keep every intent as a JSON list of strings; match the quoted string.
        where.append(
            key.in_(
                select(conversation_facts.c.conversation_key).where(
                    conversation_facts.c.intents.contains(json.dumps(scope.intent), autoescape=True)
                )
            )
        )
    if scope.channel:
        where.append(conversations.c.channel == scope.channel)
    if scope.segment:
        where.append(conversations.c.segment == scope.segment)
    if scope.since:
        where.append(conversations.c.last_event_at >= scope.since)
    if scope.until:
        where.append(conversations.c.first_event_at < scope.until)
    return where


def _latest_score() -> Any:
    newest = (
        select(reviews.c.score)
        .where(reviews.c.conversation_key == conversations.c.conversation_key)
        .order_by(reviews.c.seq.desc())
        .limit(1)
        .correlate(conversations)
        .scalar_subquery()
    )
    return newest


def _conversation_query(scope: Scope, more: ConversationConditions) -> Select[Any]:
    key = conversations.c.conversation_key
    # Kept by the checks' recording (no row: fails nothing), not counted per row.
    failed = func.coalesce(check_failure_counts.c.failed, 0)
    query = (
        select(
            key,
            conversations.c.channel,
            conversations.c.segment,
            conversations.c.event_count,
            conversations.c.first_event_at,
            conversations.c.last_event_at,
            conversation_facts.c.primary_agent,
            conversation_facts.c.intent,
            conversation_facts.c.csat,
            conversation_metrics.c.sessions,
            _latest_score().label("score"),
            failed.label("failed_policies"),
        )
        .select_from(conversations)
        .outerjoin(conversation_facts, conversation_facts.c.conversation_key == key)
        .outerjoin(conversation_metrics, conversation_metrics.c.conversation_key == key)
        .outerjoin(check_failure_counts, check_failure_counts.c.conversation_key == key)
    )
    where = _scope(scope, key)
    if more.keys is not None:
        where.append(key.in_(list(more.keys)))
    if more.within is not None:
        where.append(key.in_(more.within))
    if more.without is not None:
        where.append(key.not_in(more.without))
    if more.csat_min is not None:
        where.append(conversation_facts.c.csat >= more.csat_min)
    if more.csat_max is not None:
        where.append(conversation_facts.c.csat <= more.csat_max)
    reviewed = select(reviews.c.conversation_key)
    if more.reviewed is True:
        where.append(key.in_(reviewed))
    elif more.reviewed is False:
        where.append(key.not_in(reviewed))
    if more.score_min is not None or more.score_max is not None:
        score = _latest_score()
        if more.score_min is not None:
            where.append(score >= more.score_min)
        if more.score_max is not None:
            where.append(score <= more.score_max)
    if more.failed_policy == "*":
        where.append(check_failure_counts.c.failed > 0)
    elif more.failed_policy:
        failing = select(check_results.c.conversation_key).where(
            and_(check_results.c.outcome == "fail", check_results.c.policy_id == more.failed_policy)
        )
        where.append(key.in_(failing))
    if more.restricted_detector:
        where.append(
            key.in_(
                select(restricted_findings.c.conversation_key).where(
                    restricted_findings.c.detector_key == more.restricted_detector
                )
            )
        )
    if more.several_sessions:
        where.append(conversation_metrics.c.sessions > 1)
    if more.reopened:
        where.append(conversation_facts.c.reopened.is_(True))
    if more.transferred:
        where.append(conversation_facts.c.transferred.is_(True))
    if more.text_like:
        words = more.text_like.lower()
        where.append(
            or_(
                func.lower(key).contains(words, autoescape=True),
                key.in_(
                    select(messages.c.conversation_key).where(
                        func.lower(messages.c.text).contains(words, autoescape=True)
                    )
                ),
            )
        )
    return query.where(*where)


SORTS: dict[str, tuple[str, bool]] = {
    "recent": ("last_event_at", True),
    "oldest": ("last_event_at", False),
    "score": ("score", False),
    "csat": ("csat", False),
    "failed": ("failed_policies", True),
    "key": ("conversation_key", False),
}


def conversation_rows(
    conn: Connection,
    scope: Scope,
    more: ConversationConditions,
    *,
    sort: str,
    offset: int,
    limit: int | None,
) -> list[Row]:
    """One page of conversations matching everything, in ``sort`` order (a key of SORTS)."""
    inner = _conversation_query(scope, more).subquery()
    column, descending = SORTS[sort]
    ordered = inner.c[column].desc() if descending else inner.c[column].asc()
    query = select(inner).order_by(
        inner.c[column].is_(None), ordered, inner.c.conversation_key
    )  # rows without the value last, whichever direction
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


def iter_conversation_rows(
    conn: Connection, scope: Scope, more: ConversationConditions, *, sort: str
) -> Iterator[Row]:
    """Every conversation matching, in ``sort`` order: one query whose rows are fetched
    ``STREAM_ROWS`` at a time (a server-side cursor on PostgreSQL), for a streamed download."""
    inner = _conversation_query(scope, more).subquery()
    column, descending = SORTS[sort]
    ordered = inner.c[column].desc() if descending else inner.c[column].asc()
    query = select(inner).order_by(inner.c[column].is_(None), ordered, inner.c.conversation_key)
    result = conn.execution_options(yield_per=STREAM_ROWS).execute(query)
    for part in result.partitions():
        yield from (dict(row._mapping) for row in part)


def count_conversations(conn: Connection, scope: Scope, more: ConversationConditions) -> int:
    """How many conversations match everything."""
    inner = _conversation_query(scope, more).subquery()
    return int(conn.execute(select(func.count()).select_from(inner)).scalar_one())


def candidate_keys(conn: Connection, scope: Scope, more: ConversationConditions) -> list[str]:
    """Keys of every conversation matching (for a text search checked afterwards)."""
    inner = _conversation_query(scope, more).subquery()
    return [k for (k,) in conn.execute(select(inner.c.conversation_key)).tuples()]


# --- policy results ------------------------------------------------------------------------


def _results_query(
    scope: Scope, *, policy: str | None, severity: str | None, outcome: str | None
) -> Select[Any]:
    key = check_results.c.conversation_key
    query = select(
        check_results,
        conversations.c.channel,
        conversations.c.last_event_at,
        conversation_facts.c.primary_agent,
    ).join(conversations, conversations.c.conversation_key == key)
    query = query.outerjoin(conversation_facts, conversation_facts.c.conversation_key == key)
    where = _scope(scope, key)
    if outcome:
        where.append(check_results.c.outcome == outcome)
    if policy:
        where.append(check_results.c.policy_id == policy)
    if severity:
        where.append(check_results.c.severity == severity)
    return query.where(*where)


def result_rows(
    conn: Connection,
    scope: Scope,
    *,
    policy: str | None,
    severity: str | None,
    outcome: str | None,
    offset: int,
    limit: int | None,
) -> list[Row]:
    """Stored policy results matching, newest conversations first."""
    query = _results_query(scope, policy=policy, severity=severity, outcome=outcome).order_by(
        conversations.c.last_event_at.desc(),
        check_results.c.conversation_key,
        check_results.c.policy_id,
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


def count_results(
    conn: Connection,
    scope: Scope,
    *,
    policy: str | None,
    severity: str | None,
    outcome: str | None,
) -> int:
    """How many stored policy results match."""
    inner = _results_query(scope, policy=policy, severity=severity, outcome=outcome).subquery()
    return int(conn.execute(select(func.count()).select_from(inner)).scalar_one())


def results_of(conn: Connection, key: str) -> list[Row]:
    """Every stored policy result of one conversation."""
    query = select(check_results).where(check_results.c.conversation_key == key)
    return [dict(row._mapping) for row in conn.execute(query.order_by(check_results.c.policy_id))]


# --- what filter values exist (so an unknown one is refused, not answered "nothing") --------


def known_policy_ids(conn: Connection) -> set[str]:
    """Policy ids with at least one stored result (from the per-policy counts the checks keep,
    not a distinct scan of every result)."""
    return {row["policy_id"] for row in check_store.outcome_counts(conn)}


def staff_ids(conn: Connection, roles: Sequence[str] = ("agent",)) -> list[Row]:
    """Staff participants (id, name, team) of the given roles, by id (from the small staff
    table kept beside ``participants``)."""
    found: dict[str, Row] = {}
    for staff in staff_store.staff(conn, roles):
        pid, name, team = staff["participant_id"], staff["name"], staff["team"]
        row = found.setdefault(pid, {"id": pid, "name": None, "teams": set()})
        if name and name != ERASED and not row["name"]:
            row["name"] = name
        if team:
            row["teams"].add(team)
    return list(found.values())


def teams(conn: Connection) -> list[str]:
    """Every team a staff participant was recorded with."""
    return staff_store.staff_teams(conn, STAFF)


def segments(conn: Connection) -> list[str]:
    """Every segment a conversation was recorded with."""
    query = (
        select(conversations.c.segment)
        .where(conversations.c.segment.is_not(None))
        .distinct()
        .order_by(conversations.c.segment)
    )
    return [s for (s,) in conn.execute(query).tuples()]


def intents(conn: Connection) -> list[str]:
    """Every intent of any conversation (from the facts' JSON lists)."""
    found: set[str] = set()
    for (listed,) in conn.execute(select(conversation_facts.c.intents).distinct()).tuples():
        found.update(json.loads(listed))
    return sorted(found)


# --- the reviews behind a number -----------------------------------------------------------


@dataclass(frozen=True)
class ReviewConditions:
    """Which latest review versions a drill-down lists."""

    agent: str | None = None
    team: str | None = None
    criterion: str | None = None  # also gives that criterion's rating and score per review
    since: str | None = None  # submitted at or after
    until: str | None = None  # submitted before
    critical: bool = False


def _reviews_query(where: ReviewConditions) -> Select[Any]:
    newer = reviews.alias("newer")
    latest = ~(
        select(newer.c.seq)
        .where(and_(newer.c.review_id == reviews.c.review_id, newer.c.version > reviews.c.version))
        .exists()
    )
    columns: list[Any] = [reviews]
    if where.criterion:
        columns += [
            review_scores.c.rating.label("criterion_rating"),
            review_scores.c.score.label("criterion_score"),
        ]
    query = select(*columns).where(latest)
    if where.criterion:
        query = query.join(
            review_scores,
            and_(
                review_scores.c.seq == reviews.c.seq,
                review_scores.c.criterion_id == where.criterion,
            ),
        )
    if where.agent:
        query = query.where(reviews.c.agent_id == where.agent)
    if where.team:
        query = query.where(
            reviews.c.agent_id.in_(
                select(participants.c.participant_id).where(
                    and_(participants.c.team == where.team, participants.c.role.in_(STAFF))
                )
            )
        )
    if where.since:
        query = query.where(reviews.c.submitted_at >= where.since)
    if where.until:
        query = query.where(reviews.c.submitted_at < where.until)
    if where.critical:
        query = query.where(reviews.c.critical_failed.is_(True))
    return query


def review_rows(
    conn: Connection, where: ReviewConditions, *, offset: int, limit: int | None
) -> list[Row]:
    """Latest review versions matching, newest first."""
    query = _reviews_query(where).order_by(reviews.c.submitted_at.desc(), reviews.c.seq.desc())
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


def count_reviews(conn: Connection, where: ReviewConditions) -> int:
    """How many latest review versions match."""
    inner = _reviews_query(where).subquery()
    return int(conn.execute(select(func.count()).select_from(inner)).scalar_one())


def criterion_scores(conn: Connection, seqs: Sequence[int]) -> list[Row]:
    """(seq, criterion_id, score) of these review versions' rated criteria."""
    found: list[Row] = []
    for start in range(0, len(seqs), 500):
        part = list(seqs[start : start + 500])
        query = select(
            review_scores.c.seq, review_scores.c.criterion_id, review_scores.c.score
        ).where(review_scores.c.seq.in_(part))
        found.extend(dict(row._mapping) for row in conn.execute(query))
    return found


def rubric_hashes(conn: Connection) -> list[str]:
    """Content hashes of every rubric a review was submitted against."""
    query = select(reviews.c.rubric_hash).distinct()
    return [h for (h,) in conn.execute(query).tuples()]


def failing_keys(conn: Connection, policy_ids: Sequence[str]) -> set[str]:
    """Conversations whose latest result of any of these policies failed."""
    query = select(check_results.c.conversation_key).where(
        and_(check_results.c.outcome == "fail", check_results.c.policy_id.in_(list(policy_ids)))
    )
    return {k for (k,) in conn.execute(query).tuples()}


# --- erased conversations leave the open queues ---------------------------------------------


def withdraw_open_assignments(
    conn: Connection, keys: Sequence[str], *, reason: str, at: str
) -> int:
    """Close every open assignment of ``keys`` as ``erased`` with the reason (their drafts go
    with them); returns how many were closed."""
    closed = 0
    for start in range(0, len(keys), CHUNK):
        part = list(keys[start : start + CHUNK])
        ids = conn.execute(
            select(review_assignments.c.id).where(
                and_(
                    review_assignments.c.conversation_key.in_(part),
                    review_assignments.c.status == "open",
                )
            )
        ).scalars()
        for assignment_id in list(ids):
            closed += withdraw_assignment(conn, int(assignment_id), reason=reason, at=at)
    return closed


def withdraw_assignment(conn: Connection, assignment_id: int, *, reason: str, at: str) -> bool:
    """Close an open assignment as ``erased`` with the reason; its draft goes with it."""
    result = conn.execute(
        update(review_assignments)
        .where(
            and_(review_assignments.c.id == assignment_id, review_assignments.c.status == "open")
        )
        .values(status="erased", closed_at=at, reassign_reason=reason)
    )
    conn.execute(delete(review_drafts).where(review_drafts.c.assignment_id == assignment_id))
    return result.rowcount == 1


def comments_mentioning(
    conn: Connection, username: str, *, limit: int, after_seq: int | None = None
) -> list[Row]:
    """Comments whose text names ``@username``, newest first (the mention list); only those
    after ``after_seq`` when given (what "mark all read" left unread)."""
    query = (
        select(review_comments)
        .where(func.lower(review_comments.c.text).contains(f"@{username.lower()}", autoescape=True))
        .order_by(review_comments.c.seq.desc())
        .limit(limit)
    )
    if after_seq is not None:
        query = query.where(review_comments.c.seq > after_seq)
    return [dict(row._mapping) for row in conn.execute(query)]


def erasure_of(conn: Connection, key: str) -> int | None:
    """The seq of the erasure of this conversation's customer, if they were erased."""
    query = (
        select(subject_keys.c.erasure_seq)
        .join(conversations, conversations.c.customer == subject_keys.c.subject)
        .where(and_(conversations.c.conversation_key == key, subject_keys.c.erased_at.is_not(None)))
    )
    found = conn.execute(query).first()
    return None if found is None else int(found[0])
