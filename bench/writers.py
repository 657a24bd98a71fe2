"""Benchmark many writers: ``--writers`` processes importing into one PostgreSQL installation
at once, against one process importing a file of the same size in the same run.

One fresh PostgreSQL database (advisory locks are per database) and home (``auditkit init``, not timed), then:

1. one process imports one generated file of ``--conversations`` conversations: records/s
   (the baseline);
2. ``--writers`` processes, started together, each import their own file of the same size
   (other seeds, so other conversations): records/s of all of them together (wall time from
   the common start to the last commit), and the ratio to the baseline (the issue's goal:
   >= 3 for 8 writers);
3. ``auditkit verify`` (the command, full) over the result, and the log checked dense
   (seqs 0..n-1, no gap, as many records as the imports reported).

Each writer reports where its time went: reading and validating its input (outside the
writer lock), waiting for the log's writer lock (the ``pg_advisory_xact_lock`` statement,
timed with SQLAlchemy's cursor events) and holding it (from the lock to the import's
end: appending, sealing, hashing, the Merkle nodes, the projections, the commit), and its
own CPU seconds and its PostgreSQL backends' (from ``/proc``: the server must run on this
machine). From the single writer's, the CPU bound of the ratio: the machine's cores over
the cores one writer keeps busy (client and server). ``--profile DIR`` runs every writer
under cProfile and saves ``DIR/writer-N.prof`` (the baseline's as ``DIR/writer-single.prof``). Timings are printed,
never asserted; the last line is one JSON object; the exit status is 1 when the imports,
the verify or the density check fail.

    python bench/writers.py                                   # 8 writers x 2,000 conversations
    python bench/writers.py --writers 4 --conversations 1000 --profile /tmp/writers
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from generate import write_conversations
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from auditkit.ledger.installation import Installation, initialise
from auditkit.settings import load_settings
from auditkit.sources import ingest

DEFAULT_PG_URL = "postgresql+psycopg://127.0.0.1:5432/test"
TARGET_RATIO = 3.0
LOCK_STATEMENT = "pg_advisory_xact_lock"


def _env(home: Path, database_url: str) -> dict[str, str]:
    return {
        "AUDITKIT_HOME": str(home),
        "AUDITKIT_DATABASE_URL": database_url,
        "AUDITKIT_KEY_PASSPHRASE": "bench-passphrase-not-secret",
        "AUDITKIT_ACTOR": "bench",
    }


def writer(
    env: dict[str, str], source: str, start: float, profile: str | None
) -> dict[str, float | int]:
    """One writer process: unlock the key, wait for ``start``, import ``source``; its times."""
    # Its own application_name, so its server backends can be told from the other writers'.
    tag = f"auditkit-bench-writer-{os.getpid()}"
    url = make_url(env["AUDITKIT_DATABASE_URL"]).update_query_dict({"application_name": tag})
    env = {**env, "AUDITKIT_DATABASE_URL": url.render_as_string(hide_password=False)}
    installation = Installation.open(load_settings(env))
    installation.signer()  # scrypt: outside the timing
    lock: dict[str, float] = {}

    @event.listens_for(installation.engine, "before_cursor_execute")
    def _before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if LOCK_STATEMENT in statement:
            lock["asked"] = time.perf_counter()

    @event.listens_for(installation.engine, "after_cursor_execute")
    def _after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if LOCK_STATEMENT in statement:
            lock.setdefault("got", time.perf_counter())

    read_seconds: list[float] = []
    original = ingest.read_inputs

    def timed_read(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            read_seconds.append(time.perf_counter() - started)

    ingest.read_inputs = timed_read  # type: ignore[assignment]
    time.sleep(max(0.0, start - time.time()))
    began_at = time.time()
    server_before = _backend_cpu(installation.engine, tag)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    report = ingest.import_files(installation, [Path(source)])
    if profiler is not None:
        profiler.disable()
    ended = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_SELF)
    server_after = _backend_cpu(installation.engine, tag)
    if profiler is not None and profile:
        profiler.dump_stats(profile)
    installation.engine.dispose()
    return {
        "records": report.records_appended,
        "wall_s": ended - started,
        "began_at": began_at,
        "ended_at": time.time(),
        "read_validate_s": sum(read_seconds),
        "lock_wait_s": lock["got"] - lock["asked"],
        "lock_held_s": ended - lock["got"],
        "cpu_s": (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime),
        "server_cpu_s": sum(v - server_before.get(p, 0.0) for p, v in server_after.items()),
    }


def _backend_cpu(engine: Any, tag: str) -> dict[int, float]:
    """CPU seconds (user + system) so far of each PostgreSQL backend serving this writer (its
    ``application_name`` is ``tag``), read from ``/proc``: the server must run on this machine.
    Their WAL writes are counted; the server's shared background processes are not."""
    with engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :tag"), {"tag": tag}
        ).scalars()
        found: dict[int, float] = {}
        for pid in pids:
            # /proc/<pid>/stat: utime and stime are fields 14 and 15, after the ")" of comm.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def _run_writers(
    env: dict[str, str], sources: list[Path], profiles: list[str | None]
) -> tuple[list[dict[str, float | int]], float]:
    """The writers started together (one process each); their figures and the wall time."""
    start = time.time() + 3  # time for the processes to start and unlock the key
    with ProcessPoolExecutor(len(sources), mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(writer, env, str(source), start, profile)
            for source, profile in zip(sources, profiles, strict=True)
        ]
        results = [future.result() for future in futures]
    began = min(float(r["began_at"]) for r in results)
    return results, max(float(r["ended_at"]) for r in results) - began


