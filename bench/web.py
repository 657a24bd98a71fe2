"""Benchmark the review app: p50/p95 latency and requests/s of the queue, conversation and
dashboard pages under concurrent clients on loopback.

Set-up (not timed): a fresh PostgreSQL schema (or SQLite with ``--database sqlite``), the
generated conversations imported, an admin with a queue of open assignments and a number of
submitted reviews (so the dashboard has figures). Then the app is served by waitress (what
``auditkit serve`` runs) and ``--clients`` threads, each signed in with its own session,
request the three pages in turn for ``--seconds``. Target: p95 under 150 ms at 20 clients.
Timings are printed, never asserted.

    python bench/web.py                                  # 100k conversations (~2M events), PostgreSQL
    python bench/web.py --conversations 5000 --seconds 10 --database sqlite
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from multiprocessing import get_context
from pathlib import Path

import requests
import waitress
from auditkit.web import create_app
from generate import write_conversations
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from auditkit.accounts import users as accounts
from auditkit.ledger.installation import Installation, initialise
from auditkit.periods import utc_now
from auditkit.review import queue as review_queue
from auditkit.review import submission as submissions
from auditkit.review import workspace as workspaces
from auditkit.review.rubrics import DEFAULT_RUBRIC_ID, available_rubrics
from auditkit.review.sampling import SamplingMethod
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files

DEFAULT_PG_URL = "postgresql+psycopg://127.0.0.1:5432/test"
TARGET_P95_MS = 150
PASSWORD = "bench-password-123"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _prepare(installation: Installation, *, queue: int, reviews: int) -> list[str]:
    """An admin with ``queue`` open assignments after submitting ``reviews``; their keys."""
    admin = accounts.add_user(
        installation, username="bench-admin", display_name="Bench", role="admin", password=PASSWORD
    )
    (rubric,) = [r for r in available_rubrics(installation) if r.id == DEFAULT_RUBRIC_ID]
    review_queue.sample_and_assign(
        installation,
        admin,
        review_queue.SampleRequest(
            method=SamplingMethod.RANDOM,
            size=queue + reviews,
            filters=frozenset(),
            rubric_hash=rubric.content_hash,
            reviewer_ids=(admin.id,),
            due_on=(utc_now() + timedelta(days=7)).date(),
            seed="bench",
        ),
    )
    items = review_queue.my_queue(installation, admin)
    levels = [c.scale.levels for _s, c in rubric.criteria()]
    rng = random.Random(1)
    for item in items[:reviews]:
        ratings = {
            c.id: rng.choice(lv[1:]) for (_s, c), lv in zip(rubric.criteria(), levels, strict=True)
        }
        submissions.submit_review(
            installation, admin, item.id, workspaces.DraftInput(ratings=ratings)
        )
    return [item.conversation_key for item in items]


def _client(base: str, keys: list[str], until: float, seed: int) -> list[tuple[str, float]]:
    """One client process: sign in, then request the pages in turn until ``until`` (epoch s)."""
    out: list[tuple[str, float]] = []
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = TOKEN.search(page).group(1)  # type: ignore[union-attr]
    session.post(
        f"{base}/login",
        data={"username": "bench-admin", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    ).raise_for_status()
    rng = random.Random(seed)
    pages = ("queue", "conversation", "dashboard")
    turn = seed
    while time.time() < until:
        name = pages[turn % 3]
        turn += 1
        url = {
            "queue": f"{base}/queue",
            "conversation": f"{base}/conversations/{rng.choice(keys)}",
            "dashboard": f"{base}/dashboard",
        }[name]
        started = time.perf_counter()
        response = session.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        out.append((name, elapsed))
    return out


def _report(samples: list[tuple[str, float]], seconds: float, clients: int) -> int:
    print(f"\n{clients} concurrent clients for {seconds:.0f} s on loopback (waitress)")
    print(f"{'page':14} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for name in ("queue", "conversation", "dashboard", "all"):
        times = [t for n, t in samples if name in (n, "all")]
        if len(times) < 2:
            continue
        p95 = statistics.quantiles(times, n=20)[-1] * 1000
        worst = max(worst, p95) if name != "all" else worst
        print(
            f"{name:14} {len(times):>9,} {len(times) / seconds:>8.1f} "
            f"{statistics.median(times) * 1000:>8.1f} {p95:>8.1f}"
        )
    print(f"target: p95 < {TARGET_P95_MS} ms at 20 clients; worst page p95 {worst:.1f} ms")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--queue", type=int, default=200)
    parser.add_argument("--reviews", type=int, default=500)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    schema = f"auditkit_bench_web_{uuid.uuid4().hex[:8]}"
    server_url = make_url(os.environ.get("AUDITKIT_BENCH_PG_URL", DEFAULT_PG_URL))
    with tempfile.TemporaryDirectory(prefix="auditkit-bench-web-") as tmp:
        env = {
            "AUDITKIT_HOME": str(Path(tmp) / "home"),
            "AUDITKIT_KEY_PASSPHRASE": "bench",
            "AUDITKIT_ACTOR": "bench",
        }
        admin_engine = None
        if args.database == "postgresql":
            admin_engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
            with admin_engine.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = server_url.update_query_dict({"options": f"-csearch_path={schema}"})
            env["AUDITKIT_DATABASE_URL"] = url.render_as_string(hide_password=False)
        try:
            data = Path(tmp) / "conversations.jsonl"
            print(
                f"generating and importing {args.conversations:,} conversations...", file=sys.stderr
            )
            write_conversations(data, args.conversations, args.seed)
            initialise(load_settings(env))
            installation = Installation.open(load_settings(env))
            import_files(installation, [data])
            print("assigning and submitting reviews...", file=sys.stderr)
            keys = _prepare(installation, queue=args.queue, reviews=args.reviews)
            logging.getLogger("waitress.queue").setLevel(logging.ERROR)
            app = create_app(installation, secret_key=b"b" * 32, secure_cookies=False)
            server = waitress.create_server(
                app, host="127.0.0.1", port=0, threads=args.clients, connection_limit=1000
            )
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            base = f"http://127.0.0.1:{server.effective_port}"
            # Clients run in their own processes, so they do not share the server's GIL.
            until = time.time() + 3 + args.seconds  # 3 s for the processes to start, sign in
            with ProcessPoolExecutor(args.clients, mp_context=get_context("fork")) as pool:
                futures = [pool.submit(_client, base, keys, until, n) for n in range(args.clients)]
                samples = [sample for future in futures for sample in future.result()]
            server.close()
            installation.engine.dispose()
            return _report(samples, args.seconds, args.clients)
        finally:
            if admin_engine is not None:
                with admin_engine.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin_engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
