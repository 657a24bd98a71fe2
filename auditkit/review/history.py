"""Submitted reviews, agents' histories, coaching examples and rubrics, as the screens read them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.db.engine import read_transaction
from auditkit.errors import NotFound
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import TEXT_KINDS
from auditkit.pii.masking import (
    scan_redactor,
    staff_text_redactor,
)
from auditkit.review import rubrics as review_rubrics
from auditkit.review import store as review_store
from auditkit.review.transcript import (
    Comment,
    ReviewSummary,
    TranscriptItem,
    comment_of,
    load_conversation,
    review_summary,
    transcript_item,
)
from auditkit.review.workspace import record_body
from auditkit.rubric import (
    NOT_APPLICABLE,
    Rubric,
    format_score,
    iqs,
)


@dataclass(frozen=True)
class CriterionLine:
    """One criterion of a submitted review, with its level's description."""

    section_id: str
    section_title: str
    criterion_id: str
    label: str
    rating: str
    level: str
    score: str | None
    note: str
    critical_failed: bool
    weight: int


@dataclass(frozen=True)
class ExampleLine:
    """A coaching example of a submitted review."""

    first_seq: int
    last_seq: int
    first_number: int | None
    last_number: int | None
    label: str
    criterion_id: str
    criterion_label: str
    note: str


@dataclass(frozen=True)
class ReviewDetail:
    """One submitted review version in full, read from its ledger record."""

    summary: ReviewSummary
    rubric: Rubric
    rubric_hash: str
    lines: tuple[CriterionLine, ...]
    sections: tuple[tuple[str, str | None, bool], ...]  # (title, score, zeroed)
    score: str | None
    critical_failures: tuple[str, ...]
    text: str
    examples: tuple[ExampleLine, ...]
    versions: tuple[ReviewSummary, ...]
    comments: tuple[Comment, ...]
    conversation_last_seq: int
    supersedes: int | None


@dataclass(frozen=True)
class AgentSummary:
    """An agent's reviewed work over a period."""

    agent_id: str
    name: str | None
    team: str | None
    reviews: int
    iqs: str | None
    critical_failures: int


@dataclass(frozen=True)
class AgentHistory:
    """An agent's reviews (latest versions) and mean score per criterion."""

    summary: AgentSummary
    reviews: tuple[ReviewSummary, ...]
    criteria: tuple[tuple[str, str, str | None, int], ...]  # (id, label, mean, rated)


@dataclass(frozen=True)
class CoachingExample:
    """A message range marked by a reviewer as exemplary or needing work."""

    conversation_key: str
    first_seq: int
    last_seq: int
    label: str
    criterion_id: str
    criterion_label: str
    note: str
    agent_id: str | None
    reviewer: str
    submitted_at: str
    review_seq: int
    excerpt: tuple[TranscriptItem, ...]


def review_detail(installation: Installation, user: User, seq: int) -> ReviewDetail:
    """One submitted review version, from its ledger record."""
    user.require(Permission.REVIEW_READ)
    return read_review_detail(installation, seq)


