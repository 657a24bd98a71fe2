"""Benchmark ``auditkit autoqa``: conversations/s over generated conversations, beside merely
reading them back in the same run.

One run, on a fresh SQLite installation with sealing on (not timed: generating, importing and
``auditkit check``, whose results the policy gates read):

1. read every conversation back, unsealed (``iter_conversations``): the floor a scorer pays,
   in one process;
2. a full ``run_autoqa`` (the default rubric: signals, auto-scorers, one signed ``autoqa``
   record per conversation, the tables), in worker processes;
3. the same run again: nothing changed, so nothing is appended.

Target (issue 16): >= 1,000 conversations/s for 10,000 conversations on this 2-core machine.
Timings are printed, never asserted; the last line is one JSON object of the figures.

The machine is shared, so wall-clock rates say as much about the other sessions as about
auditkit. Beside them the bench reports the CPU seconds the first run used (this process
plus its worker processes: ``resource.getrusage`` of self and of the reaped children) per
conversation, and the rate that implies on two free cores: the lower of "all the CPU spread
over two cores" and "the main process's own CPU" (it appends every record alone, so it
bounds the run however many workers there are).

``--profile FILE`` runs the first AutoQA run in this process under cProfile (``--workers``
is then 1: a profile cannot see into worker processes), saves ``FILE`` and prints the top
functions by cumulative and by own time.

    python bench/autoqa.py                      # 10,000 conversations
    python bench/autoqa.py --conversations 2000 --workers 1
    python bench/autoqa.py --conversations 2000 --profile /tmp/autoqa.prof
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

from generate import write_conversations

from auditkit.autoqa.service import run_autoqa
from auditkit.checks.service import run_checks
from auditkit.db.engine import read_transaction
from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.reader import iter_conversations
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files

TARGET = 1_000
CORES = 2  # the target machine's cores, for the CPU-implied rate


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its reaped child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="default: the cores (max 4)")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the first run")
    args = parser.parse_args(argv)
    if args.profile:
        args.workers = 1
    with tempfile.TemporaryDirectory(prefix="auditkit-bench-autoqa-") as tmp:
        env = {
            "AUDITKIT_HOME": str(Path(tmp) / "home"),
            "AUDITKIT_KEY_PASSPHRASE": "bench-autoqa-passphrase",
            "AUDITKIT_ACTOR": "bench",
        }
        data = Path(tmp) / "conversations.jsonl"
        events = write_conversations(data, args.conversations, args.seed)
        initialise(load_settings(env))
        installation = Installation.open(load_settings(env))
        print(f"importing {args.conversations:,} conversations (not timed)...", file=sys.stderr)
        import_files(installation, [data])
        run_checks(installation)

        started = time.perf_counter()
        with read_transaction(installation.engine) as conn:
            read = sum(1 for _ in iter_conversations(conn, master=installation.master_key()))
        read_seconds = time.perf_counter() - started

        profiler = cProfile.Profile() if args.profile else None
        own_before, children_before = _cpu()
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        first = run_autoqa(installation, workers=args.workers)  # the pool is joined on return
        if profiler is not None:
            profiler.disable()
        first_seconds = time.perf_counter() - started
        own_after, children_after = _cpu()
        main_cpu = own_after - own_before
        workers_cpu = children_after - children_before

        started = time.perf_counter()
        again = run_autoqa(installation, workers=args.workers)
        again_seconds = time.perf_counter() - started
        installation.engine.dispose()

    workers = args.workers or max(1, min(os.cpu_count() or 1, 4))
    read_rate = read / read_seconds
    first_rate = first.conversations / first_seconds
    again_rate = again.conversations / again_seconds
    print(
        f"\nauditkit autoqa, default rubric, {read:,} conversations ({events:,} events), "
        f"SQLite, sealing on, {workers} worker process(es)"
    )
    print(f"{'run':40} {'conv/s':>10} {'seconds':>9}  {'rate vs read':>12}  note")
    for name, rate, seconds, note in (
        ("read conversations only (baseline)", read_rate, read_seconds, "1 process"),
        (
            "autoqa, first run (records scores)",
            first_rate,
            first_seconds,
            f"{first.recorded:,} recorded",
        ),
        (
            "autoqa, re-run (nothing changed)",
            again_rate,
            again_seconds,
            f"{again.recorded:,} recorded",
        ),
    ):
        print(f"{name:40} {rate:>10,.0f} {seconds:>9.2f}  {rate / read_rate:>11.2f}x  {note}")
    cpu = main_cpu + workers_cpu
    per_conversation_ms = 1000 * cpu / max(1, first.conversations)
    implied = min(CORES * first.conversations / cpu, first.conversations / main_cpu)
    print(
        f"first run CPU: {cpu:.2f} s ({main_cpu:.2f} s main process, {workers_cpu:.2f} s "
        f"workers) = {per_conversation_ms:.2f} ms a conversation; implied on {CORES} free "
        f"cores: {implied:,.0f} conversations/s"
    )
    print(f"target: >= {TARGET:,} conversations/s for the first run")
    if profiler is not None:
        profiler.dump_stats(args.profile)
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("tottime").print_stats(15)
    ok = again.recorded == 0 and first.recorded == read
    if not ok:
        print("FAILED: the re-run recorded scores or conversations went missing", file=sys.stderr)
    figures = {
        "name": "autoqa",
        "conversations": read,
        "events": events,
        "workers": workers,
        "read_per_second": round(read_rate, 1),
        "autoqa_per_second": round(first_rate, 1),
        "autoqa_rerun_per_second": round(again_rate, 1),
        "baseline": "read conversations only (iter_conversations, unsealed, 1 process)",
        "ratio_to_read": round(first_rate / read_rate, 3),
        "cpu_seconds": round(cpu, 2),
        "cpu_seconds_main": round(main_cpu, 2),
        "cpu_seconds_workers": round(workers_cpu, 2),
        "cpu_ms_per_conversation": round(per_conversation_ms, 3),
        "implied_per_second_on_free_cores": round(implied, 1),
        "cores_for_implied": CORES,
        "profiled": profiler is not None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "target_per_second": TARGET,
        "recorded": first.recorded,
        "rerun_recorded": again.recorded,
        "ok": ok,
    }
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
