"""Rows of AutoQA's tables, and the reads it makes of the checks' and reviews' tables."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Float, and_, cast, func, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql import ColumnElement, Select

from auditkit.autoqa.tables import autoqa_criteria, autoqa_flags, autoqa_scores
from auditkit.checks.tables import check_results
from auditkit.ledger.projections.registry import ErasedSubject
from auditkit.ledger.tables import conversations
from auditkit.review.tables import conversation_facts, review_scores, reviews

CHUNK = 500


def _chunks(keys: Sequence[str]) -> list[list[str]]:
    return [list(keys[start : start + CHUNK]) for start in range(0, len(keys), CHUNK)]


def _rows_of(
    conn: Connection, query: Select[Any], key: ColumnElement[str], keys: Sequence[str] | None
) -> list[dict[str, Any]]:
    """The rows of ``query``: all of them, or those whose ``key`` is one of ``keys`` (read a
    chunk of keys at a time)."""
    if keys is None:
        return [dict(row._mapping) for row in conn.execute(query)]
    rows: list[dict[str, Any]] = []
    for part in _chunks(keys):
        rows += [dict(r._mapping) for r in conn.execute(query.where(key.in_(part)))]
    return rows


def last_seqs(conn: Connection, keys: Sequence[str]) -> dict[str, int]:
    """The last seq of each known conversation of ``keys``."""
    found: dict[str, int] = {}
    for part in _chunks(keys):
        query = select(conversations.c.conversation_key, conversations.c.last_seq).where(
            conversations.c.conversation_key.in_(part)
        )
        found.update({key: int(seq) for key, seq in conn.execute(query).tuples()})
    return found


def stored_inputs(conn: Connection, keys: Sequence[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(conversation, rubric hash) → (scorer version, input key) of the stored scores."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for part in _chunks(keys):
        query = select(
            autoqa_scores.c.conversation_key,
            autoqa_scores.c.rubric_hash,
            autoqa_scores.c.scorer_version,
            autoqa_scores.c.input_key,
        ).where(autoqa_scores.c.conversation_key.in_(part))
        for key, rubric, version, input_key in conn.execute(query).tuples():
            found[(key, rubric)] = (version, input_key)
    return found


def policy_results(
    conn: Connection, keys: Sequence[str]
) -> dict[str, dict[str, tuple[str, str, list[int]]]]:
    """conversation → policy → (outcome, policy hash, evidence seqs) of the latest check results."""
    return {
        key: {
            policy: (outcome, policy_hash, _seq_list(evidence))
            for policy, (outcome, policy_hash, evidence) in found.items()
        }
        for key, found in stored_policy_results(conn, keys).items()
    }


def stored_policy_results(
    conn: Connection, keys: Sequence[str]
) -> dict[str, dict[str, tuple[str, str, str]]]:
    """conversation → policy → (outcome, policy hash, evidence seqs as stored: a JSON list) of
    the latest check results: what planning a run reads, leaving the seqs to the workers that
    score (:func:`seq_tuple`), so the appending process does not parse them."""
    found: dict[str, dict[str, tuple[str, str, str]]] = {}
    for part in _chunks(keys):
        query = select(
            check_results.c.conversation_key,
            check_results.c.policy_id,
            check_results.c.outcome,
            check_results.c.policy_hash,
            check_results.c.evidence,
        ).where(check_results.c.conversation_key.in_(part))
        for key, policy, outcome, policy_hash, evidence in conn.execute(query).tuples().all():
            found.setdefault(key, {})[policy] = (outcome, policy_hash, evidence)
    return found


def seq_tuple(text: str) -> tuple[int, ...]:
    """The stored JSON list of seqs ``text`` as a tuple (:func:`_seq_list`)."""
    return tuple(_seq_list(text))


def _seq_list(text: str) -> list[int]:
    """The JSON list of seqs the checks store (``json.dumps`` of ints), read without a JSON
    decoder call per row (planning a run reads one per conversation and policy); what is
    not a flat list of integers goes to ``json.loads``, which answers (or refuses) it."""
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1]
        if not inner.strip():
            return []
        try:
            return [int(part) for part in inner.split(",")]
        except ValueError:
            pass
    found: list[int] = json.loads(text)
    return found


def _upsert(
    conn: Connection, table: Any, rows: Sequence[Mapping[str, Any]], keys: list[str]
) -> None:
    if not rows:
        return
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(table)
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys},
    )
    # Compiled once, the rows handed to the driver as they are: SQLAlchemy's processing of
    # each parameter row was most of an AutoQA page's append (these columns need no bind
    # processing on SQLite or PostgreSQL: strings, integers, floats, flags).
    compiled = upsert.compile(dialect=conn.dialect)
    if compiled.positional:
        order = list(compiled.positiontup or ())
        # itemgetter of two or more names gives the tuple of their values (every table here
        # has more than one column), without a Python loop per row.
        conn.exec_driver_sql(compiled.string, list(map(itemgetter(*order), rows)))
    else:
        conn.exec_driver_sql(compiled.string, [dict(row) for row in rows])


def replace_scores(
    conn: Connection,
    scores: Sequence[Mapping[str, Any]],
    criteria: Sequence[Mapping[str, Any]],
) -> None:
    """Store the newest automatic score (and criteria) of each conversation and rubric."""
    _upsert(conn, autoqa_scores, scores, ["conversation_key", "rubric_hash"])
    _upsert(conn, autoqa_criteria, criteria, ["conversation_key", "rubric_hash", "criterion_id"])


def score_rows(
    conn: Connection,
    *,
    keys: Sequence[str] | None = None,
    rubric_hash: str | None = None,
    conditions: Sequence[SignalCondition] = (),
) -> list[dict[str, Any]]:
    """Stored automatic scores (all, or of ``keys``; those whose signals meet every condition,
    checked by the database), in conversation order."""
    query = select(autoqa_scores).order_by(
        autoqa_scores.c.conversation_key, autoqa_scores.c.rubric_id
    )
    if rubric_hash is not None:
        query = query.where(autoqa_scores.c.rubric_hash == rubric_hash)
    query = _meeting(conn, query, conditions)
    return _rows_of(conn, query, autoqa_scores.c.conversation_key, keys)


def criteria_rows(
    conn: Connection, *, keys: Sequence[str] | None = None, rubric_hash: str | None = None
) -> list[dict[str, Any]]:
    """Stored per-criterion automatic levels (all, or of ``keys``)."""
    query = select(autoqa_criteria)
    if rubric_hash is not None:
        query = query.where(autoqa_criteria.c.rubric_hash == rubric_hash)
    return _rows_of(conn, query, autoqa_criteria.c.conversation_key, keys)


def human_ratings(conn: Connection, rubric_hash: str) -> list[tuple[str, str, str, str]]:
    """(conversation, reviewer, criterion, rating) of the latest version of every human review
    against ``rubric_hash``."""
    newer = reviews.alias("newer")
    latest = ~(
        select(newer.c.seq)
        .where(and_(newer.c.review_id == reviews.c.review_id, newer.c.version > reviews.c.version))
        .exists()
    )
    query = (
        select(
            reviews.c.conversation_key,
            reviews.c.reviewer,
            review_scores.c.criterion_id,
            review_scores.c.rating,
        )
        .select_from(reviews.join(review_scores, review_scores.c.seq == reviews.c.seq))
        .where(reviews.c.rubric_hash == rubric_hash, latest)
        .order_by(reviews.c.conversation_key, reviews.c.seq)
    )
    return [(k, who, c, r) for k, who, c, r in conn.execute(query).tuples()]


def human_review_scores(
    conn: Connection,
    rubric_hash: str,
    *,
    agent_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[tuple[float | None, str]]:
    """(score, submitted at) of the latest version of every human review against
    ``rubric_hash`` (of one agent, submitted in ``[since, until)``, when given)."""
    newer = reviews.alias("newer")
    latest = ~(
        select(newer.c.seq)
        .where(and_(newer.c.review_id == reviews.c.review_id, newer.c.version > reviews.c.version))
        .exists()
    )
    query = select(reviews.c.score, reviews.c.submitted_at).where(
        reviews.c.rubric_hash == rubric_hash, latest
    )
    if agent_id is not None:
        query = query.where(reviews.c.agent_id == agent_id)
    if since:
        query = query.where(reviews.c.submitted_at >= since)
    if until:
        query = query.where(reviews.c.submitted_at < until)
    return [(score, at) for score, at in conn.execute(query).tuples()]


def agent_scored(
    conn: Connection,
    rubric_hash: str,
    agent_id: str,
    *,
    since: str | None = None,
    until: str | None = None,
) -> list[tuple[str, str | None]]:
    """(conversation, last event time) of the conversations auto-scored against
    ``rubric_hash`` whose primary agent (as the review app records it) is ``agent_id``, last
    event in ``[since, until)`` when given, oldest first."""
    query = (
        select(autoqa_scores.c.conversation_key, conversation_facts.c.last_event_at)
        .select_from(
            autoqa_scores.join(
                conversation_facts,
                conversation_facts.c.conversation_key == autoqa_scores.c.conversation_key,
            )
        )
        .where(
            autoqa_scores.c.rubric_hash == rubric_hash,
            conversation_facts.c.primary_agent == agent_id,
        )
        .order_by(conversation_facts.c.last_event_at, autoqa_scores.c.conversation_key)
    )
    if since:
        query = query.where(conversation_facts.c.last_event_at >= since)
    if until:
        query = query.where(conversation_facts.c.last_event_at < until)
    return [(key, at) for key, at in conn.execute(query).tuples()]


def scored_facts(conn: Connection, rubric_hash: str) -> dict[str, tuple[str | None, str | None]]:
    """conversation → (primary agent as the review app records it, last event time) of the
    conversations auto-scored against ``rubric_hash`` (one join)."""
    query = (
        select(
            autoqa_scores.c.conversation_key,
            conversation_facts.c.primary_agent,
            conversation_facts.c.last_event_at,
        )
        .select_from(
            autoqa_scores.join(
                conversation_facts,
                conversation_facts.c.conversation_key == autoqa_scores.c.conversation_key,
            )
        )
        .where(autoqa_scores.c.rubric_hash == rubric_hash)
    )
    return {key: (agent, at) for key, agent, at in conn.execute(query).tuples()}


def insert_flag(conn: Connection, row: Mapping[str, Any]) -> None:
    """Store the projection of an ``autoqa.flag`` record."""
    conn.execute(autoqa_flags.insert().values(**row))


def flags_of(conn: Connection, key: str) -> list[dict[str, Any]]:
    """Every flag on a conversation's automatic scores, oldest first."""
    query = (
        select(autoqa_flags)
        .where(autoqa_flags.c.conversation_key == key)
        .order_by(autoqa_flags.c.seq)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def flag_counts(conn: Connection, rubric_hash: str) -> dict[str, int]:
    """criterion → how many times reviewers marked its automatic level wrong."""
    query = (
        select(autoqa_flags.c.criterion_id, func.count())
        .where(autoqa_flags.c.rubric_hash == rubric_hash)
        .group_by(autoqa_flags.c.criterion_id)
    )
    return {criterion: int(n) for criterion, n in conn.execute(query).tuples()}


def erase_flag_notes(conn: Connection, subject: ErasedSubject, erased: str) -> None:
    """Erasure's hook: a reviewer's note on an automatic level of the subject's conversations
    is sealed in its ``autoqa.flag`` record; the table's clear copy reads as erased."""
    for chunk in _chunks(list(subject.conversations)):
        conn.execute(
            update(autoqa_flags)
            .where(autoqa_flags.c.conversation_key.in_(chunk))
            .values(note=erased)
        )


SignalCondition = tuple[str, str, float, bool]
"""(signal name, ``"<="`` or ``">="``, bound, a missing value counts as 0) on a stored score."""


def _signal_value(conn: Connection, name: str) -> ColumnElement[Any]:
    """The stored ``signals.<name>.value`` of a score row as a number (NULL when missing),
    read by the database's own JSON functions: the column is JSON text."""
    if conn.dialect.name == "postgresql":
        document = cast(autoqa_scores.c.signals, JSONB)
        return cast(document["signals"][name]["value"].astext, Float)
    path = f'$.signals."{name}".value'
    return cast(func.json_extract(autoqa_scores.c.signals, path), Float)


def spotlight_rows(
    conn: Connection,
    rubric_hash: str,
    *,
    score_min: float | None = None,
    score_max: float | None = None,
    conditions: Sequence[SignalCondition] = (),
) -> list[tuple[str, float | None, float]]:
    """(conversation, score, confidence) of every automatic score against ``rubric_hash`` in
    the score range whose stored signals meet every condition: one query on the (rubric hash,
    score) index, the signals read in SQL rather than parsed row by row."""
    query = select(
        autoqa_scores.c.conversation_key, autoqa_scores.c.score, autoqa_scores.c.confidence
    ).where(autoqa_scores.c.rubric_hash == rubric_hash)
    if score_min is not None:
        query = query.where(autoqa_scores.c.score >= score_min)
    if score_max is not None:
        query = query.where(autoqa_scores.c.score <= score_max)
    query = _meeting(conn, query, conditions)
    return [(row[0], row[1], float(row[2])) for row in conn.execute(query).tuples()]


def _meeting(
    conn: Connection, query: Select[Any], conditions: Sequence[SignalCondition]
) -> Select[Any]:
    """``query`` restricted to the score rows whose stored signals meet every condition."""
    for name, op, bound, missing_is_zero in conditions:
        value = _signal_value(conn, name)
        if missing_is_zero:
            value = func.coalesce(value, 0.0)
        query = query.where(value <= bound if op == "<=" else value >= bound)
    return query


def scored_keys(score_min: float | None = None, score_max: float | None = None) -> Select[Any]:
    """A select of the conversations scored by AutoQA (any rubric), or with an automatic score
    in the range, for the conversation list's filters (served by ``ix_autoqa_scores_score_only``
    or the primary key)."""
    query = select(autoqa_scores.c.conversation_key)
    if score_min is not None:
        query = query.where(autoqa_scores.c.score >= score_min)
    if score_max is not None:
        query = query.where(autoqa_scores.c.score <= score_max)
    return query


def keys_of_agent(conn: Connection, agent: str) -> set[str]:
    """The conversations whose primary agent (as the review app records it) is ``agent``."""
    query = select(conversation_facts.c.conversation_key).where(
        conversation_facts.c.primary_agent == agent
    )
    return {key for (key,) in conn.execute(query).tuples()}
