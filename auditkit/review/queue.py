"""The review queue: sampling conversations, assigning them with due dates, reassigning."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from auditkit.accounts.users import Permission, Role, User, users_by_role
from auditkit.checks.service import select_policies
from auditkit.db import Connection, operational_transaction
from auditkit.db.engine import read_transaction
from auditkit.errors import Conflict, InputRefused, NotFound
from auditkit.ledger.installation import Installation
from auditkit.ledger.projections.derived_store import refresh_conversation_rows
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import format_time
from auditkit.metrics import store as metrics_store
from auditkit.metrics.refresh import refresh_metrics
from auditkit.paging import page_count
from auditkit.periods import day_bounds, utc_now
from auditkit.review import rubrics as review_rubrics
from auditkit.review import search_store
from auditkit.review import store as review_store
from auditkit.review.sampling import (
    DEFAULT_LONG_MESSAGES as DEFAULT_LONG_MESSAGES,
)
from auditkit.review.sampling import (
    DEFAULT_MIN_SESSIONS as DEFAULT_MIN_SESSIONS,
)
from auditkit.review.sampling import (
    DEFAULT_SLOW_RESPONSE_MINUTES as DEFAULT_SLOW_RESPONSE_MINUTES,
)
from auditkit.review.sampling import (
    LOW_CSAT_AT_MOST,
    METRIC_FILTERS,
    Candidate,
    Coverage,
    Reviewer,
    SampleFilter,
    assign,
    coverage_of,
    draw,
    facts_of,
    request_problems,
)
from auditkit.review.sampling import SampleOutcome as SampleOutcome
from auditkit.review.sampling import SampleRequest as SampleRequest
from auditkit.review.sampling import SamplingMethod as SamplingMethod
from auditkit.review.tables import conversation_facts

FACTS_PAGE = 200
MAX_SAMPLE = 1000
REVIEWER_ROLES = {Role.QA_REVIEWER, Role.ADMIN}
MIN_REASON = 5


@dataclass(frozen=True)
class Assignment:
    """A conversation given to a reviewer to score with a rubric by a date."""

    id: int
    review_id: str
    conversation_key: str
    reviewer_id: int
    reviewer: str
    reviewer_name: str
    rubric_hash: str
    rubric_title: str
    rubric_version: int
    status: str
    due_on: str
    created_at: str
    channel: str
    primary_agent: str | None
    intent: str | None
    message_count: int | None
    previous_id: int | None
    reassign_reason: str | None
    has_draft: bool = False

    @property
    def overdue(self) -> bool:
        """An open assignment past its due date (UTC)."""
        return self.status == "open" and self.due_on < utc_now().date().isoformat()


def assignment_from_row(row: Mapping[str, Any], *, has_draft: bool = False) -> Assignment:
    """An assignment value from a joined assignment row."""
    return Assignment(
        id=int(row["id"]),
        review_id=row["review_id"],
        conversation_key=row["conversation_key"],
        reviewer_id=int(row["reviewer_id"]),
        reviewer=row["reviewer_username"],
        reviewer_name=row["reviewer_name"],
        rubric_hash=row["rubric_hash"],
        rubric_title=row["rubric_title"],
        rubric_version=int(row["rubric_version"]),
        status=row["status"],
        due_on=row["due_on"],
        created_at=row["created_at"],
        channel=row["channel"],
        primary_agent=row["primary_agent"],
        intent=row["intent"],
        message_count=row["message_count"],
        previous_id=row["previous_id"],
        reassign_reason=row["reassign_reason"],
        has_draft=has_draft,
    )


@dataclass(frozen=True)
class RubricChoice:
    """A rubric offered for new assignments."""

    content_hash: str
    title: str
    version: int
    rubric_id: str


@dataclass(frozen=True)
class ManageView:
    """Everything the queue manager's screen shows."""

    open_assignments: tuple[Assignment, ...]
    reviewers: tuple[User, ...]
    rubrics: tuple[RubricChoice, ...]
    channels: tuple[str, ...]
    samples: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    policies: tuple[str, ...] = ()  # the loaded policies, for "failed these policies"


