"""Benchmark the review app: p50/p95 latency and requests/s of its pages (queue,
conversation, dashboard; with issue 15's: findings, the filtered and searched conversation
list, the reviews behind a number, the agent page) under concurrent clients on loopback,
beside a baseline measured in the same run (the static style sheet: the server and
framework with no query).

Set-up (not timed): a fresh PostgreSQL schema (or SQLite with ``--database sqlite``), the
generated conversations imported, an admin with a queue of open assignments and a number of
submitted reviews (so the dashboard has figures). Then the app is served by waitress (what
``auditkit serve`` runs) and ``--clients`` threads, each signed in with its own session,
request the three pages in turn for ``--seconds``. Target: p95 under 150 ms at 20 clients.
Timings are printed, never asserted.

    python bench/web.py                                  # 100k conversations (~2M events), PostgreSQL
    python bench/web.py --conversations 5000 --seconds 10 --database sqlite
    python bench/web.py --clients 1 --pages findings,search,filtered,reviews,agent  # issue 15: p95 < 300 ms, one user

The last line is one JSON object: each page's p50/p95 and its p95 over the baseline's.
"""

from __future__ import annotations

import argparse
import json
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
from auditkit.checks.service import run_checks
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


PAGES = ("queue", "conversation", "dashboard")
NEW_PAGES = ("findings", "search", "filtered", "reviews", "agent")


def _client(
    base: str, keys: list[str], agent: str, pages: tuple[str, ...], until: float, seed: int
) -> list[tuple[str, float]]:
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
    turn = seed
    while time.time() < until:
        name = pages[turn % len(pages)]
        turn += 1
        url = {
            "baseline": f"{base}/static/app.css",
            "queue": f"{base}/queue",
            "conversation": f"{base}/conversations/{rng.choice(keys)}",
            "dashboard": f"{base}/dashboard",
            "findings": f"{base}/findings",
            "filtered": f"{base}/conversations?failed_policy=any&reopened=1&sort=score",
            "search": f"{base}/conversations?q=refund",
            "reviews": f"{base}/review-records?criterion=problem-understanding",
            "agent": f"{base}/agents/{agent}",
        }[name]
        started = time.perf_counter()
        response = session.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        out.append((name, elapsed))
    return out


def _report(
    samples: list[tuple[str, float]], seconds: float, clients: int, pages: tuple[str, ...]
) -> int:
    print(f"\n{clients} concurrent clients for {seconds:.0f} s on loopback (waitress)")
    print(f"{'page':14} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'x base':>7}")
    worst = 0.0
    figures: dict[str, dict[str, float]] = {}
    base_times = [t for n, t in samples if n == "baseline"]
    base_p95 = statistics.quantiles(base_times, n=20)[-1] * 1000 if len(base_times) > 1 else 0.0
    for name in ("baseline", *pages):
        times = [t for n, t in samples if n == name]
        if len(times) < 2:
            continue
        p95 = statistics.quantiles(times, n=20)[-1] * 1000
        p50 = statistics.median(times) * 1000
        ratio = p95 / base_p95 if base_p95 else 0.0
        if name != "baseline":
            worst = max(worst, p95)
        figures[name] = {"requests": len(times), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
        figures[name]["p95_over_baseline"] = round(ratio, 1)
        print(
            f"{name:14} {len(times):>9,} {len(times) / seconds:>8.1f} "
            f"{p50:>8.1f} {p95:>8.1f} {ratio:>7.1f}"
        )
    target = 300 if clients == 1 else TARGET_P95_MS
    print(f"target: p95 < {target} ms at {clients} client(s); worst page p95 {worst:.1f} ms")
    print(json.dumps({"clients": clients, "worst_p95_ms": round(worst, 1), "pages": figures}))
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
    parser.add_argument(
        "--pages",
        default=",".join(PAGES),
        help=f"comma-separated, of {', '.join(PAGES + NEW_PAGES)} (the baseline always runs)",
    )
    args = parser.parse_args(argv)
    pages = tuple(p for p in args.pages.split(",") if p)
    unknown = [p for p in pages if p not in PAGES + NEW_PAGES]
    if unknown:
        parser.error(f"--pages: unknown page(s) {', '.join(unknown)}")
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
            if set(pages) & set(NEW_PAGES):
                print("checking every policy...", file=sys.stderr)
                run_checks(installation)
            from auditkit.review import history

            admin = accounts.list_users(installation)[0]
            agent = history.agents_overview(installation, admin)[0].agent_id
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
                futures = [
                    pool.submit(_client, base, keys, agent, ("baseline", *pages), until, n)
                    for n in range(args.clients)
                ]
                samples = [sample for future in futures for sample in future.result()]
            server.close()
            installation.engine.dispose()
            return _report(samples, args.seconds, args.clients, pages)
        finally:
            if admin_engine is not None:
                with admin_engine.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin_engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
