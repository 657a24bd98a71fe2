"""Saved sampling rules: a queue manager saves the sampling form under a name, and
``auditkit sample run-rules`` (safe from cron) draws each active rule once a UTC day, the
period and due date taken relative to the run; every run is kept as the rule's history.

(They live here rather than in ``review/``, which is at its 15-module limit; they only call
``review.queue``.)"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from auditkit.accounts.users import Permission, User, load_user
from auditkit.autoqa import spotlight
from auditkit.db import operational_transaction
from auditkit.db.engine import read_transaction
from auditkit.errors import AuditkitError, InputRefused
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import format_time
from auditkit.periods import utc_now
from auditkit.quality import rules_store
from auditkit.review import queue as review_queue
from auditkit.review.sampling import Coverage, SampleFilter, SamplingMethod

NAME_LIMIT = 100


@dataclass(frozen=True)
class SavedRule:
    """A named sampling rule; ``period_days`` and ``due_days`` count from each run."""

    name: str
    method: str
    size: int
    filters: tuple[str, ...]
    rubric_hash: str
    reviewer_ids: tuple[int, ...]
    due_days: int
    period_days: int | None = None
    channel: str | None = None
    long_messages: int = review_queue.DEFAULT_LONG_MESSAGES
    slow_response_minutes: int = review_queue.DEFAULT_SLOW_RESPONSE_MINUTES
    min_sessions: int = review_queue.DEFAULT_MIN_SESSIONS
    failed_policies: tuple[str, ...] = ()
    autoqa_score_min: float | None = None
    autoqa_score_max: float | None = None
    autoqa_signals: tuple[str, ...] = ()
    silence_minutes: int = spotlight.DEFAULT_SILENCE_MINUTES

    def focus(self) -> spotlight.AutoqaFocus:
        """The rule's AutoQA focus (checked as the form's is)."""
        return spotlight.focus_from_values(
            score_min="" if self.autoqa_score_min is None else str(self.autoqa_score_min),
            score_max="" if self.autoqa_score_max is None else str(self.autoqa_score_max),
            signals=self.autoqa_signals,
            silence_minutes=str(self.silence_minutes),
        )

    def request(self, day: date) -> review_queue.SampleRequest:
        """The sample request this rule makes on ``day``."""
        return review_queue.SampleRequest(
            method=SamplingMethod(self.method),
            size=self.size,
            filters=frozenset(SampleFilter(f) for f in self.filters),
            rubric_hash=self.rubric_hash,
            reviewer_ids=self.reviewer_ids,
            due_on=day + timedelta(days=self.due_days),
            channel=self.channel,
            since=day - timedelta(days=self.period_days) if self.period_days else None,
            until=day if self.period_days else None,
            long_messages=self.long_messages,
            slow_response_minutes=self.slow_response_minutes,
            min_sessions=self.min_sessions,
            failed_policies=self.failed_policies,
        )


@dataclass(frozen=True)
class RuleRun:
    """What one rule did in a run."""

    rule: str
    outcome: str  # drawn | already drawn today | refused: … | creator cannot sample
    eligible: int = 0
    assigned: int = 0
    sample_id: int | None = None
    coverage: Coverage | None = None


def _fields(rule: SavedRule) -> dict[str, object]:
    return {k: getattr(rule, k) for k in rule.__dataclass_fields__ if k != "name"}


def save_rule(installation: Installation, user: User, rule: SavedRule) -> int:
    """Store ``rule`` (the form is checked now by a dry draw's rules, not at run time only)."""
    user.require(Permission.QUEUE_MANAGE)
    problems = []
    name = rule.name.strip()
    if not 0 < len(name) <= NAME_LIMIT:
        problems.append(f"rule name: 1-{NAME_LIMIT} characters")
    if rule.due_days < 0:
        problems.append("due in: 0 days or more")
    if rule.period_days is not None and rule.period_days < 1:
        problems.append("period: at least 1 day")
    try:
        SamplingMethod(rule.method)
        [SampleFilter(f) for f in rule.filters]
    except ValueError as exc:
        problems.append(f"rule: {exc}")
    try:
        rule.focus()
    except InputRefused as exc:
        problems.extend(exc.problems)
    with operational_transaction(installation.engine) as conn:
        if name and rules_store.rule_by_name(conn, name) is not None:
            problems.append(f"rule name: {name!r} is taken")
        if problems:
            raise InputRefused(problems)
        return rules_store.insert_rule(
            conn,
            {
                "name": name,
                "created_at": format_time(utc_now()),
                "created_by": user.id,
                "request": json.dumps(_fields(rule), sort_keys=True),
                "active": True,
            },
        )


def _rule(row: dict[str, object]) -> SavedRule:
    fields = json.loads(str(row["request"]))
    for key in ("filters", "reviewer_ids", "failed_policies", "autoqa_signals"):
        fields[key] = tuple(fields.get(key) or ())
    return SavedRule(name=str(row["name"]), **fields)


@dataclass(frozen=True)
class RuleHistory:
    """A rule with its latest draws."""

    rule: SavedRule
    active: bool
    runs: tuple[dict[str, object], ...]  # each with its draw's ``coverage`` (or None)


def rule_histories(installation: Installation, user: User | None = None) -> list[RuleHistory]:
    """Every saved rule with its latest draws, newest first (``user``: a screen's; None for
    the command line's operator)."""
    if user is not None:
        user.require(Permission.QUEUE_MANAGE)
    with read_transaction(installation.engine) as conn:
        return [
            RuleHistory(
                rule=_rule(row),
                active=bool(row["active"]),
                runs=tuple(
                    {**run, "coverage": Coverage.from_document(run.pop("coverage", None))}
                    for run in rules_store.runs(conn, int(str(row["id"])))
                ),
            )
            for row in rules_store.rules(conn)
        ]


def run_rules(installation: Installation, *, force: bool = False) -> list[RuleRun]:
    """Draw every active rule that has not drawn today (UTC), as the user who saved it.

    Safe to run from cron at any frequency: a rule draws at most once a day (``force``
    draws again), and a draw never takes a conversation already assigned with its rubric.
    """
    installation.require_schema()
    now = utc_now()
    today = now.date()
    with read_transaction(installation.engine) as conn:
        rows = rules_store.rules(conn, active_only=True)
    done: list[RuleRun] = []
    for row in rows:
        rule = _rule(row)
        rule_id = int(str(row["id"]))
        with read_transaction(installation.engine) as conn:
            already = rules_store.ran_on(conn, rule_id, today.isoformat())
        if already and not force:
            done.append(RuleRun(rule.name, "already drawn today"))
            continue
        creator = load_user(installation, int(str(row["created_by"])))
        result = RuleRun(rule.name, "creator cannot sample any more")
        if creator is not None and creator.can(Permission.QUEUE_MANAGE):
            try:
                outcome = spotlight.sample_with_focus(
                    installation, creator, rule.request(today), rule.focus()
                )
                result = RuleRun(
                    rule.name,
                    "drawn",
                    outcome.eligible,
                    outcome.assigned,
                    outcome.sample_id,
                    outcome.coverage,
                )
            except AuditkitError as exc:
                result = RuleRun(rule.name, f"refused: {exc}")
        with operational_transaction(installation.engine) as conn:
            rules_store.insert_run(
                conn,
                {
                    "rule_id": rule_id,
                    "ran_on": today.isoformat(),
                    "ran_at": format_time(now),
                    "sample_id": result.sample_id,
                    "eligible": result.eligible,
                    "assigned": result.assigned,
                    "outcome": result.outcome,
                },
            )
        done.append(result)
    return done
