"""The quality dashboard (IQS by agent, team, criterion and period; queue; policy failures) and
grading the grader (admins' spot-checks of reviews, beside each reviewer's calibration alignment).

IQS follows docs/scoring.md: the mean score of each review's latest version in the period,
unscorable reviews left out. Calibration answers are not reviews and never count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.db.engine import read_transaction
from auditkit.errors import InputRefused, NotFound
from auditkit.ledger.append import appending
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import RecordDraft, RecordKind, parse_time
from auditkit.periods import utc_now
from auditkit.quality import calibration
from auditkit.quality import store as quality_store
from auditkit.review import rubrics as review_rubrics
from auditkit.review import store as review_store
from auditkit.rubric import format_score, iqs

MAX_NOTE = 2000
CHART_AGENTS = 15


@dataclass(frozen=True)
class Bar:
    """One labelled figure of a chart: an IQS (0-100) over ``count`` reviews."""

    key: str
    label: str
    value: float | None
    text: str | None
    count: int


@dataclass(frozen=True)
class PolicyFailures:
    """One policy's latest results: conversations failed of those it applied to."""

    policy_id: str
    failed: int
    evaluated: int


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows for one period."""

    iqs: str | None
    reviews: int
    critical_failures: int
    by_agent: tuple[Bar, ...]
    lowest_agents: tuple[Bar, ...]  # the CHART_AGENTS agents with the lowest IQS, for the chart
    by_team: tuple[Bar, ...]
    by_criterion: tuple[Bar, ...]
    by_period: tuple[Bar, ...]  # by ISO week, oldest first
    queue: Mapping[str, int]  # open, overdue, submitted
    policies: tuple[PolicyFailures, ...]
    open_disputes: int


def _bar(key: str, label: str, scores: Sequence[Any]) -> Bar:
    mean = iqs(scores)
    return Bar(
        key=key,
        label=label,
        value=None if mean is None else float(mean),
        text=format_score(mean),
        count=len(scores),
    )


def _grouped(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for row in rows:
        if row.get(key):
            groups.setdefault(row[key], []).append(row["score"])
    return groups


def _week(at: str) -> str:
    day = parse_time(at).date()
    monday = day - timedelta(days=day.weekday())
    return monday.isoformat()


def _criterion_label(labels: Mapping[str, str], criterion_id: str) -> str:
    """A criterion's label as its rubric gives it, else its id."""
    return labels.get(criterion_id, criterion_id)


def dashboard(
    installation: Installation,
    user: User,
    *,
    since: str | None = None,
    until: str | None = None,
) -> Dashboard:
    """The dashboard over a period (latest review versions submitted in it)."""
    user.require(Permission.DASHBOARD_READ)
    with read_transaction(installation.engine) as conn:
        rows = review_store.latest_reviews(conn, since=since, until=until, limit=1_000_000)
        names = quality_store.staff_names(
            conn, sorted({r["agent_id"] for r in rows if r["agent_id"]})
        )
        means = review_store.criterion_means(conn, [r["seq"] for r in rows])
        labels: dict[str, str] = {}
        for content_hash in {r["rubric_hash"] for r in rows}:
            for _section, criterion in review_rubrics.stored_rubric(conn, content_hash).criteria():
                labels.setdefault(criterion.id, criterion.label)
        queue = quality_store.assignment_counts(conn, today=utc_now().date().isoformat())
        policies = quality_store.policy_outcomes(conn)
        open_disputes = len(quality_store.dispute_rows(conn, status="open", limit=100_000))
    by_agent = [
        _bar(agent, (names.get(agent) or {}).get("name") or agent, scores)
        for agent, scores in sorted(_grouped(rows, "agent_id").items())
    ]
    teams: dict[str, list[Any]] = {}
    for row in rows:
        if row["agent_id"]:
            team = (names.get(row["agent_id"]) or {}).get("team") or "no team"
            teams.setdefault(team, []).append(row["score"])
    order = list(labels)
    by_criterion = sorted(
        (
            Bar(
                key=m["criterion_id"],
                label=_criterion_label(labels, m["criterion_id"]),
                value=None if m["mean_score"] is None else float(m["mean_score"]),
                text=None if m["mean_score"] is None else f"{float(m['mean_score']):.2f}",
                count=int(m["rated"]),
            )
            for m in means
        ),
        key=lambda bar: order.index(bar.key) if bar.key in order else len(order),
    )
    weeks: dict[str, list[Any]] = {}
    for row in rows:
        weeks.setdefault(_week(row["submitted_at"]), []).append(row["score"])
    return Dashboard(
        iqs=format_score(iqs(r["score"] for r in rows)),
        reviews=len(rows),
        critical_failures=sum(1 for r in rows if r["critical_failed"]),
        by_agent=tuple(by_agent),
        lowest_agents=tuple(
            sorted((b for b in by_agent if b.value is not None), key=lambda b: (b.value, b.key))[
                :CHART_AGENTS
            ]
        ),
        by_team=tuple(_bar(team, team, scores) for team, scores in sorted(teams.items())),
        by_criterion=tuple(by_criterion),
        by_period=tuple(
            _bar(week, f"week of {week}", scores) for week, scores in sorted(weeks.items())
        ),
        queue={k: int(v or 0) for k, v in queue.items()},
        policies=tuple(
            PolicyFailures(
                policy_id=p["policy_id"], failed=int(p["failed"]), evaluated=int(p["evaluated"])
            )
            for p in policies
        ),
        open_disputes=open_disputes,
    )


