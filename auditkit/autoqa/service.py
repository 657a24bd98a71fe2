"""``auditkit autoqa``: score every conversation not yet scored by the current scorer, in
parallel processes, appending one signed ``autoqa`` record per conversation and rubric.

A score is computed again only when its inputs change: the rubric (content hash), the scorer
(its version: the signals' code version and the rubric's auto-scorers), the conversation (its
last seq) or the checks' results it reads. A re-run with nothing changed appends nothing.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auditkit.autoqa import language
from auditkit.autoqa import store as autoqa_store
from auditkit.autoqa.projections import score_rows
from auditkit.autoqa.scorers import AutoScore, auto_score, is_auto_scored, scorer_version
from auditkit.autoqa.signals import PolicyOutcome, compute_signals
from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.errors import NotFound
from auditkit.ledger import store as ledger_store
from auditkit.ledger.append import appending
from auditkit.ledger.conversation import LedgerConversation
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_timelines
from auditkit.ledger.records import EncodedDraft, RecordDraft, RecordKind, encode_body
from auditkit.ledger.sealing.cipher import MasterKey
from auditkit.periods import utc_now
from auditkit.review.rubrics import available_rubrics
from auditkit.rubric import Rubric, format_score
from auditkit.settings import Settings

PAGE = 500  # conversations read per page, and appended per signed batch
JOB = 100  # conversations a worker scores per job
IN_PROCESS_BELOW = 400  # fewer conversations than this are scored without a pool
Progress = Callable[[int, int], None]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a draft's time, unused: the body is all encoded


@dataclass
class AutoqaRunReport:
    """What a run looked at and recorded."""

    conversations: int = 0
    scored: int = 0
    recorded: int = 0
    unchanged: int = 0
    not_applicable: int = 0
    rubrics: list[str] = field(default_factory=list)


def autoqa_rubrics(installation: Installation) -> list[Rubric]:
    """The available rubrics that name at least one auto-scorer (all validated first)."""
    return [r for r in available_rubrics(installation) if is_auto_scored(r)]


def input_key(last_seq: int, policies: Mapping[str, tuple[str, str, Any]]) -> str:
    """What a score was computed from: the conversation's last seq and its check results."""
    found = sorted((pid, h, outcome) for pid, (outcome, h, _seqs) in policies.items())
    digest = hashlib.sha256(repr(found).encode("utf-8")).hexdigest()[:16]
    return f"{last_seq}:{digest}"


@dataclass(frozen=True)
class _Job:
    keys: tuple[str, ...]
    inputs: Mapping[str, str]  # conversation → input key
    stale: Mapping[str, tuple[str, ...]]  # conversation → rubric hashes to score
    # conversation → policy → (outcome, evidence seqs as stored): what the signals read of
    # the checks' results (not their hashes, which only the input key reads: a job is pickled
    # to its worker, and the hashes were most of its bytes). The worker parses the seqs: the
    # appending process plans every job, and parsing them there was a fifth of its CPU.
    policies: Mapping[str, Mapping[str, tuple[str, str]]]


@dataclass(frozen=True)
class _Scored:
    """One ``autoqa`` record as a worker hands it to the appending process: the body's
    canonical JSON and the table rows it projects to (all but the record's seq and time),
    so the appending process neither encodes the body nor builds its rows."""

    key: str
    body_json: bytes
    score: dict[str, Any]
    criteria: list[dict[str, Any]]

    @classmethod
    def of(cls, key: str, body: dict[str, Any]) -> _Scored:
        """The record of conversation ``key`` with ``body``, encoded (refused if it cannot be)."""
        draft = RecordDraft(kind=RecordKind.AUTOQA, conversation=key, occurred_at=_EPOCH, body=body)
        score, criteria = score_rows(key, body)
        return cls(key, encode_body(draft), score, criteria)


# One installation and the rubrics per worker process, opened once by the pool initializer.
_worker: tuple[Installation, list[Rubric]] | None = None


def _init_worker(settings: Settings, rubrics: list[Rubric]) -> None:
    global _worker
    _worker = (Installation.open(settings), rubrics)
    # What the worker inherited and opened (modules, models, the rubrics) lives as long as it
    # does: kept out of the collector's full passes, which walked it all each time (~10% of a
    # worker's CPU, measured with gc.callbacks). Objects made later are collected as usual.
    gc.freeze()


