"""The reviews behind a number: a dashboard's IQS, an agent's criterion mean, a week's IQS
each open this list (latest review versions), filtered by agent, team, criterion, period
and critical failure, paginated with a count; and an agent's trends by week."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from auditkit.accounts.users import Permission, User
from auditkit.db.engine import read_transaction
from auditkit.errors import InputRefused
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import parse_time
from auditkit.paging import bounded, page_count
from auditkit.review import rubrics as review_rubrics
from auditkit.review import search_store
from auditkit.review.findings import (
    MAX_PER_PAGE,
    PER_PAGE,
    check_agent,
    period_bound,
    unknown,
)
from auditkit.review.search_store import ReviewConditions
from auditkit.review.transcript import ReviewSummary, review_summary
from auditkit.rubric import format_score, iqs

FILTER_NAMES = ("agent", "team", "criterion", "since", "until", "critical", "per_page")


@dataclass(frozen=True)
class ReviewQuery:
    """A checked drill-down: every named agent, team and criterion exists."""

    conditions: ReviewConditions = field(default_factory=ReviewConditions)
    criterion_label: str | None = None
    shown: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewLine:
    """One review in the list, with the chosen criterion's rating and score."""

    review: ReviewSummary
    rating: str | None = None
    criterion_score: float | None = None


@dataclass(frozen=True)
class ReviewListing:
    """One page of reviews, their count and IQS over all of them."""

    query: ReviewQuery
    lines: tuple[ReviewLine, ...]
    total: int
    iqs: str | None
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages (at least one)."""
        return page_count(self.total, self.per_page)


@dataclass(frozen=True)
class TrendPoint:
    """One week of a trend: the mean of the scores of reviews submitted that week."""

    key: str  # the Monday, YYYY-MM-DD (charts label it by key[5:])
    label: str
    value: float | None
    text: str | None
    count: int


def week_of(at: str) -> str:
    """The Monday (YYYY-MM-DD) of the week a ledger time falls in."""
    day = parse_time(at).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def trend(scored: Sequence[tuple[str, float | None]]) -> tuple[TrendPoint, ...]:
    """(submitted_at, score) pairs as one point per week, oldest first."""
    weeks: dict[str, list[float | None]] = {}
    for at, value in scored:
        weeks.setdefault(week_of(at), []).append(value)
    points = []
    for week, values in sorted(weeks.items()):
        mean = iqs(values)
        points.append(
            TrendPoint(
                key=week,
                label=f"week of {week}",
                value=None if mean is None else float(mean),
                text=format_score(mean),
                count=sum(1 for v in values if v is not None),
            )
        )
    return tuple(points)


def review_query(installation: Installation, values: Mapping[str, str]) -> ReviewQuery:
    """The drill-down's filters from text values, each checked (unknown ones refused)."""
    problems: list[str] = []

    def text(name: str) -> str | None:
        return (values.get(name) or "").strip() or None

    critical = text("critical")
    if critical not in (None, "1"):
        problems.append(f"critical: {critical!r} is not 1 (leave it out for every review)")
    conditions = ReviewConditions(
        agent=text("agent"),
        team=text("team"),
        criterion=text("criterion"),
        since=period_bound(values.get("since", ""), "since", problems, end=False),
        until=period_bound(values.get("until", ""), "until", problems, end=True),
        critical=critical == "1",
    )
    labels = criterion_labels(installation)
    with read_transaction(installation.engine) as conn:
        check_agent(conn, conditions.agent, problems)
        if conditions.team and conditions.team not in (teams := search_store.teams(conn)):
            problems.append(unknown("team", conditions.team, teams, "team"))
    if conditions.criterion and conditions.criterion not in labels:
        problems.append(unknown("criterion", conditions.criterion, labels, "criterion"))
    if problems:
        raise InputRefused(problems)
    return ReviewQuery(
        conditions=conditions,
        criterion_label=labels.get(conditions.criterion or ""),
        shown={k: str(values.get(k) or "").strip() for k in FILTER_NAMES},
    )


def criterion_labels(installation: Installation) -> dict[str, str]:
    """Every criterion id of the rubrics in use or stored, with its label."""
    labels: dict[str, str] = {}
    with read_transaction(installation.engine) as conn:
        for content_hash in search_store.rubric_hashes(conn):
            for _section, criterion in review_rubrics.stored_rubric(conn, content_hash).criteria():
                labels.setdefault(criterion.id, criterion.label)
    for rubric in review_rubrics.available_rubrics(installation):
        for _section, criterion in rubric.criteria():
            labels.setdefault(criterion.id, criterion.label)
    return labels


def review_listing(
    installation: Installation,
    user: User,
    query: ReviewQuery,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ReviewListing:
    """One page of the latest review versions matching ``query``, newest first."""
    user.require(Permission.AGENT_SCORES_READ)
    page, per_page = bounded(page, per_page, MAX_PER_PAGE)
    with read_transaction(installation.engine) as conn:
        total = search_store.count_reviews(conn, query.conditions)
        rows = search_store.review_rows(
            conn, query.conditions, offset=(page - 1) * per_page, limit=per_page
        )
        everything = search_store.review_rows(conn, query.conditions, offset=0, limit=None)
    if query.conditions.criterion:
        mean = iqs(r["criterion_score"] for r in everything)
    else:
        mean = iqs(r["score"] for r in everything)
    return ReviewListing(
        query=query,
        lines=tuple(
            ReviewLine(
                review=review_summary(r),
                rating=r.get("criterion_rating"),
                criterion_score=r.get("criterion_score"),
            )
            for r in rows
        ),
        total=total,
        iqs=format_score(mean),
        page=page,
        per_page=per_page,
    )


@dataclass(frozen=True)
class AgentTrends:
    """An agent's IQS and each criterion's mean, week by week."""

    iqs: tuple[TrendPoint, ...]
    criteria: tuple[tuple[str, str, tuple[TrendPoint, ...]], ...]  # (id, label, points)


def agent_trends(
    installation: Installation,
    user: User,
    agent_id: str,
    *,
    since: str | None = None,
    until: str | None = None,
) -> AgentTrends:
    """The agent's weekly IQS and per-criterion means over the period."""
    user.require(Permission.AGENT_SCORES_READ)
    where = ReviewConditions(agent=agent_id, since=since, until=until)
    labels = criterion_labels(installation)
    with read_transaction(installation.engine) as conn:
        rows = search_store.review_rows(conn, where, offset=0, limit=None)
        scores = search_store.criterion_scores(conn, [int(r["seq"]) for r in rows])
    at = {int(r["seq"]): str(r["submitted_at"]) for r in rows}
    by_criterion: dict[str, list[tuple[str, float | None]]] = {}
    for s in scores:
        by_criterion.setdefault(s["criterion_id"], []).append((at[int(s["seq"])], s["score"]))
    order = list(labels)
    return AgentTrends(
        iqs=trend([(str(r["submitted_at"]), r["score"]) for r in rows]),
        criteria=tuple(
            (cid, labels.get(cid, cid), trend(points))
            for cid, points in sorted(
                by_criterion.items(),
                key=lambda item: order.index(item[0]) if item[0] in order else len(order),
            )
        ),
    )