def refresh_facts(installation: Installation) -> int:
    """Bring ``conversation_facts`` up to date with the log; returns how many were recomputed."""
    master = installation.master_key()
    return refresh_conversation_rows(
        installation.engine,
        conversation_facts,
        lambda conn, keys: [facts_of(c) for c in load_conversations(conn, keys, master=master)],
        page=FACTS_PAGE,
    )


def my_queue(installation: Installation, user: User) -> list[Assignment]:
    """The user's open assignments (and submitted ones being revised), earliest due first."""
    user.require(Permission.QUEUE_WORK)
    with read_transaction(installation.engine) as conn:
        rows = review_store.assignments(conn, reviewer_id=user.id, statuses=("open",))
        drafted = review_store.drafted_assignment_ids(conn, [row["id"] for row in rows])
        done = review_store.assignments(
            conn, reviewer_id=user.id, statuses=("submitted",), limit=20
        )
        revising = review_store.drafted_assignment_ids(conn, [row["id"] for row in done])
    open_items = [assignment_from_row(row, has_draft=row["id"] in drafted) for row in rows]
    open_items += [
        assignment_from_row(row, has_draft=True) for row in done if row["id"] in revising
    ]
    return open_items


QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueuePage:
    """One page of a reviewer's queue (``my_queue``'s order) and where it sits in the whole."""

    items: tuple[Assignment, ...]
    total: int
    page: int
    pages: int


def queue_page(
    installation: Installation, user: User, *, page: int = 1, per_page: int = QUEUE_PAGE_SIZE
) -> QueuePage:
    """Page ``page`` (1-based; past the end means the last) of ``my_queue``: the open
    assignments come from the database a page at a time, in the index's order."""
    user.require(Permission.QUEUE_WORK)
    with read_transaction(installation.engine) as conn:
        opened = review_store.count_assignments(conn, reviewer_id=user.id, statuses=("open",))
        done = review_store.assignments(
            conn, reviewer_id=user.id, statuses=("submitted",), limit=20
        )
        revising_ids = review_store.drafted_assignment_ids(conn, [row["id"] for row in done])
        revising = [row for row in done if row["id"] in revising_ids]
        total = opened + len(revising)
        pages = page_count(total, per_page)
        page = min(max(1, page), pages)
        start = (page - 1) * per_page
        rows = (
            review_store.assignments(
                conn,
                reviewer_id=user.id,
                statuses=("open",),
                limit=min(per_page, opened - start),
                offset=start,
            )
            if start < opened
            else []
        )
        drafted = review_store.drafted_assignment_ids(conn, [row["id"] for row in rows])
    items = [assignment_from_row(row, has_draft=row["id"] in drafted) for row in rows]
    first_revising = max(0, start - opened)
    items += [
        assignment_from_row(row, has_draft=True)
        for row in revising[first_revising : first_revising + per_page - len(items)]
    ]
    return QueuePage(items=tuple(items), total=total, page=page, pages=pages)


def manage_view(installation: Installation, user: User) -> ManageView:
    """Open assignments of everyone, the reviewers, rubrics and channels for the sample form."""
    user.require(Permission.QUEUE_MANAGE)
    rubrics = review_rubrics.available_rubrics(installation)
    with read_transaction(installation.engine) as conn:
        rows = review_store.assignments(conn, statuses=("open",))
        drafted = review_store.drafted_assignment_ids(conn, [row["id"] for row in rows])
        channels = review_store.channels(conn)
        samples = review_store.recent_samples(conn, limit=10)
    return ManageView(
        open_assignments=tuple(
            assignment_from_row(row, has_draft=row["id"] in drafted) for row in rows
        ),
        reviewers=tuple(users_by_role(installation, REVIEWER_ROLES)),
        rubrics=tuple(RubricChoice(r.content_hash, r.title, r.version, r.id) for r in rubrics),
        channels=tuple(channels),
        samples=tuple(_sample_shown(row) for row in samples),
        policies=tuple(sorted(p.id for p in select_policies(installation))),
    )


def _sample_shown(row: Mapping[str, Any]) -> dict[str, Any]:
    rule = json.loads(row["rule"])
    return {**row, "rule": rule, "coverage": Coverage.from_document(rule.get("coverage"))}


