"""The audit report: what a compliance officer gets for a scope (checks, access, erasure, QA, proof)."""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from auditkit.checks.service import select_policies
from auditkit.db import Connection
from auditkit.db.engine import read_transaction
from auditkit.ledger import store as ledger_store
from auditkit.ledger.conversation import HUMAN_STAFF_ROLES, LedgerConversation
from auditkit.ledger.export.bundle import ExportScope, export_bundle
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_conversations
from auditkit.ledger.records import format_time
from auditkit.ledger.verify import verify_ledger
from auditkit.metrics import store as metrics_store
from auditkit.metrics.refresh import refresh_metrics
from auditkit.periods import utc_now
from auditkit.pii.masking import Redactor, scan_redactor
from auditkit.reporting import store as report_store
from auditkit.reporting.parts import (
    BundleInfo,
    check_dates,
    check_out,
    redact,
    write_report,
)
from auditkit.reporting.parts import EmptyScope as EmptyScope  # re-exported
from auditkit.reporting.parts import ExampleLine as ExampleLine  # re-exported
from auditkit.reporting.parts import RenderedReport as RenderedReport  # re-exported
from auditkit.reporting.parts import Renderer as Renderer  # re-exported
from auditkit.reporting.parts import ReportRefused as ReportRefused  # re-exported
from auditkit.reporting.parts import ReportResult as ReportResult  # re-exported
from auditkit.reporting.parts import ReportScopeInvalid as ReportScopeInvalid  # re-exported
from auditkit.reporting.trail import TRAIL_KINDS, Trail, build_trail, open_trail_rows
from auditkit.reporting.trail import AccessEntry as AccessEntry  # re-exported
from auditkit.reporting.trail import subject_reference as subject_reference  # re-exported
from auditkit.reporting.transcripts import TranscriptRenderer, transcript_files

MAX_FAILURES_PER_POLICY = 50


@dataclass(frozen=True)
class ReportScope:
    """Which conversations a report covers; empty filters mean all.

    A conversation's *queue* is the team of the staff (agent or supervisor) participants
    who handled it; ``queues`` keeps conversations with a staff participant in one of them.
    """

    since: datetime | None = None
    until: datetime | None = None
    channels: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The scope as recorded in the ledger and printed in the report."""
        return {
            "since": format_time(self.since) if self.since else None,
            "until": format_time(self.until) if self.until else None,
            "channels": list(self.channels),
            "agents": list(self.agents),
            "policies": list(self.policies),
            "queues": list(self.queues),
        }


@dataclass(frozen=True)
class CheckpointInfo:
    """The signed checkpoint a report stands on, and whether the ledger verified against it."""

    tree_size: int
    root_hash_hex: str
    key_id: str
    created_at: str
    note: str
    verified: bool
    verification: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """One evidence record of a failed check: its seq, kind and redacted excerpt."""

    seq: int
    kind: str
    excerpt: str


@dataclass(frozen=True)
class FailedCheck:
    """A conversation that failed a policy, with the evidence the check cited."""

    conversation_key: str
    severity: str
    explanation: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class PolicySummary:
    """Outcomes of one policy over the scope and its failing conversations."""

    policy_id: str
    version: str
    description: str
    outcomes: Mapping[str, int]
    failures: tuple[FailedCheck, ...]
    failures_omitted: int = 0


@dataclass(frozen=True)
class MetricsSummary:
    """Conversation metrics over a set of conversations (medians and rates)."""

    conversations: int
    median_first_response_seconds: float | None
    median_resolution_seconds: float | None
    resolved_rate: float | None
    containment_rate: float | None
    reopen_rate: float | None
    transfer_rate: float | None
    escalation_rate: float | None
    mean_csat: float | None
    mean_sessions: float | None


@dataclass(frozen=True)
class QaSummary:
    """QA reviews of the scope's conversations (latest versions)."""

    reviews: int
    mean_iqs: float | None
    critical_failures: int
    per_agent: tuple[tuple[str, int, float | None, int], ...]  # agent, reviews, IQS, critical