# --- grading the grader --------------------------------------------------------------------


class Verdict(StrEnum):
    """The admin's judgement of a reviewer's score."""

    TOO_HIGH = "too_high"
    TOO_LOW = "too_low"
    RIGHT = "right"

    @property
    def label(self) -> str:
        """The verdict as people write it."""
        return {"too_high": "Score too high", "too_low": "Score too low", "right": "Right"}[
            self.value
        ]


class RootCause(StrEnum):
    """Why a reviewer's score was off."""

    NONE = "none"
    MISSED_EVIDENCE = "missed_evidence"
    MISREAD_GUIDANCE = "misread_guidance"
    POLICY_UNKNOWN = "policy_unknown"
    RUBRIC_UNCLEAR = "rubric_unclear"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The cause as people write it."""
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class GraderRow:
    """One reviewer: reviews, spot-check verdicts and calibration alignment."""

    reviewer: str
    reviews: int
    checks: int
    too_high: int
    too_low: int
    right: int
    calibration: calibration.Alignment | None


@dataclass(frozen=True)
class GraderCheck:
    """One spot-check."""

    seq: int
    review_seq: int
    reviewer: str
    checker: str
    verdict: str
    root_cause: str
    note: str
    checked_at: str


@dataclass(frozen=True)
class GraderOverview:
    """Per-reviewer figures and the latest spot-checks."""

    rows: tuple[GraderRow, ...]
    checks: tuple[GraderCheck, ...]
    recent: tuple[Mapping[str, Any], ...]  # latest review versions, to pick one to spot-check


def grader_overview(installation: Installation, user: User) -> GraderOverview:
    """Each reviewer's spot-check verdicts beside their alignment with calibration baselines."""
    user.require(Permission.GRADER_CHECK)
    with read_transaction(installation.engine) as conn:
        reviews = review_store.latest_reviews(conn, limit=1_000_000)
        checks = [GraderCheck(**row) for row in quality_store.grader_check_rows(conn)]
    alignment = calibration.reviewer_alignment(installation)
    counts: dict[str, int] = {}
    for row in reviews:
        counts[row["reviewer"]] = counts.get(row["reviewer"], 0) + 1
    people = sorted(set(counts) | {c.reviewer for c in checks} | set(alignment))
    rows = []
    for person in people:
        mine = [c for c in checks if c.reviewer == person]
        rows.append(
            GraderRow(
                reviewer=person,
                reviews=counts.get(person, 0),
                checks=len(mine),
                too_high=sum(c.verdict == Verdict.TOO_HIGH for c in mine),
                too_low=sum(c.verdict == Verdict.TOO_LOW for c in mine),
                right=sum(c.verdict == Verdict.RIGHT for c in mine),
                calibration=alignment.get(person),
            )
        )
    recent = tuple(
        {k: r[k] for k in ("seq", "conversation_key", "reviewer", "score", "submitted_at")}
        for r in reviews[:20]
    )
    return GraderOverview(rows=tuple(rows), checks=tuple(checks[:50]), recent=recent)


def check_review(
    installation: Installation,
    user: User,
    review_seq: int,
    *,
    verdict: str,
    root_cause: str,
    note: str,
) -> int:
    """Append an admin's spot-check of one review version as a ``review.grader_check`` record."""
    user.require(Permission.GRADER_CHECK)
    note = note.strip()
    problems = []
    if verdict not in set(Verdict):
        problems.append("verdict: too high, too low or right")
    if root_cause not in set(RootCause):
        problems.append("root cause: choose one")
    elif verdict in {Verdict.TOO_HIGH, Verdict.TOO_LOW} and root_cause == RootCause.NONE:
        problems.append("root cause: say why the score was off")
    if len(note) > MAX_NOTE:
        problems.append(f"note: at most {MAX_NOTE} characters")
    with appending(installation) as batch:
        row = review_store.review_at(batch.conn, review_seq)
        if row is None:
            raise NotFound(f"no review record {review_seq}")
        if row["reviewer"] == user.username:
            problems.append("you cannot spot-check your own review")
        if problems:
            raise InputRefused(problems)
        (record,) = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.REVIEW_GRADER_CHECK,
                    conversation=row["conversation_key"],
                    occurred_at=utc_now(),
                    body={
                        "review_id": row["review_id"],
                        "review_seq": review_seq,
                        "reviewer": row["reviewer"],
                        "checker": user.username,
                        "verdict": verdict,
                        "root_cause": root_cause,
                        "note": note,
                    },
                )
            ]
        )
        quality_store.insert_grader_check(
            batch.conn,
            {
                "seq": record.seq,
                "review_seq": review_seq,
                "reviewer": row["reviewer"],
                "checker": user.username,
                "verdict": verdict,
                "root_cause": root_cause,
                "note": note,
                "checked_at": record.recorded_at,
            },
        )
    return record.seq