def read_review_detail(installation: Installation, seq: int) -> ReviewDetail:
    """One review version, for a caller that has checked who may read it (an agent's own)."""
    with read_transaction(installation.engine) as conn:
        row = review_store.review_at(conn, seq)
        if row is None:
            raise NotFound(f"no review record {seq}")
        body = record_body(conn, seq, installation.master_key())
        rubric = review_rubrics.stored_rubric(conn, row["rubric_hash"])
        versions = tuple(
            review_summary(v) for v in review_store.review_versions(conn, row["review_id"])
        )
        comments = tuple(
            comment_of(c)
            for c in review_store.comments_for_conversation(conn, row["conversation_key"])
            if c["review_id"] == row["review_id"]
        )
        conversation = load_conversation(conn, row["conversation_key"], installation.master_key())
        mask = staff_text_redactor(conn, installation, row["conversation_key"])
    comments = tuple(replace(c, text=mask(c.text)) for c in comments)
    numbers = {
        event.seq: index + 1
        for index, event in enumerate(e for e in conversation.events if e.kind in TEXT_KINDS)
    }
    titles = {s.id: s.title for s in rubric.sections}
    lines = []
    for rating in body["ratings"]:
        criterion = rubric.criterion(rating["criterion"])
        level = (
            "Not applicable"
            if rating["rating"] == NOT_APPLICABLE
            else criterion.level(rating["rating"]).description
        )
        lines.append(
            CriterionLine(
                section_id=rating["section"],
                section_title=titles[rating["section"]],
                criterion_id=criterion.id,
                label=criterion.label,
                rating=rating["rating"],
                level=level,
                score=rating["score"],
                note=mask(rating.get("note", "")),
                critical_failed=criterion.id in body["critical_failures"],
                weight=criterion.weight,
            )
        )
    latest_seq = versions[-1].seq if versions else seq
    return ReviewDetail(
        summary=review_summary({**row, "latest": latest_seq == seq}),
        rubric=rubric,
        rubric_hash=row["rubric_hash"],
        lines=tuple(lines),
        sections=tuple(
            (titles[s["section"]], s["score"], bool(s["zeroed"])) for s in body["sections"]
        ),
        score=body["score"],
        critical_failures=tuple(body["critical_failures"]),
        text=mask(body.get("summary", "")),
        examples=tuple(
            ExampleLine(
                first_seq=e["first_seq"],
                last_seq=e["last_seq"],
                first_number=numbers.get(e["first_seq"]),
                last_number=numbers.get(e["last_seq"]),
                label=e["label"],
                criterion_id=e["criterion"],
                criterion_label=rubric.criterion(e["criterion"]).label,
                note=mask(e.get("note", "")),
            )
            for e in body.get("coaching_examples", [])
        ),
        versions=versions,
        comments=tuple(replace(c, message_number=numbers.get(c.message_seq)) for c in comments),
        conversation_last_seq=int(body["conversation_last_seq"]),
        supersedes=body.get("supersedes"),
    )


def agents_overview(
    installation: Installation, user: User, *, since: str | None = None, until: str | None = None
) -> list[AgentSummary]:
    """Every reviewed agent with review count, IQS and critical failures in the period."""
    user.require(Permission.AGENT_SCORES_READ)
    with read_transaction(installation.engine) as conn:
        rows = review_store.latest_reviews(conn, since=since, until=until, limit=100_000)
        names = review_store.staff_names(
            conn, sorted({r["agent_id"] for r in rows if r["agent_id"]})
        )
    by_agent: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["agent_id"]:
            by_agent.setdefault(row["agent_id"], []).append(row)
    return [
        _agent_summary(agent, items, names.get(agent, {}))
        for agent, items in sorted(by_agent.items())
    ]


def _agent_summary(
    agent: str, rows: Sequence[Mapping[str, Any]], person: Mapping[str, Any]
) -> AgentSummary:
    return AgentSummary(
        agent_id=agent,
        name=person.get("name"),
        team=person.get("team"),
        reviews=len(rows),
        iqs=format_score(iqs(r["score"] for r in rows)),
        critical_failures=sum(1 for r in rows if r["critical_failed"]),
    )


def agent_history(
    installation: Installation,
    user: User,
    agent_id: str,
    *,
    since: str | None = None,
    until: str | None = None,
) -> AgentHistory:
    """An agent's latest review versions in the period, IQS and per-criterion means."""
    user.require(Permission.AGENT_SCORES_READ)
    with read_transaction(installation.engine) as conn:
        rows = review_store.latest_reviews(conn, agent_id=agent_id, since=since, until=until)
        person = review_store.participant_names(conn, [agent_id]).get(agent_id)
        if person is None and not rows:
            raise NotFound(f"no agent {agent_id}")
        means = review_store.criterion_means(conn, [r["seq"] for r in rows])
        labels: dict[str, str] = {}
        for content_hash in {r["rubric_hash"] for r in rows}:
            for _section, criterion in review_rubrics.stored_rubric(conn, content_hash).criteria():
                labels.setdefault(criterion.id, criterion.label)
    order = list(labels)
    criteria = sorted(
        (
            (
                m["criterion_id"],
                _criterion_label(labels, m["criterion_id"]),
                format_score(iqs([m["mean_score"]])) if m["mean_score"] is not None else None,
                int(m["rated"]),
            )
            for m in means
        ),
        key=lambda item: order.index(item[0]) if item[0] in order else len(order),
    )
    return AgentHistory(
        summary=_agent_summary(agent_id, rows, person or {}),
        reviews=tuple(review_summary(r) for r in rows),
        criteria=tuple(criteria),
    )