@dataclass(frozen=True)
class AuditReport:
    """Everything an audit report shows; the renderer lays it out."""

    title: str
    origin: str
    generated_at: str
    generated_by: str
    scope: ReportScope
    checkpoint: CheckpointInfo
    bundle: BundleInfo
    conversations: int
    messages: int
    channels: Mapping[str, int]
    metrics: MetricsSummary
    pii_by_type: tuple[tuple[str, int, int], ...]  # entity type, findings, conversations
    restricted: tuple[tuple[str, str, str, int, str], ...]  # conv, kind, type, seq, rule
    policies: tuple[PolicySummary, ...]
    trail: Trail
    qa: QaSummary

    @property
    def failed_checks(self) -> int:
        """Failed (conversation, policy) results in scope."""
        return sum(p.outcomes.get("fail", 0) for p in self.policies)

    @property
    def pii_findings(self) -> int:
        """PII findings in scope, all types."""
        return sum(count for _entity, count, _conversations in self.pii_by_type)


def audit_report(
    installation: Installation,
    scope: ReportScope,
    out: Path,
    *,
    renderer: Renderer,
    redactor: Redactor | None = None,
    actor: str | None = None,
    role: str | None = None,
    transcript_renderer: TranscriptRenderer | None = None,
    clear: Mapping[str, Any] | None = None,
) -> ReportResult:
    """Write the audit report (HTML, PDF) and its export bundle under ``out``; record it.

    ``actor`` is who asked (a web user, of ``role``); the configured actor when not given.
    With a ``transcript_renderer`` the bundle carries a redacted transcript per
    conversation; with ``clear`` (the checked :func:`clear_details` of a reason) they are
    clear text, and the export record carries those details (the report stays redacted).
    """
    if clear is not None and transcript_renderer is None:
        raise ReportScopeInvalid("clear-text transcripts need the transcripts in the bundle")
    installation.require_schema()
    check_dates(scope.since, scope.until)
    check_out(out)
    policies = {p.id: p for p in select_policies(installation, scope.policies)}
    refresh_metrics(installation)
    since, until = text_times(scope)
    master = installation.master_key()
    with read_transaction(installation.engine) as conn:
        check_participants(conn, scope)
        rows = report_store.conversations_in_scope(
            conn,
            since=since,
            until=until,
            channels=scope.channels,
            agents=scope.agents,
            queues=scope.queues,
        )
        if not rows:
            raise EmptyScope(f"no conversation has activity in the scope {describe(scope)}")
        keys = [row["conversation_key"] for row in rows]
        messages = report_store.message_count(conn, keys)
        metric_rows = metrics_store.metrics_rows(conn, keys=keys)
        pii = report_store.pii_counts(conn, keys)
        restricted = report_store.restricted_rows(conn, keys)
        checks = report_store.check_rows(conn, keys, policies=scope.policies)
        # Every trail record, whenever made: the report sorts them by what they touched
        # and by when they were done.
        ledger_rows = open_trail_rows(
            conn,
            report_store.records_of_kinds(conn, TRAIL_KINDS, since=None, until=None),
            master,
        )
        customers = report_store.customers_of(conn, keys)
        reviews = report_store.review_rows(conn, keys=keys)
        # Only the conversations whose failures the report lists are opened for evidence.
        shown = sorted(
            {
                row["conversation_key"]
                for rows_of_policy in _failures_by_policy(checks).values()
                for row in rows_of_policy[:MAX_FAILURES_PER_POLICY]
            }
        )
        evidence_of = (
            {c.key: c for c in load_conversations(conn, shown, master=master)} if shown else {}
        )
        redactor = redactor or scan_redactor(conn, installation, evidence_of.values())
    exported = export_bundle(
        installation,
        out / "bundle",
        ExportScope(conversations=tuple(keys)),
        actor=actor,
        role=role,
        extra_files=(
            transcript_files(installation, transcript_renderer, clear=clear is not None)
            if transcript_renderer is not None
            else None
        ),
        details=clear,
    )
    bundle = BundleInfo(
        directory="bundle",
        manifest_sha256=exported.manifest_sha256,
        records=exported.records,
        export_seq=exported.export_seq,
    )
    checkpoint = _verified_checkpoint(installation, exported.tree_size)
    trail = build_trail(
        ledger_rows,
        scoped=set(keys),
        customers=customers,
        since=since,
        until=until,
        redactor=redactor,
    )
    report = AuditReport(
        title="Audit report",
        origin=installation.origin,
        generated_at=format_time(utc_now()),
        generated_by=actor or installation.settings.actor,
        scope=scope,
        checkpoint=checkpoint,
        bundle=bundle,
        conversations=len(keys),
        messages=messages,
        channels=dict(sorted(Counter(row["channel"] for row in rows).items())),
        metrics=summarise_metrics(metric_rows),
        pii_by_type=tuple(
            (entity, count, len(convs)) for entity, (count, convs) in sorted(pii.items())
        ),
        restricted=tuple(
            (r["conversation_key"], r["kind"], r["entity_type"], int(r["message_seq"]), r["rule"])
            for r in restricted
        ),
        policies=_policy_summaries(checks, policies, evidence_of, redactor),
        trail=trail,
        qa=qa_summary(reviews),
    )
    return write_report(
        installation,
        out,
        "audit-report",
        renderer(report),
        {
            "report": "audit",
            "scope": scope.as_json(),
            "conversations": len(keys),
            "checkpoint": {
                "tree_size": checkpoint.tree_size,
                "root_hash": checkpoint.root_hash_hex,
            },
            "bundle_manifest_sha256": bundle.manifest_sha256,
            **({"bundle_transcripts": "clear"} if clear is not None else {}),
        },
        actor=actor,
        bundle=bundle,
    )