def _run_job(job: _Job) -> tuple[list[_Scored], int]:
    assert _worker is not None
    return _score_job(_worker[0], _worker[1], job)


def _score_job(
    installation: Installation, rubrics: Sequence[Rubric], job: _Job
) -> tuple[list[_Scored], int]:
    """Score one job's conversations: (what to record, how many had no applicable rubric)."""
    with read_transaction(installation.engine) as conn:
        conversations = autoqa_conversations(conn, list(job.keys), installation.master_key())
    by_hash = {r.content_hash: r for r in rubrics}
    identity = {id(r): (h, scorer_version(r)) for h, r in by_hash.items()}  # hashed once a job
    scored: list[_Scored] = []
    skipped = 0
    for conversation in conversations:
        wanted = [
            by_hash[h]
            for h in job.stale[conversation.key]
            if by_hash[h].applies_to.matches(conversation.channel, conversation.intents)
        ]
        if not wanted:
            skipped += 1
            continue
        policies = {
            pid: PolicyOutcome(outcome, autoqa_store.seq_tuple(seqs))
            for pid, (outcome, seqs) in job.policies.get(conversation.key, {}).items()
        }
        signals = compute_signals(conversation, policies)
        for rubric in wanted:
            result = auto_score(rubric, signals)
            content_hash, version = identity[id(rubric)]
            body = record_body(
                conversation.last_seq,
                job.inputs[conversation.key],
                result,
                signals.document(),
                content_hash=content_hash,
                version=version,
            )
            scored.append(_Scored.of(conversation.key, body))
    return scored, skipped


def autoqa_conversations(
    conn: Connection, keys: Sequence[str], master: MasterKey | None
) -> list[LedgerConversation]:
    """The conversations ``keys`` as AutoQA reads them: from their compact timelines, with no
    record opened (the signals and the metrics' first response read message text, which a
    timeline holds, and clear fields only; acts, fields, reasons and comments stay sealed).

    Reading every record and opening every sealed body was most of a conversation's cost.
    The scores equal those of the fully opened conversation read from the log
    (tests/integration/test_evaluators_fast_path.py checks it on the test data sets).
    """
    return load_timelines(conn, keys, master=master, open_fields=frozenset())


def record_body(
    last_seq: int,
    input_key: str,
    result: AutoScore,
    signals: dict[str, Any],
    *,
    content_hash: str,
    version: str,
) -> dict[str, Any]:
    """The body of the ``autoqa`` record of one conversation's automatic score."""
    rubric = result.rubric
    return {
        "rubric_id": rubric.id,
        "rubric_version": rubric.version,
        "rubric_hash": content_hash,
        "scorer_version": version,
        "conversation_last_seq": last_seq,
        "input_key": input_key,
        "score": format_score(result.score),
        "confidence": f"{result.confidence:.3f}",
        "critical_failures": list(result.critical_failures),
        "criteria": {c.criterion: c.document() for c in result.criteria},
        **signals,
    }


