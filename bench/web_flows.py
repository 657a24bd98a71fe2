"""Single-user p50/p95 of every page in the roles' days of issue 15, beside a bare Flask page
measured in the same run.

The pages are the ones the browser tests walk: the reviewer's queue, workspace and
conversation; the compliance officer's findings list, the conversation list filtered by a
failed policy and both CSV downloads; the coach's agents list, agent page and coaching
library (and the coaching report PDF, timed on its own: it is a download, not a page); the
agent's own reviews, one review and its dispute form; the admin's users, holds and
retention screens; the dashboard and the mentions list.

Set-up (not timed) is ``bench/web.py``'s: generated conversations imported into a fresh
PostgreSQL schema (or SQLite with ``--database sqlite``), an admin with open assignments
and submitted reviews; then the default policy pack is run over every conversation (so the
findings pages have rows) and an ``agent`` user is bound to the agent of a reviewed
conversation. Each page is requested ``--single`` times in turn, one at a time, through
waitress on loopback with one signed-in session per role. Timings are printed, never
asserted; the last line is one JSON object.

    python bench/web_flows.py --conversations 100000             # PostgreSQL, the issue's size
    python bench/web_flows.py --conversations 2000 --database sqlite
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import logging
import os
import random
import sys
import time
from typing import Any

import requests
from auditkit.reports import preload as preload_reports
from auditkit.web import create_app
from sqlalchemy import text

from auditkit.accounts import users as accounts
from auditkit.checks.service import run_checks
from auditkit.db.engine import analyze_tables
from auditkit.ledger.installation import Installation
from web import (
    PASSWORD,
    TOKEN,
    _percentiles,
    _serve,
    add_keep_option,
    bare_app,
    bench_installation,
)

TARGET_P95_MS = 300
AGENT_USER = "bench-agent"


def _sign_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = TOKEN.search(page).group(1)  # type: ignore[union-attr]
    session.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    ).raise_for_status()
    return session


def _facts(installation: Installation) -> dict[str, Any]:
    """What the page URLs need: an open assignment, a reviewed agent and one of its reviews,
    a failed policy, a conversation. Read straight from the query tables (a bench, not code)."""
    with installation.engine.connect() as conn:
        assignment, key = conn.execute(
            text(
                "SELECT id, conversation_key FROM review_assignments WHERE status = 'open' "
                "ORDER BY id LIMIT 1"
            )
        ).one()
        seq, agent = conn.execute(
            text(
                "SELECT seq, agent_id FROM reviews WHERE agent_id IS NOT NULL ORDER BY seq LIMIT 1"
            )
        ).one()
        policy = conn.execute(
            text(
                "SELECT policy_id FROM check_results WHERE outcome = 'fail' "
                "GROUP BY policy_id ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar()
    return {
        "assignment": assignment,
        "key": key,
        "seq": seq,
        "agent": agent,
        "policy": policy or "consent-disclosure",
    }


def pages(facts: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Page name -> (role's session, path)."""
    policy, agent = facts["policy"], facts["agent"]
    return {
        "queue": ("admin", "/queue"),
        "workspace": ("admin", f"/reviews/{facts['assignment']}"),
        "conversation": ("admin", f"/conversations/{facts['key']}"),
        "findings": ("admin", f"/findings?policy={policy}"),
        "findings.csv": ("admin", f"/findings?policy={policy}&format=csv"),
        "conversations.failed": ("admin", f"/conversations?failed_policy={policy}"),
        "conversations.csv": ("admin", f"/conversations?failed_policy={policy}&format=csv"),
        "dashboard": ("admin", "/dashboard"),
        "agents": ("admin", "/agents"),
        "agent": ("admin", f"/agents/{agent}"),
        "coaching": ("admin", "/coaching"),
        "mentions": ("admin", "/mentions"),
        "admin.users": ("admin", "/admin/users"),
        "admin.holds": ("admin", "/admin/holds"),
        "admin.retention": ("admin", "/admin/retention?dry_run=1"),
        "me": ("agent", "/me"),
        "me.review": ("agent", f"/me/reviews/{facts['seq']}"),
        "me.dispute": ("agent", f"/me/reviews/{facts['seq']}/dispute"),
    }