def text_times(scope: ReportScope) -> tuple[str | None, str | None]:
    return (
        format_time(scope.since) if scope.since else None,
        format_time(scope.until) if scope.until else None,
    )


def describe(scope: ReportScope) -> str:
    parts = [f"{k}={v}" for k, v in scope.as_json().items() if v]
    return "(" + ", ".join(parts) + ")" if parts else "(everything)"


def check_participants(conn: Connection, scope: ReportScope) -> None:
    if scope.agents:
        known = report_store.known_participants(conn, scope.agents, roles=HUMAN_STAFF_ROLES)
        unknown = [a for a in scope.agents if a not in known]
        if unknown:
            raise ReportScopeInvalid(
                f"unknown agent(s): {', '.join(unknown)} (no conversation has them as staff)"
            )
    if scope.channels:
        channels = report_store.known_channels(conn)
        unknown = [c for c in scope.channels if c not in channels]
        if unknown:
            raise ReportScopeInvalid(
                f"unknown channel(s): {', '.join(unknown)} "
                f"(known: {', '.join(sorted(channels)) or 'none'})"
            )
    if scope.queues:
        check_teams(conn, scope.queues, "queue")


def check_teams(conn: Connection, teams: Sequence[str], what: str) -> None:
    known = report_store.known_teams(conn)
    unknown = [t for t in teams if t not in known]
    if unknown:
        raise ReportScopeInvalid(
            f"unknown {what}(s): {', '.join(unknown)} (no staff participant has that team; "
            f"known: {', '.join(sorted(known)) or 'none'})"
        )


def _verified_checkpoint(installation: Installation, tree_size: int) -> CheckpointInfo:
    """The checkpoint at ``tree_size`` and the outcome of verifying the whole ledger.

    Verification recomputes every leaf hash, Merkle node and signed root (what the checkpoint
    commits to); it does not rebuild the query tables (``auditkit verify`` does).
    """
    verification = verify_ledger(installation, check_projections=False)
    with read_transaction(installation.engine) as conn:
        stored = ledger_store.checkpoint_at(conn, tree_size)
    if stored is None:
        raise ReportRefused(f"the checkpoint at tree size {tree_size} is missing")
    problems = tuple(str(p) for p in verification.problems[:20])
    summary = (
        f"verified: {verification.tree_size} records, {verification.checkpoints} signed "
        f"checkpoints; every leaf hash, Merkle node, root and signature matches"
        if verification.ok
        else f"FAILED: {len(verification.problems)} problem(s)"
    )
    return CheckpointInfo(
        tree_size=stored.tree_size,
        root_hash_hex=stored.root_hash.hex(),
        key_id=stored.key_id,
        created_at=stored.created_at,
        note=stored.note,
        verified=verification.ok,
        verification=summary,
        problems=problems,
    )


def _evidence_summary(kind: str, body: Mapping[str, Any]) -> str:
    parts = [
        f"{k}={body[k]}"
        for k in ("name", "outcome", "scope", "decision", "status", "code")
        if k in body
    ]
    return ", ".join(parts)


def _failures_by_policy(
    checks: Sequence[Mapping[str, Any]],
) -> dict[str, list[Mapping[str, Any]]]:
    """The failing check rows of each policy, in the order the report lists them."""
    failing: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in checks:
        if row["outcome"] == "fail":
            failing[row["policy_id"]].append(row)
    return failing


