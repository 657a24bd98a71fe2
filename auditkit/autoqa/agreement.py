"""How far AutoQA agrees with the installation's own reviewers, criterion by criterion:
Krippendorff's alpha (ordinal) between each automatic level and each human rating of the same
conversation and rubric, a bootstrap 95% interval, exact agreement and the number of pairs.

A criterion whose alpha is below the setting (``AUDITKIT_AUTOQA_MIN_ALPHA``, default 0.67) is
"not trusted yet" and left out of AutoQA IQS. Pairs where either side said N/A are left out.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

from auditkit.accounts.users import Permission, User
from auditkit.autoqa import store as autoqa_store
from auditkit.autoqa.service import autoqa_rubrics
from auditkit.db.engine import read_transaction
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import parse_time
from auditkit.rubric import NOT_APPLICABLE, Criterion, Rubric, format_score, iqs
from auditkit.rubric.agreement import Measurement, krippendorff_alpha

BOOTSTRAP = 400  # resamples of the pairs for the interval
SEED = 16  # the interval is reproducible: the same pairs give the same interval


@dataclass(frozen=True)
class CriterionAgreement:
    """One criterion's agreement between AutoQA and the reviewers."""

    criterion: str
    label: str
    pairs: int
    exact: float | None  # share of pairs with the same level
    alpha: float | None  # None: undefined (too few pairs, or no variation)
    low: float | None  # bootstrap 95% interval of alpha
    high: float | None
    trusted: bool
    flags: int  # times reviewers marked its automatic level wrong
    auto_mean: float | None = None  # mean automatic score (0-100) of the criterion
    scored: int = 0  # conversations whose automatic level of it has a score


@dataclass(frozen=True)
class WeekIqs:
    """AutoQA IQS of one ISO week (the week of each conversation's last event) beside human
    IQS of that week (reviews submitted in it), same rubric; a bar of the week chart."""

    key: str  # the week's Monday, YYYY-MM-DD
    value: float | None  # AutoQA IQS, trusted criteria only
    count: int  # auto-scored conversations with a score over trusted criteria
    human: float | None
    human_count: int

    @property
    def label(self) -> str:
        """The week as the chart titles it."""
        return f"week of {self.key}"

    @property
    def text(self) -> str | None:
        """AutoQA IQS as shown."""
        return format_score(None if self.value is None else Fraction(self.value))

    @property
    def human_text(self) -> str | None:
        """Human IQS as shown."""
        return format_score(None if self.human is None else Fraction(self.human))


@dataclass(frozen=True)
class RubricAgreement:
    """Agreement on every auto-scored criterion of one rubric, and AutoQA IQS beside human IQS."""

    rubric_id: str
    rubric_version: int
    rubric_hash: str
    min_alpha: float
    criteria: tuple[CriterionAgreement, ...]
    auto_iqs: Fraction | None  # over the trusted criteria only (None: none trusted)
    auto_conversations: int
    human_iqs: Fraction | None
    human_reviews: int
    by_agent: tuple[tuple[str, Fraction | None, int], ...] = ()  # (agent, AutoQA IQS, scored)
    by_week: tuple[WeekIqs, ...] = ()  # oldest first, at most WEEKS


WEEKS = 26  # the week chart shows the latest half year


def week_of(at: str) -> str:
    """The Monday (YYYY-MM-DD) of the ISO week holding the time ``at``."""
    day = parse_time(at).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def pair_units(
    auto: dict[str, str | None], human: Sequence[tuple[str, str, str]]
) -> list[tuple[str, str]]:
    """(automatic, human) level pairs: one per human rating of a conversation AutoQA rated.

    ``auto`` maps conversation → automatic level; ``human`` holds (conversation, reviewer,
    rating). N/A on either side, or no automatic level, makes no pair.
    """
    pairs = []
    for key, _reviewer, rating in human:
        level = auto.get(key)
        if level is None or level == NOT_APPLICABLE or rating == NOT_APPLICABLE:
            continue
        pairs.append((level, rating))
    return pairs


