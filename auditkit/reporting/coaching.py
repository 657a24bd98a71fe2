"""The coaching report: one agent's or one team's reviews, trends and criteria against the team."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.db.engine import read_transaction
from auditkit.ledger.conversation import HUMAN_STAFF_ROLES
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations, record_body
from auditkit.ledger.records import format_time
from auditkit.metrics import store as metrics_store
from auditkit.metrics.refresh import refresh_metrics
from auditkit.periods import utc_now
from auditkit.pii.masking import Redactor, scan_redactor
from auditkit.reporting import store as report_store
from auditkit.reporting.audit import (
    MAX_EXAMPLES,
    STRENGTH_COUNT,
    MetricsSummary,
    ReportScope,
    check_teams,
    describe,
    qa_summary,
    summarise_metrics,
    text_times,
)
from auditkit.reporting.parts import (
    CoachingExampleView,
    EmptyScope,
    Renderer,
    ReportResult,
    ReportScopeInvalid,
    check_dates,
    check_out,
    comments_by_message,
    criterion_labels,
    view_example,
    write_report,
)


@dataclass(frozen=True)
class TrendPoint:
    """One review's IQS at its submission time."""

    at: str
    score: float


@dataclass(frozen=True)
class CriterionComparison:
    """An agent's mean score on one criterion beside the team's."""

    criterion_id: str
    label: str
    agent_mean: float | None
    team_mean: float | None
    rated: int

    @property
    def gap(self) -> float | None:
        """Agent minus team (positive: a strength)."""
        if self.agent_mean is None or self.team_mean is None:
            return None
        return self.agent_mean - self.team_mean

    @property
    def holds_up(self) -> bool:
        """Whether the gap is one to coach on: at least ``MIN_GAP`` points, resting on at
        least ``MIN_RATED`` of the agent's reviews (33.3 against 33.3 is no strength)."""
        return self.gap is not None and abs(self.gap) >= MIN_GAP and self.rated >= MIN_RATED


MIN_GAP = 5.0  # points on the 0-100 scale
MIN_RATED = 3  # reviews of the agent that rated the criterion


def strengths_and_focus(
    criteria: Sequence[CriterionComparison],
) -> tuple[tuple[CriterionComparison, ...], tuple[CriterionComparison, ...]]:
    """The largest gaps that hold up, above and below the team: strengths, focus areas."""
    ranked = sorted((c for c in criteria if c.holds_up), key=lambda c: c.gap or 0.0)
    strengths = tuple(c for c in reversed(ranked) if (c.gap or 0) > 0)[:STRENGTH_COUNT]
    focus = tuple(c for c in ranked if (c.gap or 0) < 0)[:STRENGTH_COUNT]
    return strengths, focus


@dataclass(frozen=True)
class CoachingReport:
    """Everything a coaching report shows for one agent, or for a team (``team`` set).

    The ``team_*`` fields are what the report compares with: every review (and conversation)
    of the period, the team's included; a template calls them "team" in an agent's report
    and "everyone" in a team's.
    """

    title: str
    origin: str
    generated_at: str
    generated_by: str
    agent: str | None
    scope: ReportScope
    reviews: int
    mean_iqs: float | None
    team_mean_iqs: float | None
    critical_failures: int
    trend: tuple[TrendPoint, ...]
    criteria: tuple[CriterionComparison, ...]
    strengths: tuple[CriterionComparison, ...]
    focus_areas: tuple[CriterionComparison, ...]
    metrics: MetricsSummary
    team_metrics: MetricsSummary
    examples: tuple[CoachingExampleView, ...]
    team: str | None = None
    members: tuple[tuple[str, int, float | None, int], ...] = ()  # agent, reviews, IQS, critical
    # The reviewers' summaries, quoted (redacted): (submitted at, reviewer, conversation, text)
    summaries: tuple[tuple[str, str, str, str], ...] = ()

    @property
    def subject(self) -> str:
        """Whom the report is about: the agent's id, or ``team NAME``."""
        return f"team {self.team}" if self.team is not None else str(self.agent)


def coaching_report(
    installation: Installation,
    agent: str,
    out: Path,
    *,
    scope: ReportScope | None = None,
    renderer: Renderer,
    redactor: Redactor | None = None,
    actor: str | None = None,
) -> ReportResult:
    """Write one agent's coaching report (HTML, PDF) under ``out`` and record it.

    ``actor`` is who asked (a web user); the configured actor when not given.
    """
    return _coaching_report(
        installation,
        out,
        agent=agent,
        team=None,
        scope=scope or ReportScope(),
        renderer=renderer,
        redactor=redactor,
        actor=actor,
    )


def team_coaching_report(
    installation: Installation,
    team: str,
    out: Path,
    *,
    scope: ReportScope | None = None,
    renderer: Renderer,
    redactor: Redactor | None = None,
    actor: str | None = None,
) -> ReportResult:
    """Write a team's coaching report (HTML, PDF) under ``out`` and record it.

    The team's agents are the staff participants recorded with that team; the report covers
    their reviews and compares them with everyone's in the period. Its conversation metrics
    are those of the team's queue (conversations a staff participant of the team handled).
    """
    return _coaching_report(
        installation,
        out,
        agent=None,
        team=team,
        scope=scope or ReportScope(),
        renderer=renderer,
        redactor=redactor,
        actor=actor,
    )


