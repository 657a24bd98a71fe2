"""Benchmark ``auditkit check``: conversations/s for the default pack beside merely reading them.

One run, on a fresh SQLite installation (not timed: generating and importing the data):

1. read every conversation back from the database (``iter_conversations``): the floor any
   check run pays;
2. a full ``run_checks`` with the default pack (7 policies): evaluates and records every
   result (the first run records one ``check.result`` per conversation and policy);
3. the same run again: nothing changed, so nothing is recorded.

The check runs in one process, so conversations/s is per core. Target: >= 5,000/s.
Timings are printed, never asserted.

    python bench/checks.py                      # 100k conversations (~2M events)
    python bench/checks.py --conversations 20000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from generate import write_conversations

from auditkit.checks import load_default_policies
from auditkit.checks.service import run_checks
from auditkit.db.engine import read_transaction
from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.reader import iter_conversations
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files

TARGET = 5_000


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
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
        first = run_checks(installation, policy_ids=default_ids)
        first_seconds = time.perf_counter() - started

        started = time.perf_counter()
        again = run_checks(installation, policy_ids=default_ids)
        again_seconds = time.perf_counter() - started

    rows = [
        ("read conversations only", read / read_seconds, read_seconds, "-"),
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
    if again.recorded != 0 or first.conversations != read:
        print("FAILED: the re-run recorded results or conversations went missing", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
