"""``auditkit scan``: incremental PII detection over recorded messages, in parallel processes.

Only messages the current detector (version + configuration hash) has not scanned are
detected; each conversation's findings are appended as one ``pii.findings`` record (types,
offsets, scores, recognizers: never the values) and kept in query tables.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditkit.db.engine import read_transaction
from auditkit.ledger.append import appending
from auditkit.ledger.conversation import LedgerConversation, LedgerParticipant
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import TEXT_KINDS, RecordDraft, RecordKind
from auditkit.periods import utc_now
from auditkit.pii import (
    DETECTOR_VERSION,
    Detector,
    DetectorConfig,
    Finding,
    ScannedMessage,
    build_detector,
    classify_restricted,
)
from auditkit.pii import store as pii_store
from auditkit.pii.digests import remember_names

PAGE = 200
Progress = Callable[[int, int], None]


@dataclass
class ScanReport:
    """What a scan found."""

    detector_key: str
    conversations: int = 0
    messages: int = 0
    findings: int = 0
    restricted: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


def detector_config(installation: Installation) -> DetectorConfig:
    """The detector configuration the settings name (``AUDITKIT_PII_MODEL``)."""
    return DetectorConfig.from_model_setting(installation.settings.pii_model)


def detector_key(config: DetectorConfig) -> str:
    """Identity of a detector: a new version or configuration rescans everything."""
    return f"{DETECTOR_VERSION}:{config.config_hash()}"


def configured_detector_key(installation: Installation) -> str:
    """The identity of the detector the settings name, whose findings views and checks read."""
    return _configured_key(installation.settings.pii_model)


@lru_cache(maxsize=8)
def _configured_key(model: str) -> str:
    # Hashing the configuration reads the pattern file and package versions (~3 ms), and
    # none of it changes while a process runs: compute it once per model.
    return detector_key(DetectorConfig.from_model_setting(model))


def configured_detector(installation: Installation) -> Detector:
    """The detector the settings name, built once per process (for live redaction)."""
    return _configured_detector(installation.settings.pii_model)


@lru_cache(maxsize=2)
def _configured_detector(model: str) -> Detector:
    return build_detector(DetectorConfig.from_model_setting(model))


# One detector per worker process, built once by the pool initializer.
_worker_detector: Detector | None = None


def _init_worker(config: DetectorConfig) -> None:
    global _worker_detector
    _worker_detector = build_detector(config)


def _adopt_worker(detector: Detector) -> None:
    # A forked worker is handed the detector its parent built: nothing to load.
    global _worker_detector
    _worker_detector = detector


def _worker_pool(config: DetectorConfig, workers: int) -> ProcessPoolExecutor:
    """The scan's worker processes, each holding the detector for ``config``.

    Where processes fork, the detector (spaCy model, lexicon, gazetteer: ~2 s of CPU) is
    built once here and inherited copy-on-write, instead of once in every worker; the
    initializer's arguments reach a forked child without pickling. Elsewhere each worker
    builds its own.
    """
    if "fork" in multiprocessing.get_all_start_methods():
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_adopt_worker,
            initargs=(build_detector(config),),
        )
    return ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(config,))


def _analyze_job(texts: list[str]) -> list[tuple[Finding, ...]]:
    assert _worker_detector is not None
    return _worker_detector.analyze(texts)


MergeJob = tuple[tuple[LedgerParticipant, ...], list[str], dict[str, tuple[Finding, ...]]]


def _merge_job(job: MergeJob) -> list[list[Finding]]:
    assert _worker_detector is not None
    participants, texts, known = job
    return _worker_detector.merge(texts, known, participants)


SEEN = 20000
"""Distinct texts whose analysis a scan keeps across pages (canned replies, greetings)."""


class _Analyses:
    """Each distinct text analysed once per scan: the page's new texts are split across the
    workers in large batches (spaCy's ``pipe`` is faster on hundreds of texts than on one
    conversation's dozen), then merged per conversation with its participants."""

    def __init__(self, pool: ProcessPoolExecutor | None, local: Detector | None, workers: int):
        self.pool, self.local, self.workers = pool, local, workers
        self.seen: OrderedDict[str, tuple[Finding, ...]] = OrderedDict()

    def detect(
        self, jobs: Sequence[tuple[tuple[LedgerParticipant, ...], list[str]]]
    ) -> list[list[list[Finding]]]:
        """Every conversation's findings, as ``Detector.detect_batch`` gives them."""
        new = list(dict.fromkeys(t for _, texts in jobs for t in texts if t not in self.seen))
        size = max(32, -(-len(new) // (2 * self.workers)))
        chunks = [new[at : at + size] for at in range(0, len(new), size)]
        if self.pool is not None:
            analysed = list(self.pool.map(_analyze_job, chunks))
        else:
            assert self.local is not None
            analysed = [self.local.analyze(chunk) for chunk in chunks]
        page: dict[str, tuple[Finding, ...]] = {}
        for chunk, results in zip(chunks, analysed, strict=True):
            page.update(zip(chunk, results, strict=True))
        for _, texts in jobs:
            for text in texts:
                if text not in page:
                    page[text] = self.seen[text]
                    self.seen.move_to_end(text)
        merge_jobs: list[MergeJob] = [
            (people, texts, {t: page[t] for t in texts}) for people, texts in jobs
        ]
        if self.pool is not None:
            detected = list(self.pool.map(_merge_job, merge_jobs, chunksize=16))
        else:
            assert self.local is not None
            detected = [
                self.local.merge(texts, known, people) for people, texts, known in merge_jobs
            ]
        self.seen.update(page)
        while len(self.seen) > SEEN:
            self.seen.popitem(last=False)
        return detected


def scan_messages(
    installation: Installation,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    page: int = PAGE,
    config: DetectorConfig | None = None,
) -> ScanReport:
    """Detect PII in every message not yet scanned by the configured (or given) detector."""
    installation.require_schema()
    config = config or detector_config(installation)
    key = detector_key(config)
    config_hash = config.config_hash()  # hashing reads files (~6 ms): once per scan
    master = installation.master_key()
    report = ScanReport(detector_key=key)
    workers = workers or max(1, min(os.cpu_count() or 1, 4))
    with read_transaction(installation.engine) as conn:
        total = pii_store.count_unscanned(conn, key)
    if total == 0:
        return report
    local: Detector | None = build_detector(config) if workers == 1 else None
    pool = _worker_pool(config, workers) if local is None else None
    analyses = _Analyses(pool, local, workers)
    try:
        while True:
            with read_transaction(installation.engine) as conn:
                keys = pii_store.unscanned_conversations(conn, key, limit=page)
                if not keys:
                    break
                conversations = load_conversations(conn, keys, master=master)
                done = pii_store.scanned_seqs(conn, key, keys)
                previous = pii_store.findings_of(conn, key, keys)
            todo = [
                (c, [e for e in c.events if e.kind in TEXT_KINDS and e.seq not in done])
                for c in conversations
            ]
            jobs = [
                (tuple(c.participants.values()), [str(e.body.get("text", "")) for e in events])
                for c, events in todo
            ]
            detected = analyses.detect(jobs)
            _record(installation, config_hash, key, todo, detected, previous, report)
            if progress is not None:
                progress(report.messages, total)
    finally:
        if pool is not None:
            pool.shutdown()
    return report


def _record(
    installation: Installation,
    config_hash: str,
    key: str,
    todo: Sequence[tuple[LedgerConversation, Sequence[Any]]],
    detected: Sequence[list[list[Finding]]],
    previous: Sequence[dict[str, Any]],
    report: ScanReport,
) -> None:
    earlier: dict[int, list[Finding]] = {}
    for row in previous:
        earlier.setdefault(row["message_seq"], []).append(
            Finding(row["start"], row["end"], row["entity_type"], row["score"], row["recognizer"])
        )
    with appending(installation) as batch:
        for (conversation, events), found in zip(todo, detected, strict=True):
            if not events:
                continue
            new = {event.seq: findings for event, findings in zip(events, found, strict=True)}
            scanned = [
                ScannedMessage(
                    seq=event.seq,
                    role=conversation.role_of(event.body.get("author")) or "unknown",
                    text=str(event.body.get("text", "")),
                    findings=tuple(new.get(event.seq, earlier.get(event.seq, []))),
                )
                for event in conversation.events
                if event.kind in TEXT_KINDS
            ]
            restricted = classify_restricted(scanned)
            remember_names(batch.conn, installation, [conversation])
            (record,) = batch.append(
                [
                    RecordDraft(
                        kind=RecordKind.PII_FINDINGS,
                        conversation=conversation.key,
                        occurred_at=utc_now(),
                        body={
                            "detector_version": DETECTOR_VERSION,
                            "config_hash": config_hash,
                            "messages": [
                                {"seq": seq, "findings": [f.as_dict() for f in findings]}
                                for seq, findings in new.items()
                            ],
                            "restricted": [
                                {
                                    "kind": str(r.kind),
                                    "entity_type": r.entity_type,
                                    "seq": r.seq,
                                    "evidence_seqs": list(r.evidence_seqs),
                                    "rule": r.rule,
                                }
                                for r in restricted
                            ],
                        },
                    )
                ]
            )
            pii_store.record_scan(
                batch.conn,
                detector_key=key,
                scans=[(seq, conversation.key, record.seq, len(f)) for seq, f in new.items()],
                findings=[
                    (
                        seq,
                        key,
                        conversation.key,
                        f.entity_type,
                        f.start,
                        f.end,
                        f.score,
                        f.recognizer,
                        record.seq,
                    )
                    for seq, findings in new.items()
                    for f in findings
                ],
            )
            pii_store.replace_restricted(
                batch.conn,
                detector_key=key,
                keys=[conversation.key],
                rows=[
                    (
                        conversation.key,
                        key,
                        str(r.kind),
                        r.entity_type,
                        r.seq,
                        ",".join(str(s) for s in r.evidence_seqs),
                        r.rule,
                        record.seq,
                    )
                    for r in restricted
                ],
            )
            report.conversations += 1
            report.messages += len(new)
            report.restricted += len(restricted)
            for findings in new.values():
                report.findings += len(findings)
                for f in findings:
                    report.by_type[f.entity_type] = report.by_type.get(f.entity_type, 0) + 1


Sample = tuple[str, str, tuple[LedgerParticipant, ...]]


def detect_samples(
    installation: Installation, samples: Sequence[Sample]
) -> list[tuple[str, str, list[Finding], str]]:
    """Detect and redact each sample with the configured detector.

    The redacted text is what the screens and reports show for the same text and
    participants (:func:`auditkit.pii.masking.redacted`: placeholders, then the floor).
    """
    from auditkit.pii.masking import redacted

    detector = build_detector(detector_config(installation))
    results = []
    for label, text, people in samples:
        findings = detector.detect(text, people or None)
        results.append((label, text, findings, redacted(text, findings, people).text))
    return results


def probe_file(installation: Installation, path: Path) -> list[str]:
    """``auditkit pii --jsonl``: every line checked first, then one JSON line per input."""
    from auditkit.pii.probe import probe, read_inputs

    with path.open(encoding="utf-8") as handle:
        inputs = read_inputs(handle, str(path))
    return list(probe(build_detector(detector_config(installation)), inputs))
