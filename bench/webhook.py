"""Sustained Chatwoot webhook deliveries per second on loopback, beside direct library appends.

For each database (SQLite and, when reachable, PostgreSQL) it creates a fresh installation,
starts the webhook blueprint under a real HTTP server on 127.0.0.1 (waitress when installed,
else werkzeug's threaded server) and lets ``--senders`` client threads post
``--deliveries`` distinct ``message_created`` payloads over keep-alive connections. Then,
on another fresh installation, the same number of threads append the same deliveries
through the library (``WebhookReceiver.receive``, no HTTP). After each run it checks that
nothing was lost (one message record per delivery, seq dense) and prints a table.

    .venv/bin/python bench/webhook.py [--deliveries 3000] [--senders 10] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditkit.ledger.installation import Installation, initialise  # noqa: E402
from auditkit.ledger.verify import verify_ledger  # noqa: E402
from auditkit.settings import load_settings  # noqa: E402
from auditkit.sources.webhooks import WebhookReceiver  # noqa: E402
from web import hooks  # noqa: E402

FIXTURE = ROOT / "tests" / "data" / "chatwoot" / "message_created_incoming.json"
SOURCE = "bench"
SECRET = "bench-secret-0123456789"
DEFAULT_PG = os.environ.get(
    "AUDITKIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def payloads(count: int, conversations: int) -> list[bytes]:
    """``count`` distinct message_created bodies spread over ``conversations`` conversations."""
    template = json.loads(FIXTURE.read_text(encoding="utf-8"))
    bodies = []
    for number in range(count):
        payload = copy.deepcopy(template)
        payload["id"] = 100000 + number
        payload["content"] = f"message {number}: where is my order?"
        payload["conversation"]["id"] = 1000 + number % conversations
        payload["conversation"]["messages"] = []
        bodies.append(json.dumps(payload).encode("utf-8"))
    return bodies


def environment(url: str, home: Path) -> dict[str, str]:
    """The settings of a benchmark installation."""
    return {
        "AUDITKIT_HOME": str(home),
        "AUDITKIT_DATABASE_URL": url,
        "AUDITKIT_KEY_PASSPHRASE": "bench passphrase",
        "AUDITKIT_ACTOR": "bench",
        "AUDITKIT_WEBHOOK_SECRETS": f"{SOURCE}={SECRET}",
    }


@contextmanager
def installation_at(env: dict[str, str]) -> Iterator[Installation]:
    """A fresh initialised installation with settings ``env``."""
    initialise(load_settings(env))
    installation = Installation.open(load_settings(env))
    try:
        yield installation
    finally:
        installation.engine.dispose()


@contextmanager
def database(kind: str, pg_url: str, workdir: Path) -> Iterator[Callable[[str], str]]:
    """Yields a function giving a fresh database URL per run name."""
    if kind == "sqlite":
        yield lambda name: f"sqlite:///{workdir / f'{name}.db'}"
        return
    admin = create_engine(pg_url)
    schemas: list[str] = []

    def fresh(name: str) -> str:
        schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        schemas.append(schema)
        separator = "&" if "?" in pg_url else "?"
        return f"{pg_url}{separator}options=-csearch_path%3D{schema}"

    try:
        yield fresh
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def serve(env: dict[str, str], ports: Any) -> None:
    """Child process: the hooks blueprint under a real server on loopback; reports its port."""
    installation = Installation.open(load_settings(env))
    app = Flask("auditkit-bench")
    app.extensions["auditkit.installation"] = installation
    app.register_blueprint(hooks.bp)
    try:
        from waitress.server import create_server
    except ImportError:
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", 0, app, threaded=True)
        ports.put((server.port, "werkzeug"))
        server.serve_forever()
        return
    waitress = create_server(app, host="127.0.0.1", port=0, threads=16, connection_limit=200)
    ports.put((int(waitress.effective_port), "waitress"))
    waitress.run()


@contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[int, str]]:
    """Run :func:`serve` in its own process (as a deployment would); yields (port, server)."""
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    process = context.Process(target=serve, args=(env, ports), daemon=True)
    process.start()
    try:
        yield ports.get(timeout=60)
    finally:
        process.terminate()
        process.join(timeout=30)


def run_senders(bodies: list[bytes], senders: int, send: Callable[[int, bytes], None]) -> float:
    """Run ``senders`` threads, each sending every ``senders``-th body; returns seconds."""
    errors: list[BaseException] = []
    start_line = threading.Barrier(senders + 1)

    def worker(index: int) -> None:
        start_line.wait()
        try:
            for body in bodies[index::senders]:
                send(index, body)
        except BaseException as error:  # reported after the run
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(senders)]
    for thread in threads:
        thread.start()
    start_line.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} sender(s) failed; first: {errors[0]!r}")
    return elapsed


def over_http(
    installation: Installation, env: dict[str, str], bodies: list[bytes], senders: int
) -> tuple[float, str]:
    """Post every body over loopback HTTP to a server process; returns (seconds, server name)."""
    with serving(env) as (port, server):
        connections: dict[int, http.client.HTTPConnection] = {}

        def send(index: int, body: bytes) -> None:
            conn = connections.get(index)
            if conn is None:
                conn = connections[index] = http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=60
                )
            conn.request(
                "POST",
                f"/hooks/chatwoot?source={SOURCE}",
                body=body,
                headers={"Content-Type": "application/json", "X-Auditkit-Token": SECRET},
            )
            response = conn.getresponse()
            answer = response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {answer[:200]!r}")

        seconds = run_senders(bodies, senders, send)
        for conn in connections.values():
            conn.close()
    return seconds, server


def direct(installation: Installation, bodies: list[bytes], senders: int) -> float:
    """Append every body through the library from ``senders`` threads (no HTTP)."""
    receiver = WebhookReceiver(installation)

    def send(_index: int, body: bytes) -> None:
        receiver.receive(source=SOURCE, body=body)

    return run_senders(bodies, senders, send)


def check(installation: Installation, expected_messages: int, *, verify: bool) -> dict[str, Any]:
    """Count what was stored: every delivery's message present, seq dense, optional verify."""
    with installation.engine.connect() as conn:
        seqs = [s for (s,) in conn.execute(text("SELECT seq FROM log_entries ORDER BY seq"))]
        messages = conn.execute(
            text("SELECT count(*) FROM log_entries WHERE kind = 'message'")
        ).scalar_one()
        checkpoints = conn.execute(text("SELECT count(*) FROM checkpoints")).scalar_one()
    result: dict[str, Any] = {
        "records": len(seqs),
        "messages": messages,
        "checkpoints": checkpoints,
        "dense": seqs == list(range(len(seqs))),
        "lost": expected_messages - messages,
    }
    if verify:
        result["verified"] = verify_ledger(installation).ok
    if result["lost"] or not result["dense"] or result.get("verified") is False:
        raise SystemExit(f"integrity check failed: {result}")
    return result


