"""Benchmark the review app against a bare Flask page in the same run: single-user p50/p95
per page, then requests/s and p95 under concurrent clients, as a ratio of the floor.

Set-up (not timed): a fresh PostgreSQL schema (or SQLite with ``--database sqlite``), the
generated conversations imported, an admin with a queue of open assignments and a number of
submitted reviews (so the dashboard has figures).

The floor is a bare Flask app served by waitress the same way (same threads), whose one
page reads 20 rows of the ``conversations`` table from the same database (one SQLAlchemy
Core query on its own engine) and renders them with a Jinja template. Both servers run in
this process; the clients run in their own processes and share one signed-in session.

1. single user: ``--single`` requests of each page in turn, one at a time: p50/p95 per page;
2. ``--clients`` concurrent clients request the bare page for ``--seconds``, then
   auditkit's queue, conversation and dashboard pages in turn for ``--seconds``:
   requests/s of each and auditkit's as a ratio of the bare page's (goal >= 0.5), p95.

``--profile FILE`` runs the single-user requests of auditkit's pages in this thread under
cProfile (Flask's test client, the same session), saves ``FILE`` and prints the top
functions. Timings are printed, never asserted; the last line is one JSON object.

    python bench/web.py                                  # 100k conversations (~2M events), PostgreSQL
    python bench/web.py --conversations 5000 --seconds 10 --database sqlite
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import requests
import waitress
from auditkit.web import create_app
from flask import Flask, render_template_string
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
TARGET_RATIO = 0.5
PASSWORD = "bench-password-123"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGES = ("queue", "conversation", "dashboard")
BARE_TEMPLATE = """<!doctype html><title>bare</title><table>
{% for row in rows %}<tr><td>{{ row.conversation_key }}</td><td>{{ row.channel }}</td>
<td>{{ row.customer }}</td><td>{{ row.event_count }}</td><td>{{ row.last_event_at }}</td></tr>
{% endfor %}</table>"""


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
    return [item.conversation_key for item in review_queue.my_queue(installation, admin)]


def bare_app(database_url: str) -> Flask:
    """The floor: Flask, one engine, one query of 20 rows, one template."""
    engine = create_engine(database_url)
    app = Flask("bare")
    query = text(
        "SELECT conversation_key, channel, customer, event_count, last_event_at "
        "FROM conversations ORDER BY conversation_key LIMIT 20"
    )

    @app.get("/")
    def page() -> str:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        return render_template_string(BARE_TEMPLATE, rows=rows)

    return app


def _serve(app: Any, threads: int) -> tuple[Any, str]:
    server = waitress.create_server(
        app, host="127.0.0.1", port=0, threads=threads, connection_limit=1000
    )
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


def _sign_in(base: str) -> dict[str, str]:
    """One sign-in (the throttle counts every attempt); its cookies, shared by every client."""
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = TOKEN.search(page).group(1)  # type: ignore[union-attr]
    session.post(
        f"{base}/login",
        data={"username": "bench-admin", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    ).raise_for_status()
    return session.cookies.get_dict()


def _url(base: str, name: str, keys: list[str], rng: random.Random) -> str:
    if name == "bare":
        return f"{base}/"
    if name == "conversation":
        return f"{base}/conversations/{rng.choice(keys)}"
    return f"{base}/{name}"


def _client(
    base: str,
    cookies: dict[str, str],
    names: tuple[str, ...],
    keys: list[str],
    start: float,
    until: float,
    seed: int,
) -> list[tuple[str, float]]:
    """One client process: wait for ``start``, request ``names`` in turn until ``until``."""
    session = requests.Session()
    session.cookies.update(cookies)
    rng = random.Random(seed)
    out: list[tuple[str, float]] = []
    turn = seed
    time.sleep(max(0.0, start - time.time()))
    while time.time() < until:
        name = names[turn % len(names)]
        turn += 1
        url = _url(base, name, keys, rng)
        started = time.perf_counter()
        response = session.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        out.append((name, elapsed))
    return out


def _load(
    base: str,
    cookies: dict[str, str],
    names: tuple[str, ...],
    keys: list[str],
    clients: int,
    seconds: float,
) -> list[tuple[str, float]]:
    start = time.time() + 2  # time for the processes to start
    with ProcessPoolExecutor(clients, mp_context=get_context("fork")) as pool:
        futures = [
            pool.submit(_client, base, cookies, names, keys, start, start + seconds, n)
            for n in range(clients)
        ]
        return [sample for future in futures for sample in future.result()]


def _percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    if len(times) < 2:
        return times[0] * 1000, times[0] * 1000
    return statistics.median(times) * 1000, statistics.quantiles(times, n=20)[-1] * 1000


def _single(
    request: Callable[[str], None], names: tuple[str, ...], count: int
) -> dict[str, list[float]]:
    """``count`` requests of each page, one at a time, pages interleaved."""
    times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(count):
        for name in names:
            started = time.perf_counter()
            request(name)
            times[name].append(time.perf_counter() - started)
    return times


def _profile(app: Flask, keys: list[str], count: int, path: str) -> None:
    """Auditkit's pages through the test client, in this thread, under cProfile."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = TOKEN.search(page).group(1)  # type: ignore[union-attr]
    client.post(
        "/login", data={"username": "bench-admin", "password": PASSWORD, "csrf_token": token}
    )
    rng = random.Random(7)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        for name in PAGES:
            response = client.get(_url("", name, keys, rng))
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code} under the profiler")
    profiler.disable()
    profiler.dump_stats(path)
    stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs()
    print(f"\nprofile of {count} x {len(PAGES)} pages saved to {path}", file=sys.stderr)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)