def run_autoqa(
    installation: Installation,
    *,
    conversation_ids: Sequence[str] = (),
    workers: int | None = None,
    progress: Progress | None = None,
    page: int = PAGE,
) -> AutoqaRunReport:
    """Score every conversation (or those named) whose automatic score is missing or stale.

    Unknown conversation ids are refused before anything is scored. Scoring runs in
    ``workers`` processes (default: the cores, at most 4) when there is enough to do; the
    records are appended by this process, one signed batch per page.
    """
    installation.require_schema()
    rubrics = autoqa_rubrics(installation)
    report = AutoqaRunReport(rubrics=[f"{r.id} v{r.version}" for r in rubrics])
    if conversation_ids:
        wanted = list(dict.fromkeys(conversation_ids))
        with read_transaction(installation.engine) as conn:
            known = set(ledger_store.conversation_keys_matching(conn, wanted))
        missing = [key for key in wanted if key not in known]
        if missing:
            raise NotFound(f"unknown conversation(s): {', '.join(missing[:5])}")
    if not rubrics:
        return report
    if conversation_ids:
        total = len(dict.fromkeys(conversation_ids))
    else:
        with read_transaction(installation.engine) as conn:
            total = ledger_store.conversation_count(conn)
    # Jobs are planned lazily: the workers start on the first ones while this process plans
    # the rest (planning every page first left both workers idle ~10% of a 10k run).
    planned = _jobs(installation, rubrics, conversation_ids, page, report)
    head: list[_Job] = []
    queued = 0
    for job in planned:
        head.append(job)
        queued += len(job.keys)
        if queued >= IN_PROCESS_BELOW:
            break
    if not head:
        return report
    jobs = itertools.chain(head, planned)
    count = workers or max(1, min(os.cpu_count() or 1, 4))
    if count == 1 or queued < IN_PROCESS_BELOW:  # planning ran out before the threshold
        results: Iterator[tuple[list[_Scored], int]] = (
            _score_job(installation, rubrics, job) for job in jobs
        )
        _record_all(installation, results, report, progress, total, page)
        return report
    language.load_models()  # once here: forked workers share them instead of each reading them
    with (
        _frozen_heap(),
        ProcessPoolExecutor(
            max_workers=count, initializer=_init_worker, initargs=(installation.settings, rubrics)
        ) as pool,
    ):
        _record_all(installation, pool.map(_run_job, jobs), report, progress, total, page)
    return report


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep what this process holds now out of the garbage collector's full passes while it
    appends (the records it unpickles and the rows are made later and collected as usual):
    those passes walked every module and model loaded before, the spaCy model too when an
    import ran first. Undone afterwards, unless the caller had frozen its heap itself."""
    already = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not already:
            gc.unfreeze()


def score_conversations(installation: Installation, keys: Sequence[str]) -> AutoqaRunReport:
    """Score exactly ``keys`` in this process: what imports and webhooks call after appending."""
    if not keys:
        return AutoqaRunReport()
    return run_autoqa(installation, conversation_ids=keys, workers=1)


def _jobs(
    installation: Installation,
    rubrics: Sequence[Rubric],
    conversation_ids: Sequence[str],
    page: int,
    report: AutoqaRunReport,
) -> Iterator[_Job]:
    versions = {r.content_hash: scorer_version(r) for r in rubrics}
    pending = list(dict.fromkeys(conversation_ids))
    after: str | None = None
    while True:
        with read_transaction(installation.engine) as conn:
            if conversation_ids:
                keys, pending = pending[:page], pending[page:]
            else:
                keys = ledger_store.conversation_keys(conn, after=after, limit=page)
            if not keys:
                return
            last = autoqa_store.last_seqs(conn, keys)
            stored = autoqa_store.stored_inputs(conn, keys)
            policies = autoqa_store.stored_policy_results(conn, keys)
        report.conversations += len(keys)
        after = keys[-1]
        inputs = {key: input_key(last[key], policies.get(key, {})) for key in keys}
        stale = {
            key: tuple(
                h
                for h, version in versions.items()
                if stored.get((key, h)) != (version, inputs[key])
            )
            for key in keys
        }
        todo = [key for key in keys if stale[key]]
        report.unchanged += len(keys) - len(todo)
        for start in range(0, len(todo), JOB):
            part = tuple(todo[start : start + JOB])
            yield _Job(
                keys=part,
                inputs={k: inputs[k] for k in part},
                stale={k: stale[k] for k in part},
                policies={
                    k: {
                        sys.intern(pid): (outcome, seqs)
                        for pid, (outcome, _h, seqs) in policies[k].items()
                    }
                    for k in part
                    if k in policies
                },
            )


def _record_all(
    installation: Installation,
    results: Iterator[tuple[list[_Scored], int]] | Any,
    report: AutoqaRunReport,
    progress: Progress | None,
    total: int,
    page: int,
) -> None:
    pending: list[_Scored] = []
    done = 0
    for scored, skipped in results:
        report.not_applicable += skipped
        report.scored += len({s.key for s in scored})
        done += len({s.key for s in scored}) + skipped
        pending += scored
        if len(pending) >= page:
            _append(installation, pending)
            report.recorded += len(pending)
            pending = []
        if progress is not None:  # conversations examined: unchanged ones count as done
            progress(min(total, report.unchanged + done), total)
    if pending:
        _append(installation, pending)
        report.recorded += len(pending)


def _append(installation: Installation, scored: Sequence[_Scored]) -> None:
    now = utc_now()
    with appending(installation) as batch:
        seqs = batch.append_encoded(
            [EncodedDraft(RecordKind.AUTOQA, s.key, now, s.body_json) for s in scored]
        )
        at = batch.recorded_at
        autoqa_store.replace_scores(
            batch.conn,
            [
                {**s.score, "record_seq": seq, "scored_at": at}
                for s, seq in zip(scored, seqs, strict=True)
            ],
            [row for s in scored for row in s.criteria],
        )
