"""Benchmark ``auditkit report``: seconds for the audit and coaching reports beside the query time.

One run, on a fresh SQLite installation (not timed: generating, importing, checking and
reviewing the data):

- 10,000 generated conversations (``--conversations``), every policy checked;
- 600 more handled by one agent (``agent-0000``), 500 of them reviewed (``--reviews``).

Each report runs once with the real Jinja + WeasyPrint renderer; the time is split into
the export bundle and the ledger verification (audit report only), the rendering, and the
rest: the query time (scope, reads of the query tables and the ledger, redaction, the
ledger record of the report). Targets: audit report under 30 s, coaching report under 5 s.
Timings are printed, never asserted.

    python bench/reports.py
    python bench/reports.py --conversations 2000 --reviews 100
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import generate
from auditkit.reports import render_audit, render_coaching

from auditkit.accounts import users as accounts
from auditkit.checks.service import run_checks
from auditkit.ledger.installation import Installation, initialise
from auditkit.metrics.refresh import refresh_metrics
from auditkit.periods import utc_now
from auditkit.reporting import audit as audit_reports
from auditkit.reporting.audit import RenderedReport, ReportScope, audit_report
from auditkit.reporting.coaching import coaching_report
from auditkit.review import queue as review_queue
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.rubrics import DEFAULT_RUBRIC_ID, available_rubrics
from auditkit.review.sampling import SamplingMethod
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files

AUDIT_TARGET = 30.0
COACHING_TARGET = 5.0
RATINGS = {
    "problem-understanding": "4",
    "guidance-effectiveness": "3",
    "tone-consistency": "2",
    "proactive-information": "2",
    "closure-confirmation": "pass",
    "identity-verified": "pass",
    "consent-recorded": "pass",
    "sensitive-data-handling": "pass",
}


def _review_everything(installation: Installation, count: int) -> str:
    """Assign ``count`` of the one-agent conversations to a reviewer and submit each."""
    admin = accounts.add_user(
        installation, username="ada", display_name="Ada", role="admin", password="x" * 16
    )
    rita = accounts.add_user(
        installation, username="rita", display_name="Rita", role="qa_reviewer", password="x" * 16
    )
    (rubric,) = [r for r in available_rubrics(installation) if r.id == DEFAULT_RUBRIC_ID]
    review_queue.sample_and_assign(
        installation,
        admin,
        review_queue.SampleRequest(
            method=SamplingMethod("random"),
            size=count,
            filters=frozenset(),
            rubric_hash=rubric.content_hash,
            reviewer_ids=(rita.id,),
            due_on=(utc_now() + timedelta(days=7)).date(),
            seed="bench",
        ),
    )
    for number, assignment in enumerate(review_queue.my_queue(installation, rita)):
        ratings = dict(RATINGS, **{"guidance-effectiveness": str(1 + number % 5)})
        submissions.submit_review(
            installation,
            rita,
            assignment.id,
            workspaces.DraftInput(ratings=ratings, summary="bench"),
        )
    return "agent-0000"


def _timed(
    name: str,
    run: Callable[[Callable[[Any], RenderedReport]], Any],
    renderer: Callable[[Any], RenderedReport],
    target: float,
) -> tuple[str, dict[str, float], float]:
    """Run one report, splitting its time into export, verify, render and the rest."""
    spent = {"export": 0.0, "verify": 0.0, "render": 0.0}

    def timing(phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - started

        return timed

    originals = (audit_reports.export_bundle, audit_reports.verify_ledger)
    audit_reports.export_bundle = timing("export", audit_reports.export_bundle)
    audit_reports.verify_ledger = timing("verify", audit_reports.verify_ledger)
    try:
        started = time.perf_counter()
        result = run(timing("render", renderer))
        total = time.perf_counter() - started
    finally:
        audit_reports.export_bundle, audit_reports.verify_ledger = originals
    print(f"{name}: {result.pdf_path.stat().st_size:,} bytes of PDF", file=sys.stderr)
    return name, {"query": total - sum(spent.values()), **spent}, target


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="auditkit-bench-reports-") as tmp:
        root = Path(tmp)
        env = {
            "AUDITKIT_HOME": str(root / "home"),
            "AUDITKIT_KEY_PASSPHRASE": "bench-passphrase-not-secret",
            "AUDITKIT_ACTOR": "bench",
        }
        initialise(load_settings(env))
        installation = Installation.open(load_settings(env))
        print("generating, importing, checking, reviewing (not timed)...", file=sys.stderr)
        many = root / "many.jsonl"
        generate.write_conversations(many, args.conversations, args.seed)
        # A second file in which every conversation is handled by agent-0000 alone.
        one_agent = root / "one-agent.jsonl"
        generate.AGENT_POOL = 1
        generate.write_conversations(one_agent, args.reviews + args.reviews // 5, args.seed + 1)
        # Only the one-agent conversations exist when sampling, so every review is theirs.
        import_files(installation, [one_agent])
        agent = _review_everything(installation, args.reviews)
        import_files(installation, [many])
        run_checks(installation)
        refresh_metrics(installation)  # kept current after each import in production

        timings = [
            _timed(
                "audit report",
                lambda renderer: audit_report(
                    installation, ReportScope(), root / "audit", renderer=renderer
                ),
                render_audit,
                AUDIT_TARGET,
            ),
            _timed(
                f"coaching report ({agent})",
                lambda renderer: coaching_report(
                    installation, agent, root / "coaching", renderer=renderer
                ),
                render_coaching,
                COACHING_TARGET,
            ),
        ]
    print(
        f"\nauditkit report, SQLite, 1 process "
        f"({args.conversations:,} conversations + one agent's {args.reviews} reviews)"
    )
    print(
        f"{'report':32} {'total s':>8} {'query s':>8} {'export s':>9} {'verify s':>9} "
        f"{'render s':>9} {'target s':>9}"
    )
    for name, phases, target in timings:
        total = sum(phases.values())
        flag = "" if total <= target else "  (over target)"
        print(
            f"{name:32} {total:>8.2f} {phases['query']:>8.2f} {phases['export']:>9.2f} "
            f"{phases['verify']:>9.2f} {phases['render']:>9.2f} {target:>9.0f}{flag}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