def _setup(
    args: argparse.Namespace, tmp: Path, env: dict[str, str]
) -> tuple[Installation, list[str]]:
    data = tmp / "conversations.jsonl"
    print(f"generating and importing {args.conversations:,} conversations...", file=sys.stderr)
    write_conversations(data, args.conversations, args.seed)
    initialise(load_settings(env))
    installation = Installation.open(load_settings(env))
    import_files(installation, [data])
    data.unlink()
    print("assigning and submitting reviews...", file=sys.stderr)
    keys = _prepare(installation, queue=args.queue, reviews=args.reviews)
    return installation, keys


def _env(home: Path, database_url: str | None) -> dict[str, str]:
    env = {
        "AUDITKIT_HOME": str(home),
        "AUDITKIT_KEY_PASSPHRASE": "bench-passphrase-not-secret",
        "AUDITKIT_ACTOR": "bench",
    }
    if database_url is not None:
        env["AUDITKIT_DATABASE_URL"] = database_url
    return env


def _schema_url(server_url: Any, schema: str) -> str:
    url = server_url.update_query_dict({"options": f"-csearch_path={schema}"})
    return str(url.render_as_string(hide_password=False))


MANIFEST = "bench-installation.json"
SET_UP = ("conversations", "seed", "database", "queue", "reviews")


def kept_schema(keep: Path) -> str:
    """The PostgreSQL schema of the installation kept in ``keep``: named after the folder."""
    return "auditkit_kept_" + re.sub(r"[^a-z0-9]+", "_", keep.resolve().name.lower()).strip("_")


