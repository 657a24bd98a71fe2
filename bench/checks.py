"""Benchmark ``auditkit check``: conversations/s for the default pack beside merely reading them.

One run, on a fresh SQLite installation (not timed: generating and importing the data):

1. read every conversation back from the database (``iter_conversations``): the floor any
   check run pays;
2. a full ``run_checks`` with the default pack (7 policies): evaluates and records every
   result (the first run records one ``check.result`` per conversation and policy);
3. the same run again: nothing changed, so nothing is recorded.

The check runs in one process, so conversations/s is per core. Target: >= 5,000/s.
Also shown: reading the same conversations from their compact timelines (issue 19), what
the check itself reads. Timings are printed, never asserted; the last line is one JSON
object of the figures. ``--profile FILE`` runs the first check under cProfile, saves
``FILE`` and prints the top functions by cumulative and by own time.

    python bench/checks.py                      # 100k conversations (~2M events)
    python bench/checks.py --conversations 20000
    python bench/checks.py --conversations 5000 --profile /tmp/checks.prof
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from generate import write_conversations

from auditkit.checks import load_default_policies
from auditkit.checks.service import run_checks
from auditkit.db.engine import read_transaction
from auditkit.ledger import store as ledger_store
from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.reader import iter_conversations, load_timelines
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files

TARGET = 5_000


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the first run")
    args = parser.parse_args(argv)
    default_ids = [
        p.id for p in load_default_policies() if Path(p.source).name.startswith("default-")
    ]
    with tempfile.TemporaryDirectory(prefix="auditkit-bench-checks-") as tmp:
        env = {
            "AUDITKIT_HOME": str(Path(tmp) / "home"),
            "AUDITKIT_KEY_PASSPHRASE": "bench-passphrase-not-secret",
            "AUDITKIT_ACTOR": "bench",
        }
        data = Path(tmp) / "conversations.jsonl"
        write_conversations(data, args.conversations, args.seed)
        initialise(load_settings(env))
        installation = Installation.open(load_settings(env))
        print(f"importing {args.conversations:,} conversations (not timed)...", file=sys.stderr)
        import_files(installation, [data])

        started = time.perf_counter()
        with read_transaction(installation.engine) as conn:
            read = sum(1 for _ in iter_conversations(conn, master=installation.master_key()))
        read_seconds = time.perf_counter() - started

        started = time.perf_counter()
        with read_transaction(installation.engine) as conn:
            timelines, after = 0, None
            while keys := ledger_store.conversation_keys(conn, after=after, limit=500):
                timelines += len(load_timelines(conn, keys, master=installation.master_key()))
                after = keys[-1]
        timeline_seconds = time.perf_counter() - started

        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        first = run_checks(installation, policy_ids=default_ids)
        if profiler is not None:
            profiler.disable()
        first_seconds = time.perf_counter() - started

        started = time.perf_counter()
        again = run_checks(installation, policy_ids=default_ids)
        again_seconds = time.perf_counter() - started

    rows = [
        ("read conversations only", read / read_seconds, read_seconds, "-"),
        ("read their timelines only", timelines / timeline_seconds, timeline_seconds, "-"),
        (
            "check, first run (records results)",
            first.conversations / first_seconds,
            first_seconds,
            f"{first.recorded:,} recorded",
        ),
        (
            "check, re-run (nothing changed)",
            again.conversations / again_seconds,
            again_seconds,
            f"{again.recorded:,} recorded",
        ),
    ]
    print(
        f"\nauditkit check, default pack ({len(default_ids)} policies), {read:,} conversations, SQLite, 1 process"
    )
    print(f"{'run':38} {'conv/s':>10} {'seconds':>9}  {'vs read':>8}  note")
    for name, rate, seconds, note in rows:
        print(f"{name:38} {rate:>10,.0f} {seconds:>9.2f}  {seconds / read_seconds:>7.2f}x  {note}")
    print(f"target: >= {TARGET:,} conversations/s per core for a full check")
    if profiler is not None:
        profiler.dump_stats(args.profile)
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("tottime").print_stats(15)
    ok = again.recorded == 0 and first.conversations == read
    if not ok:
        print("FAILED: the re-run recorded results or conversations went missing", file=sys.stderr)
    first_rate = first.conversations / first_seconds
    figures = {
        "name": "checks",
        "conversations": read,
        "policies": len(default_ids),
        "profiled": profiler is not None,
        "read_per_second": round(read / read_seconds, 1),
        "timelines_per_second": round(timelines / timeline_seconds, 1),
        "check_per_second": round(first_rate, 1),
        "check_rerun_per_second": round(again.conversations / again_seconds, 1),
        "recorded": first.recorded,
        "rerun_recorded": again.recorded,
        "baseline": "read conversations only (iter_conversations, unsealed)",
        "ratio_to_read": round(first_rate / (read / read_seconds), 3),
        "target_per_second": TARGET,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "ok": ok,
    }
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