def alpha_with_interval(
    pairs: Sequence[tuple[str, str]], order: Sequence[str], *, resamples: int = BOOTSTRAP
) -> tuple[float | None, float | None, float | None]:
    """Ordinal alpha of ``pairs`` and its bootstrap 95% percentile interval (seeded)."""
    units = [list(pair) for pair in pairs]
    alpha = krippendorff_alpha(units, Measurement.ORDINAL, order=order)
    if alpha is None or len(units) < 2 or resamples == 0:
        return alpha, None, None
    rng = random.Random(SEED)  # noqa: S311 (resampling for an interval, not a secret)
    values = []
    for _ in range(resamples):
        sample = [units[rng.randrange(len(units))] for _ in units]
        value = krippendorff_alpha(sample, Measurement.ORDINAL, order=order)
        if value is not None:
            values.append(value)
    if not values:
        return alpha, None, None
    values.sort()
    return alpha, values[int(0.025 * (len(values) - 1))], values[int(0.975 * (len(values) - 1))]


def measure_agreement(
    installation: Installation, *, min_alpha: float | None = None, resamples: int = BOOTSTRAP
) -> list[RubricAgreement]:
    """Agreement per auto-scored rubric and criterion, with AutoQA IQS over trusted criteria."""
    installation.require_schema()
    threshold = installation.settings.autoqa_min_alpha if min_alpha is None else min_alpha
    rubrics = autoqa_rubrics(installation)
    found = []
    with read_transaction(installation.engine) as conn:
        for rubric in rubrics:
            human = autoqa_store.human_ratings(conn, rubric.content_hash)
            criteria = autoqa_store.criteria_rows(conn, rubric_hash=rubric.content_hash)
            scores = autoqa_store.score_rows(conn, rubric_hash=rubric.content_hash)
            flags = autoqa_store.flag_counts(conn, rubric.content_hash)
            human_scores = autoqa_store.human_review_scores(conn, rubric.content_hash)
            facts = autoqa_store.scored_facts(conn, rubric.content_hash)
            found.append(
                _rubric_agreement(
                    rubric,
                    threshold,
                    human,
                    criteria,
                    scores,
                    flags,
                    human_scores,
                    resamples,
                    facts,
                )
            )
    return found


def dashboard_agreement(installation: Installation, user: User) -> list[RubricAgreement]:
    """The agreement table the dashboard shows (needs the permission to read the dashboard)."""
    user.require(Permission.DASHBOARD_READ)
    return measure_agreement(installation)


def _rubric_agreement(
    rubric: Rubric,
    threshold: float,
    human: Sequence[tuple[str, str, str, str]],
    criteria: Sequence[dict[str, object]],
    scores: Sequence[dict[str, object]],
    flags: dict[str, int],
    human_scores: Sequence[tuple[float | None, str]],
    resamples: int,
    facts: dict[str, tuple[str | None, str | None]] | None = None,
) -> RubricAgreement:
    auto_levels = _auto_levels(criteria)
    auto_scores: dict[str, dict[str, float | None]] = defaultdict(dict)
    for row in criteria:
        auto_scores[str(row["conversation_key"])][str(row["criterion_id"])] = row["score"]  # type: ignore[assignment]
    results = []
    for criterion, pairs, (alpha, low, high) in _criterion_agreements(
        rubric, auto_levels, human, resamples
    ):
        results.append(
            CriterionAgreement(
                criterion=criterion.id,
                label=criterion.label,
                pairs=len(pairs),
                exact=sum(a == h for a, h in pairs) / len(pairs) if pairs else None,
                alpha=alpha,
                low=low,
                high=high,
                trusted=is_trusted(alpha, threshold),
                flags=flags.get(criterion.id, 0),
                auto_mean=_mean(
                    auto_scores[key].get(criterion.id) for key in auto_levels.get(criterion.id, {})
                ),
                scored=sum(
                    auto_scores[key].get(criterion.id) is not None
                    for key in auto_levels.get(criterion.id, {})
                ),
            )
        )
    trusted = {r.criterion for r in results if r.trusted}
    keys = [str(row["conversation_key"]) for row in scores]
    per_conversation = [_trusted_score(rubric, auto_scores.get(key, {}), trusted) for key in keys]
    facts = facts or {}
    by_agent: dict[str, list[Fraction | None]] = defaultdict(list)
    auto_weeks: dict[str, list[Fraction | None]] = defaultdict(list)
    for key, value in zip(keys, per_conversation, strict=True):
        agent, at = facts.get(key, (None, None))
        if agent:
            by_agent[agent].append(value)
        if at:
            auto_weeks[week_of(at)].append(value)
    return RubricAgreement(
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_hash=rubric.content_hash,
        min_alpha=threshold,
        criteria=tuple(results),
        auto_iqs=iqs(per_conversation),
        auto_conversations=sum(1 for s in per_conversation if s is not None),
        human_iqs=iqs(score for score, _at in human_scores),
        human_reviews=len(human_scores),
        by_agent=tuple(
            (agent, iqs(values), sum(1 for v in values if v is not None))
            for agent, values in sorted(by_agent.items())
        ),
        by_week=_weeks(auto_weeks, human_scores),
    )


