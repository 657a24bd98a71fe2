"""Several processes appending at once keep seq dense and every checkpoint consistent."""

from __future__ import annotations

import itertools
import multiprocessing
from pathlib import Path

from sqlalchemy import text

from auditkit.ledger import merkle
from auditkit.ledger.installation import Installation
from auditkit.ledger.proofs import prove_consistency
from auditkit.ledger.verify import verify_ledger
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files
from tests.factories import make_conversation, write_jsonl

WRITERS = 4
FILES_PER_WRITER = 3


def _writer(env: dict[str, str], paths: list[str]) -> None:
    installation = Installation.open(load_settings(env))
    for path in paths:
        import_files(installation, [Path(path)], batch_conversations=2)
    installation.engine.dispose()


def test_concurrent_writer_processes_keep_seq_dense_and_checkpoints_consistent(
    installation: Installation, env: dict[str, str], tmp_path: Path
) -> None:
    jobs = []
    for w in range(WRITERS):
        paths = [
            str(
                write_jsonl(
                    tmp_path / f"w{w}-{f}.jsonl",
                    [make_conversation(f"w{w}-f{f}-c{c}") for c in range(5)],
                )
            )
            for f in range(FILES_PER_WRITER)
        ]
        jobs.append(multiprocessing.get_context("spawn").Process(target=_writer, args=(env, paths)))
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(timeout=120)
        assert job.exitcode == 0
    with installation.engine.connect() as conn:
        seqs = [s for (s,) in conn.execute(text("SELECT seq FROM log_entries ORDER BY seq"))]
        sizes = [
            s for (s,) in conn.execute(text("SELECT tree_size FROM checkpoints ORDER BY tree_size"))
        ]
        conversations = conn.execute(text("SELECT count(*) FROM conversations")).scalar_one()
    assert seqs == list(range(len(seqs)))
    assert conversations == WRITERS * FILES_PER_WRITER * 5
    assert len(sizes) >= WRITERS * FILES_PER_WRITER
    for older, newer in itertools.pairwise(sizes):
        proof = prove_consistency(installation, older, newer)
        merkle.verify_consistency(older, newer, list(proof.proof), proof.root1, proof.root2)
    report = verify_ledger(installation)
    assert report.ok, report.problems