def _policy_summaries(
    checks: Sequence[Mapping[str, Any]],
    policies: Mapping[str, Any],
    conversations: Mapping[str, LedgerConversation],
    redactor: Redactor,
) -> tuple[PolicySummary, ...]:
    by_policy: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in checks:
        by_policy[row["policy_id"]].append(row)
    failing_by_policy = _failures_by_policy(checks)
    summaries = []
    for policy_id in sorted(set(by_policy) | set(policies)):
        rows = by_policy.get(policy_id, [])
        failures = []
        failing_rows = failing_by_policy.get(policy_id, [])
        for row in failing_rows[:MAX_FAILURES_PER_POLICY]:
            conversation = conversations.get(row["conversation_key"])
            events = {e.seq: e for e in conversation.events} if conversation else {}
            evidence = []
            for seq in json.loads(row["evidence"] or "[]"):
                event = events.get(seq)
                if event is None:
                    evidence.append(Evidence(seq=int(seq), kind="record", excerpt=""))
                    continue
                text = event.body.get("text")
                excerpt = (
                    redact(redactor, str(text), conversation)
                    if text is not None
                    else _evidence_summary(event.kind, event.body)
                )
                evidence.append(Evidence(seq=event.seq, kind=event.kind, excerpt=excerpt))
            failures.append(
                FailedCheck(
                    conversation_key=row["conversation_key"],
                    severity=row["severity"],
                    explanation=redact(redactor, row["explanation"], conversation),
                    evidence=tuple(evidence),
                )
            )
        policy = policies.get(policy_id)
        summaries.append(
            PolicySummary(
                policy_id=policy_id,
                version=str(policy.version) if policy else rows[0]["policy_version"],
                description=" ".join(str(policy.description).split()) if policy else "",
                outcomes=dict(sorted(Counter(r["outcome"] for r in rows).items())),
                failures=tuple(failures),
                failures_omitted=max(0, len(failing_rows) - MAX_FAILURES_PER_POLICY),
            )
        )
    return tuple(summaries)


def qa_summary(reviews: Sequence[Mapping[str, Any]]) -> QaSummary:
    scores = [float(r["score"]) for r in reviews if r["score"] is not None]
    per_agent: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in reviews:
        per_agent[row["agent_id"] or "(no human agent)"].append(row)
    agents = []
    for agent, rows in sorted(per_agent.items()):
        agent_scores = [float(r["score"]) for r in rows if r["score"] is not None]
        agents.append(
            (
                agent,
                len(rows),
                statistics.fmean(agent_scores) if agent_scores else None,
                sum(1 for r in rows if r["critical_failed"]),
            )
        )
    return QaSummary(
        reviews=len(reviews),
        mean_iqs=statistics.fmean(scores) if scores else None,
        critical_failures=sum(1 for r in reviews if r["critical_failed"]),
        per_agent=tuple(agents),
    )


def summarise_metrics(rows: Sequence[Mapping[str, Any]]) -> MetricsSummary:
    """Medians of the times and rates of the flags over some ``conversation_metrics`` rows."""

    def median(column: str) -> float | None:
        values = [float(r[column]) for r in rows if r[column] is not None]
        return statistics.median(values) if values else None

    def rate(test: Callable[[Mapping[str, Any]], bool]) -> float | None:
        return sum(1 for r in rows if test(r)) / len(rows) if rows else None

    csats = [float(r["csat"]) for r in rows if r["csat"] is not None]
    return MetricsSummary(
        conversations=len(rows),
        median_first_response_seconds=median("first_response_seconds"),
        median_resolution_seconds=median("resolution_seconds"),
        resolved_rate=rate(lambda r: bool(r["resolved"])),
        containment_rate=rate(lambda r: bool(r["contained"])),
        reopen_rate=rate(lambda r: r["reopens"] > 0),
        transfer_rate=rate(lambda r: r["transfers"] > 0),
        escalation_rate=rate(lambda r: r["escalations"] > 0),
        mean_csat=statistics.fmean(csats) if csats else None,
        mean_sessions=statistics.fmean(r["sessions"] for r in rows) if rows else None,
    )


STRENGTH_COUNT = 3


MAX_EXAMPLES = 12