@contextmanager
def kept_installation(args: argparse.Namespace) -> Iterator[tuple[Installation, list[str]]]:
    """The installation kept in ``args.keep`` (its home there, its PostgreSQL schema named by
    :func:`kept_schema`): built by :func:`_setup` on the first run and never dropped, reused
    as it is by every later run with the same set-up options. ``bench-installation.json`` in
    the folder is written only once the set-up has finished, so a half-built installation is
    refused rather than measured."""
    keep: Path = args.keep.resolve()
    manifest_path = keep / MANIFEST
    server_url = make_url(os.environ.get("AUDITKIT_BENCH_PG_URL", DEFAULT_PG_URL))
    wanted = {name: getattr(args, name) for name in SET_UP}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        differing = {k: (manifest.get(k), v) for k, v in wanted.items() if manifest.get(k) != v}
        if differing:
            raise SystemExit(
                f"{manifest_path}: kept installation was set up with other options "
                f"(kept, asked): {differing}; pass the same options or another --keep folder"
            )
        print(f"reusing the installation kept in {keep}", file=sys.stderr)
        env = _env(keep / "home", manifest.get("database_url"))
        initialise(load_settings(env))  # idempotent: migrates a kept schema to today's head
        installation = Installation.open(load_settings(env))
        admin = accounts.active_user(installation, "bench-admin")
        keys = [item.conversation_key for item in review_queue.my_queue(installation, admin)]
        yield installation, keys
        return
    if keep.exists() and any(keep.iterdir()):
        raise SystemExit(
            f"{keep} is not empty and has no {MANIFEST} (a set-up that did not finish?); "
            f"remove it (and schema {kept_schema(keep)}) or pass another --keep folder"
        )
    keep.mkdir(parents=True, exist_ok=True)
    database_url = None
    schema = kept_schema(keep)
    if args.database == "postgresql":
        admin_engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))  # fails if it is left from a run
        admin_engine.dispose()
        database_url = _schema_url(server_url, schema)
    started = time.perf_counter()
    installation, keys = _setup(args, keep, _env(keep / "home", database_url))
    manifest = {
        **wanted,
        "schema": schema if database_url else None,
        "database_url": database_url,
        "set_up_seconds": round(time.perf_counter() - started, 1),
        "set_up_at": utc_now().isoformat(),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"kept in {keep}: set up in {manifest['set_up_seconds']} s", file=sys.stderr)
    yield installation, keys


@contextmanager
def bench_installation(
    args: argparse.Namespace, name: str
) -> Iterator[tuple[Installation, list[str]]]:
    """A fresh installation (a new PostgreSQL schema, or SQLite with ``--database sqlite``)
    set up by :func:`_setup`, and its queued keys; the schema is dropped afterwards. With
    ``--keep DIR``, the installation kept there instead (:func:`kept_installation`)."""
    if getattr(args, "keep", None) is not None:
        with kept_installation(args) as kept:
            yield kept
        return
    schema = f"auditkit_bench_{name}_{uuid.uuid4().hex[:8]}"
    server_url = make_url(os.environ.get("AUDITKIT_BENCH_PG_URL", DEFAULT_PG_URL))
    with tempfile.TemporaryDirectory(prefix=f"auditkit-bench-{name}-") as tmp:
        admin_engine = None
        database_url = None
        if args.database == "postgresql":
            admin_engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
            with admin_engine.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            database_url = _schema_url(server_url, schema)
        try:
            yield _setup(args, Path(tmp), _env(Path(tmp) / "home", database_url))
        finally:
            if admin_engine is not None:
                with admin_engine.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin_engine.dispose()


def add_keep_option(parser: argparse.ArgumentParser) -> None:
    """``--keep DIR``: build the installation once in DIR and reuse it on later runs."""
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help=(
            "keep the installation: its home in DIR, its PostgreSQL schema auditkit_kept_<DIR "
            "name>; built on the first run, reused (not rebuilt, not dropped) by later runs "
            "of web.py and web_flows.py with the same set-up options"
        ),
    )


