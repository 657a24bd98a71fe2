"""``auditkit check``: policies judged over whole conversations, each result recorded.

(``auditkit findings`` lists the results: ``auditkit.review.findings``.)"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditkit.checks import CheckContext, CheckResult, Policy, evaluate, load_policies
from auditkit.checks import store as check_store
from auditkit.checks.overlaps import overlap_warnings, rubric_link_warnings
from auditkit.checks.policy import default_policy_dir
from auditkit.db.engine import read_transaction
from auditkit.errors import AuditkitError, NotFound
from auditkit.ledger import store as ledger_store
from auditkit.ledger.append import appending
from auditkit.ledger.conversation import LedgerConversation
from auditkit.ledger.installation import Installation
from auditkit.ledger.reader import load_timelines
from auditkit.ledger.records import RecordDraft, RecordKind, format_time
from auditkit.periods import utc_now
from auditkit.pii import store as pii_store
from auditkit.pii.scan import configured_detector_key
from auditkit.rubric.model import Rubric

PAGE = 500
# The sealed fields beyond message and note text that rules read: a message's dialogue acts
# (confirmation and validation), a note's or an action's fields (handoff notes). Records
# sealing only others (an assignment's reason, a CSAT comment) are not opened.
SEALED_FIELDS_READ = frozenset({"acts", "fields"})
Progress = Callable[[int], None]
PiiContext = Callable[[Any, LedgerConversation], CheckContext | None]


class UnknownPolicy(AuditkitError):
    """A policy id was asked for that no loaded policy has."""


@dataclass
class CheckRunReport:
    """What a check run evaluated and recorded."""

    conversations: int = 0
    evaluated: int = 0
    recorded: int = 0
    unchanged: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures_by_policy: Counter[str] = field(default_factory=Counter)


def policy_sources(installation: Installation) -> list[Any]:
    """The default pack plus the team's own folder (``AUDITKIT_POLICY_DIR``)."""
    sources: list[Any] = [default_policy_dir()]
    if installation.settings.policy_dir is not None:
        sources.append(installation.settings.policy_dir)
    return sources


def policy_warnings(policies: Sequence[Policy], rubrics: Sequence[Rubric] = ()) -> list[str]:
    """What ``auditkit policies check`` warns about: packs that judge the same actions in
    scopes one conversation could fall in, and rubric criteria linking no loaded policy."""
    return overlap_warnings(policies) + rubric_link_warnings(policies, rubrics)


