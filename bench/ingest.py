"""Benchmark auditkit's import, verify and proofs against a raw insert of the same rows.

For each database (SQLite, PostgreSQL or both) one run:

1. generates a seeded JSONL file (not timed) and imports it with ``import_files`` into a
   fresh installation: records/s;
2. reads back every row the import wrote, in every table (the log, the Merkle nodes,
   checkpoints, the query tables and the metrics), and inserts them with the driver's raw
   ``executemany`` into identical fresh tables, committing as often as the import did:
   records/s of each, and the ratio of the two (target: at least 0.5);
3. runs ``verify_ledger`` without and with the projection check: leaves/s (target for
   the hash/tree/signature check: 300k leaves/s);
4. times ``prove_inclusion`` for 200 random seqs at the final size and counts the nodes
   each proof reads beside log2(n).

``--profile FILE`` runs the import, the verify without projections and the proofs under
cProfile (one file each). Timings are printed, never asserted; the last line is one JSON
object; the exit status is 1 only when something fails functionally (a verify problem, a
wrong record count, a proof that does not check).

    python bench/ingest.py                          # 200k messages, SQLite and PostgreSQL
    python bench/ingest.py --messages 1000000 --database sqlite
    python bench/ingest.py --messages 10000000 --database sqlite --growth

``--growth`` is for the growth run: it leaves out the raw-insert baseline (which holds
every written row in memory: too much at 10M records) and the projection verify, and adds
the mean append-batch time per tenth of the import, so the cost per record can be read
from the first batches to the last in one run.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import math
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script, so this folder is sys.path[0] and its generator imports by name.
from generate import EVENTS_PER_CONVERSATION, write_conversations
from ingest_baseline import (
    Database,
    PostgresDatabase,
    SqliteDatabase,
    counting_commits,
    table_rows,
    written_rows,
)
from sqlalchemy import text

from auditkit.errors import AuditkitError
from auditkit.ledger import merkle
from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.proofs import prove_inclusion
from auditkit.ledger.verify import VerifyReport, verify_ledger
from auditkit.settings import load_settings
from auditkit.sources import ingest
from auditkit.sources.ingest import import_files

DEFAULT_MESSAGES = 200_000
DEFAULT_PG_URL = "postgresql+psycopg://127.0.0.1:5432/test"
PROOF_SAMPLES = 200
INGEST_TARGET = 0.5
VERIFY_TARGET = 300_000
PASSPHRASE = "auditkit-bench"
COLUMNS = ("seq", "kind", "conversation_key", "recorded_at", "occurred_at", "entry", "leaf_hash")


class BenchFailure(Exception):
    """Something went functionally wrong: the benchmark's figures cannot be trusted."""


@dataclass(frozen=True)
class Figures:
    """Everything one run measured on one database."""

    database: str
    conversations: int
    events: int
    records: int
    ingest_seconds: float
    baseline_seconds: float | None
    verify_fast_seconds: float
    verify_full_seconds: float | None
    read_seconds: float
    batch_seconds: tuple[float, ...]
    proof_seconds: tuple[float, ...]
    proof_nodes: tuple[int, ...]
    proof_hashes: tuple[int, ...]
    rows_written: int = 0
    commits: int = 0
    tables_written: dict[str, int] | None = None

    @property
    def ingest_rate(self) -> float:
        """Records appended per second by ``import_files``."""
        return self.records / self.ingest_seconds

    @property
    def baseline_rate(self) -> float:
        """Records per second of the raw executemany of every row the import wrote."""
        return self.records / self.baseline_seconds if self.baseline_seconds else math.nan

    def batch_tenths(self) -> list[float]:
        """Mean append-batch seconds in each tenth of the import (the growth curve)."""
        batches = self.batch_seconds
        if len(batches) < 10:
            return []
        edges = [round(len(batches) * tenth / 10) for tenth in range(11)]
        return [statistics.fmean(batches[a:b]) for a, b in itertools.pairwise(edges)]

    def as_json(self) -> dict[str, Any]:
        """The figures for the benchmark's JSON line."""
        return {
            "records": self.records,
            "ingest_records_s": round(self.ingest_rate),
            "baseline_records_s": rounded(self.baseline_rate, 0),
            "ingest_ratio": rounded(self.ingest_rate / self.baseline_rate, 3),
            "rows_written": self.rows_written,
            "commits": self.commits,
            "tables_written": self.tables_written,
            "read_validate_s": round(self.read_seconds, 2),
            "ingest_s": round(self.ingest_seconds, 2),
            "baseline_s": rounded(self.baseline_seconds, 2),
            "verify_fast_leaves_s": round(self.records / self.verify_fast_seconds),
            "verify_full_leaves_s": (
                round(self.records / self.verify_full_seconds) if self.verify_full_seconds else None
            ),
            "append_batch_s_by_tenth": [round(value, 4) for value in self.batch_tenths()],
            "batches": len(self.batch_seconds),
            "proof_mean_ms": round(statistics.fmean(self.proof_seconds) * 1000, 2),
            "proof_p95_ms": round(p95(self.proof_seconds) * 1000, 2),
        }


