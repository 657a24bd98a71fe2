"""AutoQA in the lists: the conversation list filtered by automatic score ("scored / not
scored", a score range) with its AutoQA column, and the reviewer's queue with the automatic
score of each assignment's rubric beside it (muted on screen; never in the human's form).

The review lists sit below AutoQA and never read an automatic score: this module parses the
AutoQA filters, hands the list a select of conversation keys (``ConversationConditions``'
``within`` / ``without``) and reads the column in one query per page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.autoqa import store as autoqa_store
from auditkit.autoqa.results import list_scores
from auditkit.db.engine import read_transaction
from auditkit.errors import InputRefused
from auditkit.ledger.installation import Installation
from auditkit.review import queue as review_queue
from auditkit.review import search as review_search
from auditkit.review.findings import PER_PAGE

AUTOQA_FILTERS = ("autoqa", "autoqa_min", "autoqa_max")
SCORED = {"scored": True, "unscored": False}


@dataclass(frozen=True)
class AutoqaFilter:
    """The list's AutoQA conditions: scored or not (None: either) and a score range (0-100)."""

    scored: bool | None = None
    score_min: float | None = None
    score_max: float | None = None

    @property
    def active(self) -> bool:
        """Whether the filter restricts anything."""
        return self.scored is not None or self.score_min is not None or self.score_max is not None


@dataclass(frozen=True)
class AutoqaConversationList:
    """A page of the conversation list and the automatic score of each row that has one."""

    found: review_search.ConversationList
    auto: Mapping[str, float]


def _score(values: Mapping[str, str], name: str, problems: list[str]) -> float | None:
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name}: {raw[:20]!r} is not a number")
        return None
    if not 0 <= value <= 100:
        problems.append(f"{name}: {raw[:20]} is not between 0 and 100")
        return None
    return value


def autoqa_filter(user: User, values: Mapping[str, str]) -> AutoqaFilter:
    """The AutoQA filters from the address's values; every bad one refused, named."""
    problems: list[str] = []
    raw = (values.get("autoqa") or "").strip()
    scored = SCORED.get(raw)
    if raw and scored is None:
        problems.append(f"autoqa: {raw[:20]!r} is not scored or unscored")
    low = _score(values, "autoqa_min", problems)
    high = _score(values, "autoqa_max", problems)
    if low is not None and high is not None and low > high:
        problems.append(f"autoqa_min: {low:g} is above autoqa_max {high:g}")
    if scored is False and (low is not None or high is not None):
        problems.append("autoqa: a score range needs scored conversations, not unscored ones")
    found = AutoqaFilter(scored, low, high)
    if found.active and not user.can(Permission.REVIEW_READ):
        problems.append("autoqa: filtering by automatic score needs the permission to read reviews")
    if problems:
        raise InputRefused(problems)
    return found


def conversation_search(
    installation: Installation, user: User, values: Mapping[str, str]
) -> tuple[review_search.ConversationSearch, AutoqaFilter]:
    """The list's search with its AutoQA conditions; the problems of both refused together."""
    problems: list[str] = []
    search = review_search.ConversationSearch()
    try:
        search = review_search.conversation_search(installation, values)
    except InputRefused as exc:
        problems.extend(exc.problems)
    wanted = AutoqaFilter()
    try:
        wanted = autoqa_filter(user, values)
    except InputRefused as exc:
        problems.extend(exc.problems)
    if problems:
        raise InputRefused(problems)
    shown = {**search.shown, **{k: str(values.get(k) or "").strip() for k in AUTOQA_FILTERS}}
    conditions = search.conditions
    if wanted.scored is False:
        conditions = replace(conditions, without=autoqa_store.scored_keys())
    elif wanted.active:
        conditions = replace(
            conditions, within=autoqa_store.scored_keys(wanted.score_min, wanted.score_max)
        )
    return replace(search, conditions=conditions, shown=shown), wanted


def conversation_list(
    installation: Installation,
    user: User,
    values: Mapping[str, str],
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> AutoqaConversationList:
    """One page of the conversation list filtered by ``values`` (the address's), with the
    AutoQA column."""
    search, _wanted = conversation_search(installation, user, values)
    found = review_search.search_conversations(
        installation, user, search, page=page, per_page=per_page
    )
    return AutoqaConversationList(
        found=found, auto=list_scores(installation, user, [row.key for row in found.rows])
    )


def conversations_csv(
    installation: Installation, user: User, values: Mapping[str, str]
) -> Iterator[str]:
    """Every conversation matching ``values`` (AutoQA filters too) as the list's CSV, a piece
    at a time. The filters are checked (and refused) here, before the first piece."""
    search, _wanted = conversation_search(installation, user, values)
    return review_search.conversations_csv_chunks(
        review_search.iter_conversations(installation, user, search)
    )


@dataclass(frozen=True)
class AutoqaQueuePage:
    """A page of the reviewer's queue with each assignment's automatic score (its rubric's)."""

    queue: review_queue.QueuePage
    auto: Mapping[int, float]  # assignment id → automatic score


def queue_page(installation: Installation, user: User, *, page: int = 1) -> AutoqaQueuePage:
    """The reviewer's queue page and, for each assignment, the automatic score of its
    conversation against its rubric (one query for the page; none without review reading)."""
    shown = review_queue.queue_page(installation, user, page=page)
    return AutoqaQueuePage(queue=shown, auto=assignment_scores(installation, user, shown.items))


def assignment_scores(
    installation: Installation, user: User, items: Sequence[review_queue.Assignment]
) -> dict[int, float]:
    """assignment id → the automatic score of its conversation against its own rubric."""
    if not items or not user.can(Permission.REVIEW_READ):
        return {}
    with read_transaction(installation.engine) as conn:
        rows = autoqa_store.score_rows(conn, keys=sorted({a.conversation_key for a in items}))
    scores: dict[tuple[str, str], Any] = {
        (r["conversation_key"], r["rubric_hash"]): r["score"] for r in rows
    }
    found = {a.id: scores.get((a.conversation_key, a.rubric_hash)) for a in items}
    return {i: float(s) for i, s in found.items() if s is not None}
