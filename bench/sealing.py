"""Benchmark sealing: ingest with sealing on vs off, and erasing many subjects.

One run, each part on a fresh SQLite installation:

1. import the same generated conversations with ``AUDITKIT_SEALING=off`` and ``on``:
   records/s of each, and the cost of sealing (target: under 25%);
2. erase every customer of the sealed installation (10k subjects by default) in one
   ``erase_subjects`` call: seconds and subjects/s;
3. ``verify_ledger`` afterwards: it must still pass (proofs commit to the sealed bytes).

Timings are printed, never asserted; the exit status is 1 if verification fails.

    python bench/sealing.py                      # 10k conversations, 10k subjects
    python bench/sealing.py --conversations 2000
"""

from __future__ import annotations

import argparse
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


def _installation(home: Path, sealing: str) -> Installation:
    env = {
        "AUDITKIT_HOME": str(home),
        "AUDITKIT_KEY_PASSPHRASE": "bench-passphrase-not-secret",
        "AUDITKIT_SEALING": sealing,
    }
    initialise(load_settings(env))
    return Installation.open(load_settings(env))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="auditkit-bench-sealing-") as tmp:
        data = Path(tmp) / "conversations.jsonl"
        write_conversations(data, args.conversations, args.seed)
        rates: dict[str, float] = {}
        sealed: Installation | None = None
        for mode in ("off", "on"):
            installation = _installation(Path(tmp) / f"home-{mode}", mode)
            started = time.perf_counter()
            report = import_files(installation, [data])
            rates[mode] = report.records_appended / (time.perf_counter() - started)
            if mode == "on":
                sealed = installation
        assert sealed is not None
        subjects = sorted({c["customer"] for c in conversations(args.conversations, args.seed)})
        started = time.perf_counter()
        erase_subjects(sealed, subjects, reason="benchmark")
        erase_seconds = time.perf_counter() - started
        started = time.perf_counter()
        verified = verify_ledger(sealed)
        verify_seconds = time.perf_counter() - started

    cost = 1 - rates["on"] / rates["off"]
    print(f"\nsealing, {args.conversations:,} conversations, SQLite")
    print(f"{'ingest, sealing off':34} {rates['off']:>10,.0f} records/s")
    print(
        f"{'ingest, sealing on':34} {rates['on']:>10,.0f} records/s   ratio {rates['on'] / rates['off']:.2f}"
    )
    print(f"{'cost of sealing':34} {cost:>10.1%}            target: under 25%")
    print(
        f"{'erase ' + format(len(subjects), ',') + ' subjects':34} {erase_seconds:>10.2f} s         {len(subjects) / erase_seconds:,.0f} subjects/s"
    )
    print(
        f"{'verify after erasure':34} {'ok' if verified.ok else 'FAILED':>10}   {verify_seconds:.2f} s"
    )
    if not verified.ok:
        print(f"FAILED: {verified.problems[:3]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