def rounded(value: float | None, digits: int) -> float | None:
    """``value`` rounded for the JSON line; None for a figure the run did not measure."""
    if value is None or math.isnan(value):
        return None
    return round(value, digits)


def fresh_installation(home: Path, database: Database) -> Installation:
    """``auditkit init`` into ``home``, then open it as a service would."""
    env = {
        "AUDITKIT_HOME": str(home),
        "AUDITKIT_DATABASE_URL": database.database_url(home),
        "AUDITKIT_KEY_PASSPHRASE": PASSPHRASE,
        "AUDITKIT_ACTOR": "bench",
    }
    initialise(load_settings(env))
    # Re-read: initialise wrote the new log origin to settings.toml.
    return Installation.open(load_settings(env))


def checkpoint_count(installation: Installation) -> int:
    """How many signed checkpoints (one per write transaction) the import produced."""
    with installation.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM checkpoints")).scalar_one())


@contextmanager
def timing_read_inputs() -> Iterator[list[float]]:
    """Measure the input-reading phase of ``import_files`` (parse and validate every line).

    ``import_files`` looks ``read_inputs`` up in its module at call time, so wrapping it
    there splits the import's wall time without touching auditkit's code.
    """
    original = ingest.read_inputs
    seconds: list[float] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    ingest.read_inputs = wrapped
    try:
        yield seconds
    finally:
        ingest.read_inputs = original


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``action`` and return its result and its wall-clock seconds."""
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def run(
    database: Database,
    workdir: Path,
    *,
    conversations: int,
    seed: int,
    profile: Path | None,
    say: Callable[[str], None],
    growth: bool = False,
) -> Figures:
    """The whole benchmark on one database (``growth``: no baseline, no projection verify)."""
    source = workdir / "conversations.jsonl"
    say(f"[{database.name}] generating {conversations:,} conversations (seed {seed})")
    events = write_conversations(source, conversations, seed)
    installation = fresh_installation(workdir / "home", database)
    installation.signer()  # unlock the signing key outside the timing (scrypt)
    try:
        before = table_rows(installation)
        say(f"[{database.name}] importing {events:,} events")
        profiler = cProfile.Profile() if profile is not None else None
        marks: list[float] = []
        with timing_read_inputs() as read_seconds, counting_commits(installation) as commits:
            started = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            report = import_files(
                installation, [source], progress=lambda *_: marks.append(time.perf_counter())
            )
            if profiler is not None:
                profiler.disable()
            ingest_seconds = time.perf_counter() - started
        if profiler is not None and profile is not None:
            write_profile(profiler, profile, f"{database.name}-import", say)
        expected = conversations + events + 1  # opened records, events, the import.run record
        if report.records_appended != expected:
            raise BenchFailure(
                f"import appended {report.records_appended} records, expected {expected}"
            )
        records = report.records_appended

        baseline_seconds: float | None = None
        rows_written = 0
        tables_written: dict[str, int] | None = None
        if not growth:
            written = written_rows(before, table_rows(installation))
            log_rows = dict((t.name, r) for t, r in written).get("log_entries", [])
            if len(log_rows) != records:
                raise BenchFailure(
                    f"log_entries holds {len(log_rows)} new rows, expected {records}"
                )
            rows_written = sum(len(r) for _t, r in written)
            say(
                f"[{database.name}] raw executemany of the same {rows_written:,} rows in "
                f"{len(written)} tables, {commits[0]} commits"
            )
            baseline_seconds = database.raw_insert(written, max(1, commits[0]))
            tables_written = {t.name: len(r) for t, r in written}
            del written, log_rows
        del before

        say(f"[{database.name}] verify (hashes, tree, signatures)")
        fast = profiled(
            profile,
            f"{database.name}-verify",
            say,
            lambda: verify_ledger(installation, check_projections=False),
        )
        check_verify(fast, records, "verify --no-projections")
        full_seconds: float | None = None
        if not growth:
            say(f"[{database.name}] verify (full, with projections)")
            full = verify_ledger(installation, check_projections=True)
            check_verify(full, records, "verify")
            full_seconds = full.seconds

        say(f"[{database.name}] {PROOF_SAMPLES} inclusion proofs at size {records:,}")
        proof_seconds, proof_nodes, proof_hashes = profiled(
            profile,
            f"{database.name}-proofs",
            say,
            lambda: time_proofs(installation, records, seed),
        )
    finally:
        installation.engine.dispose()
    return Figures(
        database=database.name,
        conversations=conversations,
        events=events,
        records=records,
        ingest_seconds=ingest_seconds,
        baseline_seconds=baseline_seconds,
        verify_fast_seconds=fast.seconds,
        verify_full_seconds=full_seconds,
        read_seconds=sum(read_seconds),
        batch_seconds=tuple(later - earlier for earlier, later in itertools.pairwise(marks)),
        proof_seconds=proof_seconds,
        proof_nodes=proof_nodes,
        proof_hashes=proof_hashes,
        rows_written=rows_written,
        commits=commits[0],
        tables_written=tables_written,
    )


def profiled(
    profile: Path | None, name: str, say: Callable[[str], None], action: Callable[[], Any]
) -> Any:
    """``action()``, under cProfile when ``--profile`` was given (its figures then read slow)."""
    if profile is None:
        return action()
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        return action()
    finally:
        profiler.disable()
        write_profile(profiler, profile, name, say)


def check_verify(report: VerifyReport, records: int, what: str) -> None:
    """Refuse a verification that found problems or checked the wrong number of leaves."""
    if not report.ok:
        shown = "; ".join(str(problem) for problem in report.problems[:5])
        raise BenchFailure(f"{what} found {len(report.problems)} problem(s): {shown}")
    if report.tree_size != records:
        raise BenchFailure(f"{what} checked {report.tree_size} leaves, expected {records}")


def time_proofs(
    installation: Installation, size: int, seed: int
) -> tuple[tuple[float, ...], tuple[int, ...], tuple[int, ...]]:
    """Seconds of each ``prove_inclusion`` over random seqs, the stored nodes each one read
    and the hashes each proof holds."""
    rng = random.Random(seed)
    seqs = [rng.randrange(size) for _ in range(PROOF_SAMPLES)]
    prove_inclusion(installation, seqs[0])  # warm the connection pool and caches
    seconds: list[float] = []
    nodes: list[int] = []
    hashes: list[int] = []
    for seq in seqs:
        proof, elapsed = timed(lambda seq=seq: prove_inclusion(installation, seq))
        if proof.seq != seq or proof.tree_size != size:
            raise BenchFailure(f"proof for seq {seq} is against size {proof.tree_size}")
        seconds.append(elapsed)
        nodes.append(len(merkle.inclusion_proofs_nodes([seq], size)))  # what prove_inclusion reads
        hashes.append(len(proof.proof))
    return tuple(seconds), tuple(nodes), tuple(hashes)


def write_profile(
    profiler: cProfile.Profile, path: Path, name: str, say: Callable[[str], None]
) -> None:
    """Save the import's profile and print its top functions by cumulative and own time."""
    target = path.with_name(f"{path.stem}-{name}{path.suffix or '.prof'}")  # FILE-<db>-<part>
    target.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(target)
    say(f"[{name}] profile written to {target}")
    for order in ("cumulative", "tottime"):
        print(f"\n--- profile ({name}), top 15 by {order} ---")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(15)


