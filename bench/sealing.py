"""Benchmark sealing: ingest with sealing on vs off in the same run, and erasing many subjects.

One run, each import into a fresh SQLite installation:

1. import the same generated conversations with ``AUDITKIT_SEALING=off`` and ``on``,
   alternating (off-on, then on-off, ...), ``--repeat`` times each: records per wall second
   (best run) and per CPU second of this process (median run; SQLite runs in-process, so
   this is the figure other processes' load disturbs least), and the cost of sealing,
   1 - on/off, for both (goal: under 25%);
2. erase every customer of one sealed installation in one ``erase_subjects`` call: seconds
   and subjects/s;
3. ``verify_ledger`` afterwards: it must still pass (proofs commit to the sealed bytes).

``--profile FILE`` runs one more import of each mode under cProfile, saves
``FILE-off.prof`` and ``FILE-on.prof`` and prints the top functions of each by own time.
Timings are printed, never asserted; the exit status is 1 if verification fails. The last
line is one JSON object.

    python bench/sealing.py                      # 10k conversations, 10k subjects
    python bench/sealing.py --conversations 2000 --repeat 3
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from generate import conversations, write_conversations

from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.verify import verify_ledger
from auditkit.privacy.erasure import erase_subjects
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files

TARGET_COST = 0.25


def _installation(home: Path, sealing: str) -> Installation:
    env = {
        "AUDITKIT_HOME": str(home),
        "AUDITKIT_KEY_PASSPHRASE": "bench-passphrase-not-secret",
        "AUDITKIT_SEALING": sealing,
    }
    initialise(load_settings(env))
    return Installation.open(load_settings(env))


def _import(home: Path, mode: str, data: Path) -> tuple[Installation, float, float]:
    """A fresh installation in ``home``; records per wall second and per CPU second of this
    process (SQLite runs in it) importing ``data``. On a shared machine the CPU figure is the
    steadier one: other processes' load stretches wall time, not this process's CPU time."""
    installation = _installation(home, mode)
    installation.signer()  # unlock the signing key outside the timing (scrypt, ~0.3 s)
    started, cpu = time.perf_counter(), time.process_time()
    report = import_files(installation, [data])
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    return installation, report.records_appended / wall, report.records_appended / used


def _profile(tmp: Path, data: Path, path: str) -> None:
    for mode in ("off", "on"):
        installation = _installation(tmp / f"home-profile-{mode}", mode)
        installation.signer()
        profiler = cProfile.Profile()
        profiler.enable()
        import_files(installation, [data])
        profiler.disable()
        installation.engine.dispose()
        profiler.dump_stats(f"{path}-{mode}.prof")
        print(f"\nprofile, sealing {mode}: {path}-{mode}.prof", file=sys.stderr)
        stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs()
        stats.sort_stats("tottime").print_stats(20)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its table and the JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="imports of each mode")
    parser.add_argument("--profile", metavar="FILE", help="cProfile one import of each mode")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="auditkit-bench-sealing-") as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "conversations.jsonl"
        write_conversations(data, args.conversations, args.seed)
        runs: dict[str, list[float]] = {"off": [], "on": []}
        cpu_runs: dict[str, list[float]] = {"off": [], "on": []}
        sealed: Installation | None = None
        for n in range(args.repeat):
            for mode in ("off", "on") if n % 2 == 0 else ("on", "off"):
                installation, rate, cpu_rate = _import(tmp / f"home-{mode}-{n}", mode, data)
                runs[mode].append(rate)
                cpu_runs[mode].append(cpu_rate)
                if mode == "on" and sealed is None:
                    sealed = installation
                else:
                    installation.engine.dispose()
        assert sealed is not None
        if args.profile:
            _profile(tmp, data, args.profile)
        subjects = sorted({c["customer"] for c in conversations(args.conversations, args.seed)})
        started = time.perf_counter()
        erase_subjects(sealed, subjects, reason="benchmark")
        erase_seconds = time.perf_counter() - started
        started = time.perf_counter()
        verified = verify_ledger(sealed)
        verify_seconds = time.perf_counter() - started
        sealed.engine.dispose()

    off, on = max(runs["off"]), max(runs["on"])
    cost = 1 - on / off
    cpu_off, cpu_on = statistics.median(cpu_runs["off"]), statistics.median(cpu_runs["on"])
    cpu_cost = 1 - cpu_on / cpu_off
    print(f"\nsealing, {args.conversations:,} conversations, SQLite, {args.repeat} runs each")
    print(f"{'':34} {'best wall':>10} {'median CPU':>11}   (records/s)")
    print(f"{'ingest, sealing off':34} {off:>10,.0f} {cpu_off:>11,.0f}")
    print(f"{'ingest, sealing on':34} {on:>10,.0f} {cpu_on:>11,.0f}")
    print(
        f"{'cost of sealing':34} {cost:>10.1%} {cpu_cost:>11.1%}   target: under {TARGET_COST:.0%}"
    )
    print(
        f"{'erase ' + format(len(subjects), ',') + ' subjects':34} {erase_seconds:>10.2f} s"
        f"         {len(subjects) / erase_seconds:,.0f} subjects/s"
    )
    print(
        f"{'verify after erasure':34} {'ok' if verified.ok else 'FAILED':>10}   {verify_seconds:.2f} s"
    )
    print(
        json.dumps(
            {
                "name": "sealing",
                "conversations": args.conversations,
                "figures": {
                    "on_records_s": round(on),
                    "cpu_off_records_s": round(cpu_off),
                    "cpu_on_records_s": round(cpu_on),
                    "cpu_cost": round(cpu_cost, 3),
                    "runs_off": [round(r) for r in runs["off"]],
                    "runs_on": [round(r) for r in runs["on"]],
                    "cost": round(cost, 3),
                    "erase_seconds": round(erase_seconds, 2),
                    "verify_ok": verified.ok,
                },
                "baseline": {"off_records_s": round(off)},
                "ratio": round(on / off, 3),
                "target": {"cost_below": TARGET_COST},
                "load": os.getloadavg(),
            }
        )
    )
    if not verified.ok:
        print(f"FAILED: {verified.problems[:3]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