def _dense(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        count, low, high = conn.execute(
            text("SELECT count(*), min(seq), max(seq) FROM log_entries")
        ).one()
    return {"count": int(count), "min_seq": int(low), "max_seq": int(high)}


def _verify(env: dict[str, str]) -> tuple[int, float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("auditkit")), "verify"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, time.perf_counter() - started, (done.stdout + done.stderr).strip()


def _summary(rows: list[dict[str, float | int]]) -> dict[str, float]:
    def total(name: str) -> float:
        return round(sum(float(r[name]) for r in rows), 2)

    names = ("read_validate_s", "lock_wait_s", "lock_held_s", "cpu_s", "server_cpu_s")
    return {name: total(name) for name in names}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its table and the JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--conversations", type=int, default=2000, help="per writer")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=Path, metavar="DIR", help="cProfile every writer")
    args = parser.parse_args(argv)
    if args.writers < 1 or args.conversations < 1:
        parser.error("need --writers >= 1 and --conversations >= 1")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    load = [os.getloadavg()]
    server = make_url(os.environ.get("AUDITKIT_BENCH_PG_URL", DEFAULT_PG_URL))
    # A database of its own, not a schema: PostgreSQL's advisory locks (the log's writer lock)
    # are per database, so writers of other installations in other schemas of one database
    # would hold up these ones (and be counted as their lock wait).
    name = f"auditkit_bench_writers_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory(prefix="auditkit-bench-writers-") as tmp:
            url = server.set(database=name)
            env = _env(Path(tmp) / "home", url.render_as_string(hide_password=False))
            started = time.perf_counter()
            initialise(load_settings(env))
            print(f"auditkit init: {time.perf_counter() - started:.1f} s", file=sys.stderr)
            sources = [Path(tmp) / f"writer-{n}.jsonl" for n in range(args.writers + 1)]
            print(f"generating {len(sources)} files of {args.conversations:,} conversations")
            for n, source in enumerate(sources):
                write_conversations(source, args.conversations, args.seed + n)

            def profile(name: str) -> str | None:
                return str(args.profile / f"writer-{name}.prof") if args.profile else None

            print("one writer...", file=sys.stderr)
            single, single_wall = _run_writers(env, sources[:1], [profile("single")])
            print(f"{args.writers} writers at once...", file=sys.stderr)
            many, many_wall = _run_writers(
                env, sources[1:], [profile(str(n)) for n in range(args.writers)]
            )
            engine = Installation.open(load_settings(env)).engine
            dense = _dense(engine)
            engine.dispose()
            print("auditkit verify...", file=sys.stderr)
            verify_status, verify_seconds, verify_output = _verify(env)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    load.append(os.getloadavg())
    appended = sum(int(r["records"]) for r in single + many)
    # seqs 0..n-1, no gap; auditkit init may append records of its own before the imports
    is_dense = (
        dense["min_seq"] == 0
        and dense["max_seq"] == dense["count"] - 1
        and dense["count"] >= appended
    )
    one_rate = int(single[0]["records"]) / single_wall
    many_rate = sum(int(r["records"]) for r in many) / many_wall
    ratio = many_rate / one_rate
    # What one writer keeps busy: its own CPU and its server backends' per second of wall
    # time. N writers on this machine's cores can at best reach cores / busy times its rate.
    busy = (float(single[0]["cpu_s"]) + float(single[0]["server_cpu_s"])) / single_wall
    cores = os.cpu_count() or 1
    bound = cores / busy if busy else float("inf")
    print(
        f"\none writer:   {int(single[0]['records']):>9,} records {single_wall:7.1f} s "
        f"{one_rate:>9,.0f} records/s"
    )
    print(
        f"{args.writers} writers: {sum(int(r['records']) for r in many):>9,} records "
        f"{many_wall:7.1f} s {many_rate:>9,.0f} records/s"
    )
    print(f"ratio {ratio:.2f} (goal >= {TARGET_RATIO})")
    print(
        f"one writer keeps {busy:.2f} cores busy (client + its server backends): on {cores} "
        f"cores the CPU alone bounds the ratio at {bound:.2f} (only on an otherwise idle "
        "machine: a writer that waits for a core keeps fewer busy)"
    )
    print(
        f"\n{'writer':8} {'wall s':>8} {'read s':>8} {'lock wait':>10} {'lock held':>10} "
        f"{'cpu s':>8} {'server cpu s':>13}"
    )
    for name, row in [("single", single[0]), *((str(n), r) for n, r in enumerate(many))]:
        print(
            f"{name:8} {row['wall_s']:>8.1f} {row['read_validate_s']:>8.1f} "
            f"{row['lock_wait_s']:>10.1f} {row['lock_held_s']:>10.1f} {row['cpu_s']:>8.1f} "
            f"{row['server_cpu_s']:>13.1f}"
        )
    print(
        f"log: {dense} ({'dense' if is_dense else 'NOT DENSE'}); "
        f"auditkit verify exit {verify_status} in {verify_seconds:.1f} s"
    )
    print(verify_output[-400:])
    print(
        json.dumps(
            {
                "name": "writers",
                "writers": args.writers,
                "conversations_per_writer": args.conversations,
                "figures": {
                    "records_s": round(many_rate),
                    "wall_s": round(many_wall, 2),
                    "writers": [
                        {k: round(float(v), 2) for k, v in r.items() if not k.endswith("_at")}
                        for r in many
                    ],
                    "totals": _summary(many),
                    "log": dense,
                    "dense": is_dense,
                    "verify_exit": verify_status,
                    "verify_s": round(verify_seconds, 1),
                },
                "baseline": {
                    "records_s": round(one_rate),
                    "wall_s": round(single_wall, 2),
                    **_summary(single),
                    "cores_busy": round(busy, 3),
                    "cpu_us_per_record": round(
                        (float(single[0]["cpu_s"]) + float(single[0]["server_cpu_s"]))
                        / max(1, int(single[0]["records"]))
                        * 1e6
                    ),
                },
                "cpu_bound_ratio": round(bound, 3),
                "cores": cores,
                "ratio": round(ratio, 3),
                "target": {"ratio": TARGET_RATIO},
                "load": load,
            }
        )
    )
    return 0 if is_dense and verify_status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