def p95(values: Sequence[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def decile_mean(values: Sequence[float], *, first: bool) -> float:
    """Mean of the first (or last) tenth of ``values``; NaN when there are none."""
    if not values:
        return math.nan
    count = max(1, len(values) // 10)
    part = values[:count] if first else values[-count:]
    return statistics.fmean(part)


def render(figures: Figures) -> str:
    """The results of one database as a table: metric, auditkit, baseline, ratio, target."""
    ratio = figures.ingest_rate / figures.baseline_rate
    fast_rate = figures.records / figures.verify_fast_seconds
    full_rate = (
        figures.records / figures.verify_full_seconds if figures.verify_full_seconds else math.nan
    )
    log2n = math.log2(figures.records)
    rows = [
        ("metric", "auditkit", "baseline", "ratio", "target"),
        (
            "ingest (records/s)",
            f"{figures.ingest_rate:,.0f}",
            "not run" if math.isnan(ratio) else f"{figures.baseline_rate:,.0f}",
            "" if math.isnan(ratio) else f"{ratio:.3f}",
            f">= {INGEST_TARGET} of raw",
        ),
        (
            "  wall time (s)",
            f"{figures.ingest_seconds:,.1f}",
            f"{figures.baseline_seconds:,.1f}" if figures.baseline_seconds else "not run",
            "",
            "",
        ),
        ("  of which read + validate input (s)", f"{figures.read_seconds:,.1f}", "", "", ""),
        (
            "  of which append + commit (s)",
            f"{figures.ingest_seconds - figures.read_seconds:,.1f}",
            "",
            "",
            "",
        ),
        (
            "  append batch, first / last 10% (s)",
            (
                f"{decile_mean(figures.batch_seconds, first=True):.3f} / "
                f"{decile_mean(figures.batch_seconds, first=False):.3f}"
                if len(figures.batch_seconds) >= 2
                else "n/a (one batch)"
            ),
            "",
            "",
            "flat: O(1) per record",
        ),
        (
            "  append batch by tenth (s)",
            " ".join(f"{value:.2f}" for value in figures.batch_tenths()) or "n/a",
            "",
            "",
            "",
        ),
        (
            "verify, no projections (leaves/s)",
            f"{fast_rate:,.0f}",
            "",
            f"{fast_rate / VERIFY_TARGET:.3f}",
            f">= {VERIFY_TARGET:,}",
        ),
        (
            "verify, full (leaves/s)",
            "not run" if math.isnan(full_rate) else f"{full_rate:,.0f}",
            "",
            "",
            "",
        ),
        (
            "inclusion proof mean (ms)",
            f"{statistics.fmean(figures.proof_seconds) * 1000:.2f}",
            "",
            "",
            "",
        ),
        ("inclusion proof p95 (ms)", f"{p95(figures.proof_seconds) * 1000:.2f}", "", "", ""),
        (
            "hashes per proof, mean / max",
            f"{statistics.fmean(figures.proof_hashes):.1f} / {max(figures.proof_hashes)}",
            f"log2 n = {log2n:.1f}",
            "",
            f"<= ceil(log2 n) = {math.ceil(log2n)}",
        ),
        (
            "nodes read per proof, mean / max",
            f"{statistics.fmean(figures.proof_nodes):.1f} / {max(figures.proof_nodes)}",
            f"log2 n = {log2n:.1f}",
            "",
            f"<= 2 ceil(log2 n) = {2 * math.ceil(log2n)}",
        ),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        f"{figures.database}: {figures.events:,} events in {figures.conversations:,} "
        f"conversations -> {figures.records:,} records",
    ]
    for number, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in range(1, 5)]
        lines.append("  ".join(cells))
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: run the benchmark on the chosen databases and print one table each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--messages",
        type=int,
        default=DEFAULT_MESSAGES,
        help=f"events to import, about {EVENTS_PER_CONVERSATION} per conversation "
        f"(default {DEFAULT_MESSAGES:,}; the issue's figure is for 1000000)",
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=1, help="generator and sampling seed")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="run the import under cProfile, save FILE-<database>.prof and print the top "
        "functions (the profiled ingest rate is slower than an unprofiled one)",
    )
    parser.add_argument(
        "--growth",
        action="store_true",
        help="the growth run: no raw-insert baseline and no projection verify; adds the "
        "append-batch time per tenth of the import",
    )
    args = parser.parse_args(argv)
    if args.messages < 1:
        parser.error("--messages must be at least 1")
    conversations = max(1, round(args.messages / EVENTS_PER_CONVERSATION))
    names = ("sqlite", "postgresql") if args.database == "both" else (args.database,)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    tables: list[str] = []
    results: dict[str, Any] = {}
    failed = False
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"auditkit-bench-{name}-") as folder:
            workdir = Path(folder)
            try:
                if name == "sqlite":
                    figures = run(
                        SqliteDatabase(workdir),
                        workdir,
                        conversations=conversations,
                        seed=args.seed,
                        profile=args.profile,
                        say=say,
                        growth=args.growth,
                    )
                else:
                    postgres = PostgresDatabase(
                        os.environ.get("AUDITKIT_BENCH_PG_URL", DEFAULT_PG_URL)
                    )
                    with postgres.schemas():
                        figures = run(
                            postgres,
                            workdir,
                            conversations=conversations,
                            seed=args.seed,
                            profile=args.profile,
                            say=say,
                            growth=args.growth,
                        )
            except (AuditkitError, BenchFailure) as exc:
                print(f"{name}: FAILED: {exc}", file=sys.stderr)
                failed = True
                continue
            except Exception:  # a database or driver error: show it, go on to the next database
                traceback.print_exc()
                print(f"{name}: FAILED (see the traceback above)", file=sys.stderr)
                failed = True
                continue
        tables.append(render(figures))
        results[name] = figures.as_json()
    print()
    print("\n\n".join(tables))
    print(
        json.dumps(
            {
                "name": "ingest",
                "messages": args.messages,
                "figures": results,
                "baseline": {
                    name: {"raw_executemany_records_s": r["baseline_records_s"]}
                    for name, r in results.items()
                },
                "ratio": {name: r["ingest_ratio"] for name, r in results.items()},
                "target": {
                    "ingest_ratio": INGEST_TARGET,
                    "verify_fast_leaves_s": VERIFY_TARGET,
                    "proof_ms_at_1m": 5,
                },
                "failed": failed,
                "load": os.getloadavg(),
            }
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