def is_trusted(alpha: float | None, threshold: float) -> bool:
    """Whether a criterion with agreement ``alpha`` counts in AutoQA IQS."""
    return alpha is not None and alpha >= threshold


@dataclass(frozen=True)
class AgentCriterion:
    """One criterion's automatic mean over an agent's conversations."""

    criterion: str
    label: str
    trusted: bool  # counted in AutoQA IQS (its agreement is high enough installation-wide)
    mean: float | None  # mean automatic score (0-100)
    scored: int  # conversations whose automatic level of it has a score


@dataclass(frozen=True)
class AgentAutoqa:
    """AutoQA on one agent's conversations against one rubric: AutoQA IQS over the trusted
    criteria, each criterion's automatic mean, and AutoQA IQS by week beside the agent's
    human IQS by week (their reviews against the same rubric)."""

    rubric_id: str
    rubric_version: int
    min_alpha: float
    iqs: Fraction | None
    conversations: int  # the agent's auto-scored conversations in the period
    scored: int  # of them, with a score over the trusted criteria
    criteria: tuple[AgentCriterion, ...]
    by_week: tuple[WeekIqs, ...] = ()  # oldest first, at most WEEKS


def agent_autoqa(
    installation: Installation,
    user: User,
    agent_id: str,
    *,
    since: str | None = None,
    until: str | None = None,
) -> list[AgentAutoqa]:
    """AutoQA per auto-scored rubric on the conversations whose primary agent is ``agent_id``
    and whose last event is in ``[since, until)``: what the agent page shows beside the human
    scores. Which criteria are trusted is the dashboard's rule, over every conversation the
    reviewers rated (agreement is the scorer's, not the agent's)."""
    user.require(Permission.AGENT_SCORES_READ)
    installation.require_schema()
    threshold = installation.settings.autoqa_min_alpha
    found = []
    with read_transaction(installation.engine) as conn:
        for rubric in autoqa_rubrics(installation):
            content_hash = rubric.content_hash
            human = autoqa_store.human_ratings(conn, content_hash)
            rated = autoqa_store.criteria_rows(
                conn, keys=sorted({key for key, *_rest in human}), rubric_hash=content_hash
            )
            trusted = _trusted(rubric, threshold, human, rated)
            conversations = autoqa_store.agent_scored(
                conn, content_hash, agent_id, since=since, until=until
            )
            rows = autoqa_store.criteria_rows(
                conn, keys=[key for key, _at in conversations], rubric_hash=content_hash
            )
            reviews = autoqa_store.human_review_scores(
                conn, content_hash, agent_id=agent_id, since=since, until=until
            )
            found.append(_agent_autoqa(rubric, threshold, trusted, conversations, rows, reviews))
    return found


def _trusted(
    rubric: Rubric,
    threshold: float,
    human: Sequence[tuple[str, str, str, str]],
    rated: Sequence[dict[str, object]],
) -> set[str]:
    """The criteria the dashboard counts as trusted (its alpha, without the interval)."""
    return {
        criterion.id
        for criterion, _pairs, (alpha, _low, _high) in _criterion_agreements(
            rubric, _auto_levels(rated), human, resamples=0
        )
        if is_trusted(alpha, threshold)
    }


def _auto_levels(rows: Sequence[dict[str, object]]) -> dict[str, dict[str, str | None]]:
    """criterion → conversation → automatic level, from stored criteria rows."""
    levels: dict[str, dict[str, str | None]] = defaultdict(dict)
    for row in rows:
        level = row["level"]
        levels[str(row["criterion_id"])][str(row["conversation_key"])] = (
            None if level is None else str(level)
        )
    return levels