def _criterion_label(labels: Mapping[str, str], criterion_id: str) -> str:
    """A criterion's label as its rubric gives it, else its id."""
    return labels.get(criterion_id, criterion_id)


@dataclass(frozen=True)
class CoachingView:
    """Coaching examples and the criteria one may filter them by."""

    examples: tuple[CoachingExample, ...]
    criteria: tuple[tuple[str, str], ...]  # (id, label)


def coaching_examples(
    installation: Installation,
    user: User,
    *,
    criterion: str | None = None,
    label: str | None = None,
    agent: str | None = None,
    limit: int = 50,
) -> CoachingView:
    """Marked examples of the latest review versions, with their messages, redacted."""
    user.require(Permission.COACHING_READ)
    return load_coaching_examples(
        installation, criterion=criterion, label=label, agent=agent, limit=limit
    )


def load_coaching_examples(
    installation: Installation,
    *,
    criterion: str | None = None,
    label: str | None = None,
    agent: str | None = None,
    limit: int = 50,
) -> CoachingView:
    """Marked examples, for a caller that has checked who may see them (an agent's own)."""
    with read_transaction(installation.engine) as conn:
        rows = review_store.coaching_example_rows(
            conn, criterion_id=criterion, label=label, agent_id=agent, limit=limit
        )
        keys = sorted({r["conversation_key"] for r in rows})
        conversations = (
            {c.key: c for c in load_conversations(conn, keys, master=installation.master_key())}
            if keys
            else {}
        )
        redactor = scan_redactor(conn, installation, conversations.values())
        labels: dict[str, str] = {}
        for content_hash in {row["rubric_hash"] for row in rows}:
            for _section, item in review_rubrics.stored_rubric(conn, content_hash).criteria():
                labels.setdefault(item.id, item.label)
    examples = []
    for row in rows:
        conversation = conversations[row["conversation_key"]]
        excerpt = tuple(
            transcript_item(conversation, event, clear=False, redactor=redactor)
            for event in conversation.events
            if event.kind in TEXT_KINDS and row["first_seq"] <= event.seq <= row["last_seq"]
        )
        examples.append(
            CoachingExample(
                conversation_key=row["conversation_key"],
                first_seq=int(row["first_seq"]),
                last_seq=int(row["last_seq"]),
                label=row["label"],
                criterion_id=row["criterion_id"],
                criterion_label=_criterion_label(labels, row["criterion_id"]),
                note=row["note"],
                agent_id=row["agent_id"],
                reviewer=row["reviewer"],
                submitted_at=row["submitted_at"],
                review_seq=int(row["review_seq"]),
                excerpt=excerpt,
            )
        )
    for rubric in review_rubrics.available_rubrics(installation):
        for _section, item in rubric.criteria():
            labels.setdefault(item.id, item.label)
    return CoachingView(examples=tuple(examples), criteria=tuple(labels.items()))


def rubrics_overview(installation: Installation, user: User) -> list[Rubric]:
    """The rubrics available for new assignments."""
    user.require(Permission.RUBRIC_READ)
    return review_rubrics.available_rubrics(installation)


def rubric_detail(installation: Installation, user: User, content_hash: str) -> Rubric:
    """One rubric by content hash (available or stored with past assignments)."""
    user.require(Permission.RUBRIC_READ)
    return review_rubrics.find_rubric(installation, content_hash)