def sample_and_assign(
    installation: Installation, user: User, request: SampleRequest
) -> SampleOutcome:
    """Draw conversations by the rule and assign them, never to a reviewer who took part."""
    user.require(Permission.QUEUE_MANAGE)
    problems = request_problems(request, max_sample=MAX_SAMPLE, today=utc_now().date())
    reviewers = {u.id: u for u in users_by_role(installation, REVIEWER_ROLES)}
    if not request.reviewer_ids:
        problems.append("reviewers: choose at least one")
    unknown = [i for i in request.reviewer_ids if i not in reviewers]
    if unknown:
        problems.append("reviewers: only active QA reviewers and admins can take assignments")
    rubric = next(
        (
            r
            for r in review_rubrics.available_rubrics(installation)
            if r.content_hash == request.rubric_hash
        ),
        None,
    )
    if rubric is None:
        problems.append("rubric: choose one of the rubrics listed")
    if request.failed_policies:
        known = {p.id for p in select_policies(installation)}
        problems.extend(
            f"failed policies: no policy {p!r} is loaded (known: {', '.join(sorted(known))})"
            for p in request.failed_policies
            if p not in known
        )
    if problems:
        raise InputRefused(problems)
    assert rubric is not None
    refresh_facts(installation)
    if request.filters & METRIC_FILTERS:
        refresh_metrics(installation)
    seed = request.seed or secrets.token_hex(8)
    rule = {
        "method": str(request.method),
        "size": request.size,
        "filters": sorted(str(f) for f in request.filters),
        "channel": request.channel,
        "since": request.since.isoformat() if request.since else None,
        "until": request.until.isoformat() if request.until else None,
        "long_messages": request.long_messages,
        "low_csat_at_most": LOW_CSAT_AT_MOST,
        "slow_response_minutes": request.slow_response_minutes,
        "min_sessions": request.min_sessions,
        "failed_policies": sorted(request.failed_policies),
        "seed": seed,
        "spotlight": dict(request.spotlight.rule) if request.spotlight else None,
        "due_on": request.due_on.isoformat(),
        "reviewers": [reviewers[i].username for i in request.reviewer_ids],
    }
    now = format_time(utc_now())
    since, until = day_bounds(request.since, request.until)
    with operational_transaction(installation.engine) as conn:
        rows = review_store.facts_rows(
            conn,
            channel=request.channel,
            since=format_time(since) if since else None,
            until=format_time(until) if until else None,
            escalated=SampleFilter.ESCALATED in request.filters,
            reopened=SampleFilter.REOPENED in request.filters,
            transferred=SampleFilter.TRANSFERRED in request.filters,
            csat_at_most=LOW_CSAT_AT_MOST if SampleFilter.LOW_CSAT in request.filters else None,
            min_messages=request.long_messages if SampleFilter.LONG in request.filters else None,
            exclude_rubric=rubric.content_hash,
        )
        if request.filters & METRIC_FILTERS:
            matching = _metric_matches(conn, request)
            rows = [row for row in rows if row["conversation_key"] in matching]
        if request.failed_policies:
            failing = search_store.failing_keys(conn, request.failed_policies)
            rows = [row for row in rows if row["conversation_key"] in failing]
        if request.spotlight is not None:
            rows = [row for row in rows if row["conversation_key"] in request.spotlight.keys]
        intents_ok = {
            row["conversation_key"]
            for row in rows
            if rubric.applies_to.matches(row["channel"], json.loads(row["intents"]))
        }
        candidates = [
            Candidate(
                key=row["conversation_key"],
                channel=row["channel"],
                primary_agent=row["primary_agent"],
                intent=row["intent"],
                staff=frozenset(json.loads(row["staff"])),
            )
            for row in rows
            if row["conversation_key"] in intents_ok
        ]
        drawn = draw(
            candidates,
            method=request.method,
            size=request.size,
            seed=seed,
            priority=request.spotlight.priority if request.spotlight else None,
        )
        pairs, skipped = assign(
            drawn,
            [Reviewer(i, reviewers[i].participant_id) for i in request.reviewer_ids],
        )
        period = review_store.facts_rows(
            conn,
            since=format_time(since) if since else None,
            until=format_time(until) if until else None,
        )
        coverage = coverage_of((c.key for c, _r in pairs), period)
        rule["coverage"] = coverage.document()
        review_rubrics.remember(conn, rubric)
        sample_id = review_store.insert_sample(
            conn,
            {
                "created_at": now,
                "created_by": user.id,
                "rubric_hash": rubric.content_hash,
                "rule": json.dumps(rule, sort_keys=True),
                "assigned": len(pairs),
            },
        )
        for candidate, reviewer_id in pairs:
            review_store.insert_assignment(
                conn,
                {
                    "review_id": str(uuid.uuid4()),
                    "conversation_key": candidate.key,
                    "reviewer_id": reviewer_id,
                    "rubric_hash": rubric.content_hash,
                    "sample_id": sample_id,
                    "status": "open",
                    "due_on": request.due_on.isoformat(),
                    "created_at": now,
                    "created_by": user.id,
                    "previous_id": None,
                    "reassign_reason": None,
                    "closed_at": None,
                },
            )
    return SampleOutcome(
        sample_id=sample_id,
        eligible=len(candidates),
        assigned=len(pairs),
        skipped_own=tuple(c.key for c in skipped),
        seed=seed,
        coverage=coverage,
    )