def _criterion_agreements(
    rubric: Rubric,
    auto_levels: dict[str, dict[str, str | None]],
    human: Sequence[tuple[str, str, str, str]],
    resamples: int,
) -> Iterator[
    tuple[Criterion, list[tuple[str, str]], tuple[float | None, float | None, float | None]]
]:
    """Each auto-scored criterion of ``rubric`` with its (AutoQA, human) pairs and their
    alpha, low and high (the interval only with ``resamples``)."""
    by_criterion: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for key, reviewer, cid, rating in human:
        by_criterion[cid].append((key, reviewer, rating))
    for _section, criterion in rubric.criteria():
        if criterion.autoqa is None:
            continue
        pairs = pair_units(auto_levels.get(criterion.id, {}), by_criterion.get(criterion.id, []))
        yield (
            criterion,
            pairs,
            alpha_with_interval(pairs, criterion.scale.levels, resamples=resamples),
        )


def _agent_autoqa(
    rubric: Rubric,
    threshold: float,
    trusted: set[str],
    conversations: Sequence[tuple[str, str | None]],
    rows: Sequence[dict[str, object]],
    reviews: Sequence[tuple[float | None, str]],
) -> AgentAutoqa:
    scores: dict[str, dict[str, float | None]] = defaultdict(dict)
    for row in rows:
        scores[str(row["conversation_key"])][str(row["criterion_id"])] = row["score"]  # type: ignore[assignment]
    per_conversation = [
        (at, _trusted_score(rubric, scores.get(key, {}), trusted)) for key, at in conversations
    ]
    auto_weeks: dict[str, list[Fraction | None]] = defaultdict(list)
    for at, value in per_conversation:
        if at:
            auto_weeks[week_of(at)].append(value)
    criteria = []
    for _section, criterion in rubric.criteria():
        if criterion.autoqa is None:
            continue
        means = [scores[key].get(criterion.id) for key, _at in conversations if key in scores]
        criteria.append(
            AgentCriterion(
                criterion=criterion.id,
                label=criterion.label,
                trusted=criterion.id in trusted,
                mean=_mean(means),
                scored=sum(1 for v in means if v is not None),
            )
        )
    values = [value for _at, value in per_conversation]
    return AgentAutoqa(
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        min_alpha=threshold,
        iqs=iqs(values),
        conversations=len(conversations),
        scored=sum(1 for v in values if v is not None),
        criteria=tuple(criteria),
        by_week=_weeks(auto_weeks, reviews),
    )


def _weeks(
    auto_weeks: dict[str, list[Fraction | None]], reviews: Sequence[tuple[float | None, str]]
) -> tuple[WeekIqs, ...]:
    """AutoQA IQS by week (of each conversation's last event) beside human IQS by week (of
    each review's submission), the latest WEEKS weeks, oldest first."""
    human_weeks: dict[str, list[float | None]] = defaultdict(list)
    for score, submitted_at in reviews:
        human_weeks[week_of(submitted_at)].append(score)
    weeks = sorted(set(auto_weeks) | set(human_weeks))[-WEEKS:]
    return tuple(
        WeekIqs(
            key=week,
            value=_float(iqs(auto_weeks.get(week, []))),
            count=sum(1 for v in auto_weeks.get(week, []) if v is not None),
            human=_float(iqs(human_weeks.get(week, []))),
            human_count=sum(1 for v in human_weeks.get(week, []) if v is not None),
        )
        for week in weeks
    )


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _mean(values: Iterable[float | None]) -> float | None:
    given = [v for v in values if v is not None]
    return sum(given) / len(given) if given else None


def _trusted_score(
    rubric: Rubric, scores: dict[str, float | None], trusted: set[str]
) -> Fraction | None:
    """A conversation's automatic score over its trusted criteria (weighted mean, as in
    docs/scoring.md; a trusted critical gate at its lowest level zeroes it)."""
    total_weight = 0
    total = Fraction(0)
    for _section, criterion in rubric.criteria():
        value = scores.get(criterion.id)
        if criterion.id not in trusted or value is None:
            continue
        if criterion.critical and value == 0:
            return Fraction(0)
        total_weight += criterion.weight
        total += criterion.weight * Fraction(value)
    return None if total_weight == 0 else total / total_weight