def run(args: argparse.Namespace, installation: Installation, keys: list[str]) -> dict[str, Any]:
    """Both servers, the single-user pass, then the concurrent pass; the figures."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = create_app(installation, secret_key=b"b" * 32, secure_cookies=False)
    database_url = installation.engine.url.render_as_string(hide_password=False)
    bare = bare_app(database_url)
    server, base = _serve(app, args.clients)
    bare_server, bare_base = _serve(bare, args.clients)
    cookies = _sign_in(base)
    if args.profile:
        _profile(app, keys, args.single, args.profile)
    session = requests.Session()
    session.cookies.update(cookies)
    rng = random.Random(3)

    def get(name: str) -> None:
        url = _url(bare_base if name == "bare" else base, name, keys, rng)
        response = session.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")

    _single(get, ("bare", *PAGES), 3)  # warm-up: caches, connection pools
    single = _single(get, ("bare", *PAGES), args.single)
    print("concurrent: bare page...", file=sys.stderr)
    bare_samples = _load(bare_base, {}, ("bare",), keys, args.clients, args.seconds)
    print("concurrent: auditkit's pages...", file=sys.stderr)
    samples = _load(base, cookies, PAGES, keys, args.clients, args.seconds)
    server.close()
    bare_server.close()
    figures: dict[str, Any] = {"single": {}, "concurrent": {}}
    for name, times in single.items():
        p50, p95 = _percentiles(times)
        figures["single"][name] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
    bare_rate = len(bare_samples) / args.seconds
    figures["concurrent"]["bare"] = {
        "req_s": round(bare_rate, 1),
        "p95_ms": round(_percentiles([t for _n, t in bare_samples])[1], 1),
    }
    for name in (*PAGES, "all"):
        times = [t for n, t in samples if name in (n, "all")]
        if not times:
            continue
        figures["concurrent"][name] = {
            "req_s": round(len(times) / args.seconds, 1),
            "p50_ms": round(_percentiles(times)[0], 1),
            "p95_ms": round(_percentiles(times)[1], 1),
        }
    figures["ratio"] = round(figures["concurrent"]["all"]["req_s"] / bare_rate, 3)
    return figures


def _report(args: argparse.Namespace, figures: dict[str, Any]) -> None:
    print(
        f"\n{args.conversations:,} conversations, {args.database}; "
        f"single user: {args.single} requests per page"
    )
    print(f"{'page':14} {'p50 ms':>8} {'p95 ms':>8}   (one request at a time)")
    for name, row in figures["single"].items():
        print(f"{name:14} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f}")
    print(f"\n{args.clients} concurrent clients for {args.seconds:.0f} s each (waitress, loopback)")
    print(f"{'page':14} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for name, row in figures["concurrent"].items():
        p50 = f"{row['p50_ms']:>8.1f}" if "p50_ms" in row else f"{'':>8}"
        print(f"{name:14} {row['req_s']:>8.1f} {p50} {row['p95_ms']:>8.1f}")
    worst = max(figures["concurrent"][n]["p95_ms"] for n in PAGES if n in figures["concurrent"])
    print(
        f"auditkit ÷ bare page req/s: {figures['ratio']:.2f} (goal ≥ {TARGET_RATIO}); "
        f"worst page p95 {worst:.1f} ms (goal < {TARGET_P95_MS} ms)"
    )
    print(
        json.dumps(
            {
                "name": "web",
                "conversations": args.conversations,
                "database": args.database,
                "clients": args.clients,
                "figures": figures,
                "baseline": figures["concurrent"]["bare"],
                "ratio": figures["ratio"],
                "target": {"ratio": TARGET_RATIO, "p95_ms": TARGET_P95_MS},
                "load": os.getloadavg(),
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its tables and the JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--single", type=int, default=30, help="single-user requests per page")
    parser.add_argument("--queue", type=int, default=200)
    parser.add_argument("--reviews", type=int, default=500)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", metavar="FILE", help="cProfile auditkit's pages to FILE")
    add_keep_option(parser)
    args = parser.parse_args(argv)
    if args.queue < 1 or args.queue + args.reviews > args.conversations:
        parser.error("need 1 <= --queue and --queue + --reviews <= --conversations")
    with bench_installation(args, "web") as (installation, keys):
        figures = run(args, installation, keys)
        installation.engine.dispose()
    _report(args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