def run(args: argparse.Namespace, installation: Installation) -> dict[str, Any]:
    """The checks, the agent user, both servers and the single-user passes; the figures."""
    with installation.engine.connect() as conn:
        checked = conn.execute(text("SELECT 1 FROM check_results LIMIT 1")).first() is not None
        has_agent = conn.execute(
            text("SELECT 1 FROM users WHERE username = :name"), {"name": AGENT_USER}
        ).first()
    if checked:  # a kept installation (--keep): the pack ran on its first run
        print("the policy pack has run on this installation: not run again", file=sys.stderr)
    else:
        print("running the default policy pack...", file=sys.stderr)
        started = time.perf_counter()
        run_checks(installation)
        print(f"checks: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        # As a large import does (``auditkit import``): the planner's statistics of what the
        # pack wrote (a test server may run without autovacuum).
        analyze_tables(installation.engine, ("check_results", "check_failure_counts"))
    facts = _facts(installation)
    if has_agent is None:
        accounts.add_user(
            installation,
            username=AGENT_USER,
            display_name="Bench agent",
            role="agent",
            password=PASSWORD,
            participant_id=facts["agent"],
        )
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = create_app(installation, secret_key=b"b" * 32, secure_cookies=False)
    bare = bare_app(installation.engine.url.render_as_string(hide_password=False))
    preload_reports()  # as ``auditkit serve`` does
    if not args.no_freeze:
        # As ``auditkit serve`` does before serving: what is loaded by now (and the set-up's
        # leftovers, which a server would not hold) is not traversed by each full collection.
        gc.collect()
        gc.freeze()
    server, base = _serve(app, 4)
    bare_server, bare_base = _serve(bare, 4)
    sessions = {"admin": _sign_in(base, "bench-admin"), "agent": _sign_in(base, AGENT_USER)}
    bare_session = requests.Session()
    table = {name: page for name, page in pages(facts).items() if name not in args.skip}
    times: dict[str, list[float]] = {"bare": [], **{name: [] for name in table}}
    # CPU seconds of this process (server threads and client) per request: requests go one at
    # a time, so it is the page's own work, whatever else loads the machine.
    cpu: dict[str, list[float]] = {name: [] for name in times}
    # Per CSV download: (seconds to the first bytes, seconds in all, data rows, bytes).
    downloads: dict[str, list[tuple[float, float, int, int]]] = {}

    def get(name: str) -> None:
        if name == "bare":
            session, url = bare_session, f"{bare_base}/"
        else:
            role, path = table[name]
            session, url = sessions[role], f"{base}{path}"
        started, cpu_started = time.perf_counter(), time.process_time()
        response = session.get(url, stream=True)
        if response.status_code != 200:
            raise SystemExit(f"{name} {url}: HTTP {response.status_code}")
        # Downloads stream: the first bytes, then the whole body and its rows.
        chunks = response.iter_content(chunk_size=65536)
        body = [next(chunks, b"")]
        first_byte = time.perf_counter() - started
        body.extend(chunks)
        elapsed = time.perf_counter() - started
        times[name].append(elapsed)
        cpu[name].append(time.process_time() - cpu_started)
        if name.endswith(".csv"):  # rows counted after the timing (a quoted cell may span lines)
            data = b"".join(body)
            rows = sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8")))) - 1
            downloads.setdefault(name, []).append((first_byte, elapsed, rows, len(data)))

    for _ in range(2):  # warm-up: caches, connection pools, first live detection
        for name in times:
            get(name)
    times = {name: [] for name in times}
    cpu = {name: [] for name in times}
    downloads.clear()
    for _ in range(args.single):
        for name in list(times):
            get(name)
    report_times = _coaching_reports(sessions["admin"], base, facts["agent"], args.reports)
    if args.profile:
        _profile(app, table, args.profile, args.single)
    server.close()
    bare_server.close()
    figures: dict[str, Any] = {"pages": {}, "facts": {k: str(v) for k, v in facts.items()}}
    for name, samples in times.items():
        p50, p95 = _percentiles(samples)
        cpu50, cpu95 = _percentiles(cpu[name])
        figures["pages"][name] = {
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "cpu_p50_ms": round(cpu50, 1),
            "cpu_p95_ms": round(cpu95, 1),
        }
    for name, samples in downloads.items():
        first_p50, _ = _percentiles([first for first, _, _, _ in samples])
        total_p50, _ = _percentiles([total for _, total, _, _ in samples])
        rows = samples[-1][2]
        figures["downloads"] = figures.get("downloads", {})
        figures["downloads"][name] = {
            "first_byte_p50_ms": round(first_p50, 1),
            "total_p50_ms": round(total_p50, 1),
            "rows": rows,
            "bytes": samples[-1][3],
            "rows_per_s": round(rows / (total_p50 / 1000), 1) if total_p50 else None,
        }
    if report_times:
        p50, p95 = _percentiles(report_times)
        figures["coaching_report_pdf"] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
    return figures


def _profile(app: Any, table: dict[str, tuple[str, str]], names: list[str], count: int) -> None:
    """``count`` requests of each named page through the test client, in this thread, under
    cProfile; the top functions by cumulative time go to stderr."""
    import cProfile
    import pstats

    clients = {}
    for role, username in (("admin", "bench-admin"), ("agent", AGENT_USER)):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = TOKEN.search(page).group(1)  # type: ignore[union-attr]
        client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        clients[role] = client
    for name in names:
        role, path = table[name]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            clients[role].get(path)
        profiler.disable()
        print(f"\n=== profile: {name} ({path}) x {count}", file=sys.stderr)
        stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs()
        stats.sort_stats("cumulative").print_stats(30)


def _coaching_reports(session: requests.Session, base: str, agent: str, count: int) -> list[float]:
    """The coach's button: POST /reports/coaching from the agent page's form, ``count`` times."""
    samples: list[float] = []
    for _ in range(count):
        page = session.get(f"{base}/agents/{agent}").text
        token = TOKEN.search(page).group(1)  # type: ignore[union-attr]
        started = time.perf_counter()
        response = session.post(
            f"{base}/reports/coaching", data={"agent": agent, "csrf_token": token}
        )
        samples.append(time.perf_counter() - started)
        if response.status_code != 200 or not response.content.startswith(b"%PDF"):
            raise SystemExit(f"coaching report: HTTP {response.status_code}")
    return samples


def _report(args: argparse.Namespace, figures: dict[str, Any]) -> None:
    rows = figures["pages"]
    bare_p95 = rows["bare"]["p95_ms"]
    print(
        f"\n{args.conversations:,} conversations, {args.database}; "
        f"{args.single} requests per page, one at a time"
    )
    print(f"{'page':22} {'p50 ms':>8} {'p95 ms':>8} {'p95 ÷ bare':>11} {'cpu p50/p95 ms':>15}")
    for name, row in rows.items():
        ratio = row["p95_ms"] / bare_p95 if bare_p95 else 0.0
        used = f"{row['cpu_p50_ms']:.1f}/{row['cpu_p95_ms']:.1f}"
        print(f"{name:22} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {ratio:>11.1f} {used:>15}")
    if "coaching_report_pdf" in figures:
        pdf = figures["coaching_report_pdf"]
        print(f"{'coaching report PDF':22} {pdf['p50_ms']:>8.1f} {pdf['p95_ms']:>8.1f}")
    for name, got in figures.get("downloads", {}).items():
        print(
            f"{name}: first bytes {got['first_byte_p50_ms']:.1f} ms, all {got['total_p50_ms']:.1f}"
            f" ms, {got['rows']:,} rows ({got['rows_per_s']} rows/s), {got['bytes']:,} bytes"
        )
    worst_name = max((n for n in rows if n != "bare"), key=lambda n: rows[n]["p95_ms"])
    worst = rows[worst_name]["p95_ms"]
    print(f"worst page p95: {worst_name} {worst:.1f} ms (goal < {TARGET_P95_MS} ms)")
    print(
        json.dumps(
            {
                "name": "web_flows",
                "conversations": args.conversations,
                "database": args.database,
                "figures": figures,
                "baseline": rows["bare"],
                "ratio": round(worst / bare_p95, 1) if bare_p95 else None,
                "target": {"p95_ms": TARGET_P95_MS},
                "worst": {"page": worst_name, "p95_ms": worst},
                "load": os.getloadavg(),
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print its table and the JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=20, help="requests per page")
    parser.add_argument("--reports", type=int, default=3, help="coaching report PDFs timed")
    parser.add_argument("--queue", type=int, default=200)
    parser.add_argument("--reviews", type=int, default=500)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", nargs="+", metavar="PAGE", help="cProfile these pages (names as printed)"
    )
    parser.add_argument(
        "--no-freeze", action="store_true", help="serve without gc.freeze() (as before issue 15)"
    )
    parser.add_argument(
        "--skip",
        nargs="+",
        default=[],
        metavar="PAGE",
        help="leave these pages out (names as printed)",
    )
    add_keep_option(parser)
    args = parser.parse_args(argv)
    if args.queue < 1 or args.queue + args.reviews > args.conversations:
        parser.error("need 1 <= --queue and --queue + --reviews <= --conversations")
    random.seed(args.seed)
    with bench_installation(args, "flows") as (installation, _keys):
        figures = run(args, installation)
        installation.engine.dispose()
    _report(args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
