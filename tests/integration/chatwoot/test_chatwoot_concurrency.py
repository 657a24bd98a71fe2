"""Many senders at once, over a real loopback server and from another process: nothing is lost,
duplicates append nothing, seq stays dense and ``auditkit verify`` passes."""

from __future__ import annotations

import copy
import http.client
import itertools
import json
import multiprocessing
import threading
from collections import Counter
from typing import Any

from sqlalchemy import text
from werkzeug.serving import make_server

from auditkit.ledger import merkle
from auditkit.ledger.installation import Installation
from auditkit.ledger.proofs import prove_consistency
from auditkit.ledger.verify import verify_ledger
from auditkit.settings import load_settings
from auditkit.sources.webhooks import WebhookReceiver
from tests.integration.chatwoot.support import SECRET, SOURCE, fixture, make_app

THREADS = 8
CONVERSATIONS = 12
MESSAGES = 10  # per conversation, each delivered twice by different threads
PROCESS_CONVERSATIONS = 4


def delivery(conversation: int, message: int, *, edited: bool = False) -> bytes:
    payload = copy.deepcopy(fixture("message_created_incoming"))
    payload["id"] = conversation * 1000 + message
    payload["content"] = f"c{conversation} m{message}" + (" (edited)" if edited else "")
    payload["conversation"]["id"] = conversation
    payload["conversation"]["messages"] = []
    if edited:
        payload["event"] = "message_updated"
        payload["conversation"]["updated_at"] = 1627064000 + message
    return json.dumps(payload).encode()


def _library_writer(env: dict[str, str]) -> None:
    installation = Installation.open(load_settings(env))
    receiver = WebhookReceiver(installation)
    for conversation in range(900, 900 + PROCESS_CONVERSATIONS):
        for message in range(MESSAGES):
            receiver.receive(source=SOURCE, body=delivery(conversation, message))
    installation.engine.dispose()


def test_concurrent_deliveries_lose_nothing_and_the_log_verifies(
    installation: Installation, env: dict[str, str]
) -> None:
    bodies = [delivery(c, m) for c in range(CONVERSATIONS) for m in range(MESSAGES)]
    edits = [delivery(c, 0, edited=True) for c in range(CONVERSATIONS)]
    # Every delivery twice, the second copy from another thread; then one edit per conversation.
    work: list[list[bytes]] = [[] for _ in range(THREADS)]
    for index, body in enumerate(bodies):
        work[index % THREADS].append(body)
        work[(index + 3) % THREADS].append(body)
    for index, body in enumerate(edits):
        work[index % THREADS].append(body)

    server = make_server("127.0.0.1", 0, make_app(installation), threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    process = multiprocessing.get_context("spawn").Process(target=_library_writer, args=(env,))
    answers: Counter[tuple[int, str]] = Counter()
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def sender(bodies_of_thread: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        start.wait()
        try:
            for body in bodies_of_thread:
                conn.request(
                    "POST",
                    f"/hooks/chatwoot?source={SOURCE}",
                    body=body,
                    headers={"Content-Type": "application/json", "X-Auditkit-Token": SECRET},
                )
                response = conn.getresponse()
                answer: dict[str, Any] = json.loads(response.read())
                answers[(response.status, answer.get("status", ""))] += 1
        except BaseException as error:
            failures.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=sender, args=(w,)) for w in work]
    process.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    process.join(timeout=120)
    server.shutdown()

    assert not failures, failures[0]
    assert process.exitcode == 0
    assert answers[(200, "recorded")] + answers[(200, "duplicate")] == 2 * len(bodies) + len(edits)
    assert answers[(200, "duplicate")] >= len(bodies)  # every second copy appended nothing

    with installation.engine.connect() as conn:
        seqs = [s for (s,) in conn.execute(text("SELECT seq FROM log_entries ORDER BY seq"))]
        kinds = Counter(kind for (kind,) in conn.execute(text("SELECT kind FROM log_entries")))
        sizes = [
            s for (s,) in conn.execute(text("SELECT tree_size FROM checkpoints ORDER BY tree_size"))
        ]
        keys = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT conversation_key || ' ' || event_key) "
                "FROM conversation_events"
            )
        ).one()
    assert seqs == list(range(len(seqs)))
    total_conversations = CONVERSATIONS + PROCESS_CONVERSATIONS
    assert kinds["conversation.opened"] == total_conversations
    assert kinds["message"] == total_conversations * MESSAGES
    assert kinds["correction"] == CONVERSATIONS
    assert keys[0] == keys[1]
    for older, newer in itertools.pairwise(sizes):
        proof = prove_consistency(installation, older, newer)
        merkle.verify_consistency(older, newer, list(proof.proof), proof.root1, proof.root2)
    report = verify_ledger(installation)
    assert report.ok, report.problems