def select_policies(installation: Installation, policy_ids: Sequence[str] = ()) -> list[Policy]:
    """Load and validate every policy; keep those named (all when none named)."""
    policies = load_policies(policy_sources(installation))
    if not policy_ids:
        return policies
    known = {p.id for p in policies}
    unknown = [p for p in policy_ids if p not in known]
    if unknown:
        raise UnknownPolicy(
            f"unknown policy id(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    return [p for p in policies if p.id in set(policy_ids)]


def _input_key(last_seq: int, context: CheckContext | None) -> str:
    if context is None or context.pii is None:
        return f"{last_seq}:unscanned"
    found = sorted((seq, sorted(types)) for seq, types in context.pii.items())
    digest = hashlib.sha256(repr(found).encode("utf-8")).hexdigest()[:16]
    return f"{last_seq}:{digest}"


Stored = dict[tuple[str, str], tuple[str, str, str]]


def run_checks(
    installation: Installation,
    *,
    policy_ids: Sequence[str] = (),
    conversation_ids: Sequence[str] = (),
    pii_context: PiiContext | None = None,
    progress: Progress | None = None,
    page: int = PAGE,
) -> CheckRunReport:
    """Evaluate policies over conversations; record only results whose inputs changed.

    A result is re-recorded when the policy's content hash or the conversation (its last
    seq, or the PII findings the restricted-data rules read) changed since it was recorded.
    Evaluation is deterministic in those inputs, so a conversation whose every stored result
    has the current policy hash and input key is not read or evaluated again: its stored
    outcomes are counted. The others are read from their compact timelines
    (``load_timelines``), a page at a time, and their changed results appended in one signed
    batch per page.
    """
    installation.require_schema()
    policies = select_policies(installation, policy_ids)
    master = installation.master_key()
    # The restricted-data rules read the findings of the configured PII detector's scans.
    pii_key = configured_detector_key(installation)
    report = CheckRunReport()
    after: str | None = None
    pending_keys = list(conversation_ids)
    while True:
        with read_transaction(installation.engine) as conn:
            if conversation_ids:
                wanted, pending_keys = pending_keys[:page], pending_keys[page:]
                heads = ledger_store.conversation_last_seqs(conn, keys=wanted)
                if len(heads) < len(wanted):
                    known = {key for key, _seq in heads}
                    missing = [key for key in wanted if key not in known]
                    raise NotFound(f"unknown conversation(s): {', '.join(missing[:5])}")
            else:
                heads = ledger_store.conversation_last_seqs(conn, after=after, limit=page)
            if not heads:
                break
            keys = [key for key, _seq in heads]
            stored = check_store.input_keys(conn, keys)
            pii = pii_store.entity_types_for(conn, pii_key, keys) if pii_context is None else {}
            todo = keys
            if pii_context is None:
                todo = [
                    key
                    for key, last_seq in heads
                    if not _unchanged(key, last_seq, pii, policies, stored, report)
                ]
            changed: list[tuple[CheckResult, str]] = []
            for conversation in load_timelines(
                conn, todo, master=master, open_fields=SEALED_FIELDS_READ
            ):
                if pii_context is not None:
                    context = pii_context(conn, conversation)
                elif conversation.key in pii:
                    context = CheckContext(pii=pii[conversation.key])
                else:
                    context = None
                input_key = _input_key(conversation.last_seq, context)
                for result in evaluate(policies, conversation, context):
                    _count(report, result.policy_id, result.outcome)
                    kept = stored.get((conversation.key, result.policy_id))
                    if kept is not None and kept[:2] == (result.policy_hash, input_key):
                        report.unchanged += 1
                    else:
                        changed.append((result, input_key))
        report.conversations += len(keys)
        if changed:
            _record(installation, changed)
            report.recorded += len(changed)
        if progress is not None:
            progress(len(keys))
        after = keys[-1]
    return report


def _unchanged(
    key: str,
    last_seq: int,
    pii: dict[str, Any],
    policies: Sequence[Policy],
    stored: Stored,
    report: CheckRunReport,
) -> bool:
    """Whether every policy's stored result of ``key`` has the current inputs (then its
    outcomes are counted as this run's, and nothing needs reading)."""
    context = CheckContext(pii=pii[key]) if key in pii else None
    input_key = _input_key(last_seq, context)
    kept = [stored.get((key, policy.id)) for policy in policies]
    if not all(
        k is not None and k[0] == policy.content_hash and k[1] == input_key
        for k, policy in zip(kept, policies, strict=True)
    ):
        return False
    for k, policy in zip(kept, policies, strict=True):
        assert k is not None
        _count(report, policy.id, k[2])
        report.unchanged += 1
    return True


def _count(report: CheckRunReport, policy_id: str, outcome: str) -> None:
    report.evaluated += 1
    report.outcomes[outcome] += 1
    if outcome == "fail":
        report.failures_by_policy[policy_id] += 1


def _record(installation: Installation, changed: Sequence[tuple[CheckResult, str]]) -> None:
    now = utc_now()
    with appending(installation) as batch:
        records = batch.append(
            [
                RecordDraft(
                    kind=RecordKind.CHECK_RESULT,
                    conversation=result.conversation_key,
                    occurred_at=now,
                    body={
                        "policy_id": result.policy_id,
                        "policy_version": result.policy_version,
                        "policy_hash": result.policy_hash,
                        "outcome": str(result.outcome),
                        "severity": str(result.severity),
                        "explanation": result.explanation,
                        "evidence_seqs": list(result.evidence_seqs),
                        "conversation_last_seq": result.conversation_last_seq,
                        "rules": [
                            {
                                "id": r.rule_id,
                                "type": r.rule_type,
                                "outcome": str(r.outcome),
                                "evidence_seqs": list(r.evidence_seqs),
                            }
                            for r in result.rule_results
                        ],
                    },
                )
                for result, _ in changed
            ]
        )
        check_store.replace_results(
            batch.conn,
            [
                {
                    "conversation_key": result.conversation_key,
                    "policy_id": result.policy_id,
                    "policy_version": result.policy_version,
                    "policy_hash": result.policy_hash,
                    "input_key": input_key,
                    "outcome": str(result.outcome),
                    "severity": str(result.severity),
                    "explanation": result.explanation,
                    "evidence": json.dumps(list(result.evidence_seqs)),
                    "record_seq": record.seq,
                    "evaluated_at": format_time(now),
                }
                for (result, input_key), record in zip(changed, records, strict=True)
            ],
        )
        check_store.recount_failures(
            batch.conn, sorted({result.conversation_key for result, _ in changed})
        )