def _coaching_report(
    installation: Installation,
    out: Path,
    *,
    agent: str | None,
    team: str | None,
    scope: ReportScope,
    renderer: Renderer,
    redactor: Redactor | None,
    actor: str | None,
) -> ReportResult:
    """One agent's report (``agent``) or a team's (``team``) against all reviews of the period."""
    installation.require_schema()
    check_dates(scope.since, scope.until)
    check_out(out)
    refresh_metrics(installation)
    since, until = text_times(scope)
    master = installation.master_key()
    with read_transaction(installation.engine) as conn:
        if team is not None:
            check_teams(conn, [team], "team")
            members = report_store.team_members(conn, team)
            who = f"team {team}"
        else:
            members = {str(agent)}
            if not report_store.known_participants(conn, list(members), roles=HUMAN_STAFF_ROLES):
                raise ReportScopeInvalid(
                    f"unknown agent: {agent} (no conversation has them as staff)"
                )
            who = f"agent {agent}"
        team_reviews = report_store.review_rows(conn, since=since, until=until)
        mine = [r for r in team_reviews if r["agent_id"] in members]
        if not mine:
            raise EmptyScope(f"{who} has no submitted review in the scope {describe(scope)}")
        scores = report_store.score_rows(conn, [int(r["seq"]) for r in team_reviews])
        examples = report_store.example_rows(conn, [int(r["seq"]) for r in mine])
        if team is not None:
            queue = report_store.conversations_in_scope(
                conn, since=since, until=until, queues=[team]
            )
            keys = [row["conversation_key"] for row in queue]
            my_metrics = metrics_store.metrics_rows(conn, keys=keys) if keys else []
        else:
            my_metrics = metrics_store.metrics_rows(conn, agent=agent, since=since, until=until)
        team_metrics = metrics_store.metrics_rows(conn, since=since, until=until)
        example_keys = sorted({e["conversation_key"] for e in examples})[:MAX_EXAMPLES]
        conversations = (
            {c.key: c for c in load_conversations(conn, example_keys, master=master)}
            if example_keys
            else {}
        )
        comments = comments_by_message(conn, example_keys)
        redactor = redactor or scan_redactor(conn, installation, conversations.values())
        # Opened: reviewers' summaries are sealed under the conversation subject's key.
        master = installation.master_key()
        bodies = {int(r["seq"]): record_body(conn, int(r["seq"]), master=master) for r in mine}
    labels = criterion_labels(installation)
    criteria = _criteria(scores, {int(r["seq"]) for r in mine}, labels)
    strengths, focus_areas = strengths_and_focus(criteria)
    my_scores = [float(r["score"]) for r in mine if r["score"] is not None]
    team_scores = [float(r["score"]) for r in team_reviews if r["score"] is not None]
    report = CoachingReport(
        title=f"Coaching report: {agent if team is None else who}",
        origin=installation.origin,
        generated_at=format_time(utc_now()),
        generated_by=actor or installation.settings.actor,
        agent=agent,
        scope=scope,
        reviews=len(mine),
        mean_iqs=statistics.fmean(my_scores) if my_scores else None,
        team_mean_iqs=statistics.fmean(team_scores) if team_scores else None,
        critical_failures=sum(1 for r in mine if r["critical_failed"]),
        trend=tuple(
            TrendPoint(at=r["submitted_at"], score=float(r["score"]))
            for r in mine
            if r["score"] is not None
        ),
        criteria=tuple(criteria),
        strengths=strengths,
        focus_areas=focus_areas,
        metrics=summarise_metrics(my_metrics),
        team_metrics=summarise_metrics(team_metrics),
        examples=tuple(
            view_example(row, conversations[row["conversation_key"]], labels, comments, redactor)
            for row in examples
            if row["conversation_key"] in conversations
        )[:MAX_EXAMPLES],
        team=team,
        members=qa_summary(mine).per_agent if team is not None else (),
        summaries=tuple(
            (
                str(r["submitted_at"]),
                str(r["reviewer"]),
                str(r["conversation_key"]),
                redactor.redact(
                    str(bodies[int(r["seq"])].get("summary", "")), participants=()
                ).text,
            )
            for r in mine
            if str(bodies.get(int(r["seq"]), {}).get("summary", "")).strip()
        )[:MAX_EXAMPLES],
    )
    subject = {"agent": agent} if team is None else {"team": team}
    return write_report(
        installation,
        out,
        "coaching-report",
        renderer(report),
        {"report": "coaching", **subject, "scope": scope.as_json(), "reviews": len(mine)},
        actor=actor,
    )


def _criteria(
    scores: Sequence[Mapping[str, Any]], mine: set[int], labels: Mapping[str, str]
) -> list[CriterionComparison]:
    agent_scores: dict[str, list[float]] = defaultdict(list)
    team_scores: dict[str, list[float]] = defaultdict(list)
    for row in scores:
        if row["score"] is None:
            continue
        team_scores[row["criterion_id"]].append(float(row["score"]))
        if int(row["seq"]) in mine:
            agent_scores[row["criterion_id"]].append(float(row["score"]))
    return [
        CriterionComparison(
            criterion_id=criterion,
            label=labels.get(criterion, criterion),
            agent_mean=statistics.fmean(agent_scores[criterion])
            if agent_scores[criterion]
            else None,
            team_mean=statistics.fmean(team_scores[criterion]),
            rated=len(agent_scores[criterion]),
        )
        for criterion in sorted(team_scores)
    ]