def main() -> None:
    """Run the benchmark and print one line per (database, path)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--no-verify", action="store_true", help="skip auditkit verify after")
    args = parser.parse_args()

    bodies = payloads(args.deliveries, args.conversations)
    print(
        f"{args.deliveries} message_created deliveries over {args.conversations} conversations, "
        f"{args.senders} concurrent senders"
    )
    print(
        f"{'database':<11} {'path':<22} {'deliveries/s':>12} {'records':>8} {'checkpoints':>11}  check"
    )
    with tempfile.TemporaryDirectory(prefix="auditkit-bench-") as tmp:
        workdir = Path(tmp)
        for kind in args.databases.split(","):
            if kind == "postgresql":
                try:
                    create_engine(args.pg_url).connect().close()
                except Exception as error:
                    print(
                        f"{kind:<11} skipped: {type(error).__name__}: {str(error).splitlines()[0]}"
                    )
                    continue
            with database(kind, args.pg_url, workdir) as fresh:
                for name in ("http", "library"):
                    env = environment(fresh(name), workdir / f"{kind}-{name}")
                    with installation_at(env) as installation:
                        if name == "http":
                            seconds, how = over_http(installation, env, bodies, args.senders)
                        else:
                            seconds = direct(installation, bodies, args.senders)
                            how = "WebhookReceiver"
                        result = check(installation, args.deliveries, verify=not args.no_verify)
                    rate = args.deliveries / seconds
                    label = f"{name} ({how})"
                    status = "nothing lost, seq dense" + (
                        ", verify ok" if result.get("verified") else ""
                    )
                    print(
                        f"{kind:<11} {label:<22} {rate:>12.0f} {result['records']:>8} "
                        f"{result['checkpoints']:>11}  {status}"
                    )


if __name__ == "__main__":
    main()