def reassign(
    installation: Installation,
    user: User,
    assignment_id: int,
    *,
    reviewer_id: int | None,
    reason: str,
    due_on: date | None = None,
) -> Assignment:
    """Move an open assignment to another reviewer; the reason is kept with the new assignment."""
    user.require(Permission.QUEUE_MANAGE)
    reason = reason.strip()
    problems = []
    if len(reason) < MIN_REASON:
        problems.append(f"reason: say why it is reassigned (at least {MIN_REASON} characters)")
    if len(reason) > 1000:
        problems.append("reason: at most 1000 characters")
    reviewers = {u.id: u for u in users_by_role(installation, REVIEWER_ROLES)}
    if reviewer_id is None or reviewer_id not in reviewers:
        problems.append("reviewer: choose an active QA reviewer or admin")
    if due_on is not None and due_on < utc_now().date():
        problems.append("due date: must be today or later")
    now = format_time(utc_now())
    with operational_transaction(installation.engine) as conn:
        current = review_store.assignment(conn, assignment_id)
        if current is None:
            raise NotFound(f"no assignment {assignment_id}")
        if current["status"] != "open":
            raise Conflict(f"assignment {assignment_id} is {current['status']}, not open")
        if reviewer_id is not None and reviewer_id == current["reviewer_id"]:
            problems.append("reviewer: the assignment is already theirs")
        facts = review_store.facts_for(conn, current["conversation_key"])
        new = reviewers.get(reviewer_id) if reviewer_id is not None else None
        if (
            new is not None
            and facts is not None
            and new.participant_id in json.loads(facts["staff"])
        ):
            problems.append(
                f"reviewer: {new.display_name} took part in this conversation and cannot review it"
            )
        if problems:
            raise InputRefused(problems)
        review_store.close_assignment(
            conn, assignment_id, status="reassigned", at=now, expect="open"
        )
        new_id = review_store.insert_assignment(
            conn,
            {
                "review_id": str(uuid.uuid4()),
                "conversation_key": current["conversation_key"],
                "reviewer_id": reviewer_id,
                "rubric_hash": current["rubric_hash"],
                "sample_id": current["sample_id"],
                "status": "open",
                "due_on": (due_on.isoformat() if due_on else current["due_on"]),
                "created_at": now,
                "created_by": user.id,
                "previous_id": assignment_id,
                "reassign_reason": reason,
                "closed_at": None,
            },
        )
        row = review_store.assignment(conn, new_id)
    assert row is not None
    return assignment_from_row(row)


def _metric_matches(conn: Connection, request: SampleRequest) -> set[str]:
    """Conversations whose ``conversation_metrics`` row passes the request's metric filters."""
    chosen = request.filters
    contained = None
    if SampleFilter.CONTAINED in chosen:
        contained = True
    elif SampleFilter.NOT_CONTAINED in chosen:
        contained = False
    return metrics_store.keys_matching(
        conn,
        first_response_over=(
            request.slow_response_minutes * 60.0
            if SampleFilter.SLOW_FIRST_RESPONSE in chosen
            else None
        ),
        contained=contained,
        min_sessions=request.min_sessions if SampleFilter.SEVERAL_SESSIONS in chosen else None,
    )
