"""Witness cosignatures (c2sp.org/tlog-witness, tlog-cosignature) against a local witness
that follows the spec (tests/witness_double.py: no implementation installs offline)."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from pathlib import Path

import pytest

from auditkit.ledger.installation import Installation
from auditkit.settings import load_settings
from tests import tlog_reference as spec
from tests.bundles import resign_manifest
from tests.conftest import Cli
from tests.factories import DATA
from tests.go_tlog import go_verifier_fixture  # noqa: F401  (the go_verifier fixture)
from tests.witness_double import Witness, serving


def _log_vkey(run: Cli) -> str:
    return run("keys", "verifier").stdout.strip()


def _signed_size(run: Cli) -> int:
    """The newest checkpoint's tree size (an import may append more than its events)."""
    return int(run("checkpoint").stdout.split("\n")[1])


def test_a_cosigned_bundle_meets_quorum_one_and_not_two(
    run: Cli, tmp_path: Path, go_verifier_optional: Path | None
) -> None:
    run("init")
    vkey = _log_vkey(run)
    first, second = Witness("w1.example/w", vkey), Witness("w2.example/w", vkey)
    with serving(first) as url:
        added = run("witness", "add", first.vkey, url)
        assert "first one will be submitted" in added.output
        run("import", str(DATA / "demo" / "conversations.jsonl"))
        run("import", str(DATA / "abcd" / "abcd_sample.json"))  # a consistency proof this time
        out = tmp_path / "bundle"
        run("export", "--out", str(out), "--conversation", "nb-2024-10431")
    assert len(first.requests) >= 3  # one per checkpoint, each cosigned
    assert all(old > 0 for _, old in first.requests[1:])  # later ones came with a proof
    note = (out / "checkpoint.txt").read_text()
    assert spec.cosigners(note, [first.vkey]) == ["w1.example/w"]

    ok = run("verify-bundle", str(out), "--key", vkey, "--witness", first.vkey, "--quorum", "1")
    assert "cosigned by witnesses: w1.example/w" in ok.output
    short = run(
        "verify-bundle",
        str(out),
        "--key",
        vkey,
        "--witness",
        first.vkey,
        "--witness",
        second.vkey,
        "--quorum",
        "2",
        ok=False,
    )
    assert (
        short.exit_code == 1 and "1 valid witness cosignature(s), the quorum is 2" in short.output
    )

    # Every record's tlog-proof carries the cosigned checkpoint.
    record = (out / "records.jsonl").read_bytes().split(b"\n")[0]
    seq = json.loads(record)["seq"]
    proof = (out / "tlog-proofs" / f"{seq}.tlog-proof").read_text()
    index, proof_note = spec.check_tlog_proof(proof, record, vkey)
    assert index == seq and spec.cosigners(proof_note, [first.vkey]) == ["w1.example/w"]
    if go_verifier_optional is not None:  # every record's proof file, with Go's tlog
        for number, line in enumerate((out / "records.jsonl").read_bytes().splitlines()):
            entry = tmp_path / f"entry-{number}"
            entry.write_bytes(line)
            record_seq = json.loads(line)["seq"]
            checked = subprocess.run(
                [
                    str(go_verifier_optional),
                    "proof",
                    str(out / "tlog-proofs" / f"{record_seq}.tlog-proof"),
                    str(entry),
                    vkey,
                    first.vkey,
                ],
                capture_output=True,
                text=True,
            )
            assert checked.returncode == 0 and "1 cosignatures" in checked.stdout, checked.stderr

    # An altered cosignature is refused, not skipped.
    lines = note.split("\n")
    (at,) = [i for i, line in enumerate(lines) if line.startswith("\u2014 w1.example/w ")]
    name, blob = lines[at].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    lines[at] = f"{name} {base64.b64encode(bytes(raw)).decode()}"
    (out / "checkpoint.txt").write_text("\n".join(lines))
    manifest = json.loads((out / "manifest.json").read_text())
    import hashlib

    manifest["files"]["checkpoint.txt"] = hashlib.sha256(
        (out / "checkpoint.txt").read_bytes()
    ).hexdigest()
    (out / "manifest.json").write_text(json.dumps(manifest))
    resign_manifest(out, run.env)
    altered = run(
        "verify-bundle", str(out), "--key", vkey, "--witness", first.vkey, "--quorum", "1", ok=False
    )
    assert "cosignature of w1.example/w does not verify" in altered.output


def test_a_witness_that_is_down_never_blocks_ingestion(
    run: Cli, env: dict[str, str], tmp_path: Path, go_verifier_optional: Path | None
) -> None:
    run("init")
    vkey = _log_vkey(run)
    witness = Witness("w1.example/w", vkey)
    with serving(witness) as url:
        pass  # the port is closed again: the witness is down
    run("witness", "add", witness.vkey, url)
    started = time.monotonic()
    imported = run("import", str(DATA / "demo" / "conversations.jsonl"))
    assert "records appended" in imported.output
    size = _signed_size(run)
    assert time.monotonic() - started < 30
    status = run("witness", "status").output
    assert "cosigned size 0; last attempt failed: not reachable" in status
    assert run("verify").output.startswith("ok:")
    # Back up on another port: reconfigure the URL and submit now (retries skip back-off).
    with serving(witness) as url:
        conf = Path(env["AUDITKIT_HOME"]) / "witnesses" / "witnesses.conf"
        conf.write_text(f"{witness.vkey} {url}\n")
        submitted = run("witness", "submit")
        assert f"w1.example/w: ok, cosigned size {size}" in submitted.output
        assert f"cosigned size {size}" in run("witness", "status").output
        # The witness lost nothing and this log forgot its state: a 409 tells the size.
        (Path(env["AUDITKIT_HOME"]) / "witnesses" / "state.json").unlink()
        before = len(witness.requests)
        run("import", str(DATA / "abcd" / "abcd_sample.json"))
    # The first offer after the state was lost said old 0 (409), then old = the size given.
    assert [old for _, old in witness.requests[before : before + 2]] == [0, size]
    installation = Installation.open(load_settings(env))
    proof = run("prove", "3", "--format", "tlog-proof").stdout
    assert spec.cosigners(proof.split("\n\n", 1)[1], [witness.vkey]) == ["w1.example/w"]
    installation.engine.dispose()
    if go_verifier_optional is not None:
        (tmp_path / "p").mkdir()
        run("prove", "3", "--format", "tlog-proof", "--out", str(tmp_path / "p"))
        checked = subprocess.run(
            [
                str(go_verifier_optional),
                "proof",
                str(tmp_path / "p" / "3.tlog-proof"),
                str(tmp_path / "p" / "3.entry"),
                vkey,
                witness.vkey,
            ],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0 and "1 cosignatures" in checked.stdout, checked.stderr


@pytest.fixture
def go_verifier_optional(request: pytest.FixtureRequest) -> Path | None:
    """Go's verifier when it can be built here (it is required in test_tlog_tiles.py)."""
    try:
        return request.getfixturevalue("go_verifier")
    except pytest.skip.Exception:
        return None


def test_an_ml_dsa_44_witness_and_an_ed25519_one_make_a_quorum_of_two(
    run: Cli, tmp_path: Path
) -> None:
    run("init")
    vkey = _log_vkey(run)
    classic, quantum = Witness("w1.example/w", vkey), Witness("pq.example/w", vkey, mldsa=True)
    with serving(classic) as first_url, serving(quantum) as second_url:
        run("witness", "add", classic.vkey, first_url)
        run("witness", "add", quantum.vkey, second_url)
        run("import", str(DATA / "demo" / "conversations.jsonl"))
        run("import", str(DATA / "abcd" / "abcd_sample.json"))
        out = tmp_path / "bundle"
        run("export", "--out", str(out), "--conversation", "nb-2024-10431")
    note = (out / "checkpoint.txt").read_text()
    assert spec.cosigners(note, [classic.vkey, quantum.vkey]) == ["w1.example/w", "pq.example/w"]
    both = ["--witness", classic.vkey, "--witness", quantum.vkey]
    ok = run("verify-bundle", str(out), "--key", vkey, *both, "--quorum", "2")
    assert "cosigned by witnesses: w1.example/w, pq.example/w" in ok.output
    lines = note.split("\n")
    (at,) = [i for i, line in enumerate(lines) if line.startswith("\u2014 pq.example/w ")]
    name, blob = lines[at].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[20] ^= 1
    lines[at] = f"{name} {base64.b64encode(bytes(raw)).decode()}"
    (out / "checkpoint.txt").write_text("\n".join(lines))
    import hashlib

    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"]["checkpoint.txt"] = hashlib.sha256(
        (out / "checkpoint.txt").read_bytes()
    ).hexdigest()
    (out / "manifest.json").write_text(json.dumps(manifest))
    resign_manifest(out, run.env)
    altered = run("verify-bundle", str(out), "--key", vkey, *both, "--quorum", "1", ok=False)
    assert "cosignature of pq.example/w does not verify" in altered.output


def test_verify_asks_the_witnesses_what_they_cosigned(
    run: Cli, env: dict[str, str], tmp_path: Path
) -> None:
    """An attacker who rewrote the database and the checkpoint file is caught by the witness."""
    from sqlalchemy import text

    from auditkit.db.guards import drop_guards, install_guards
    from auditkit.ledger.tables import APPEND_ONLY_TABLES

    run("init")
    witness = Witness("w1.example/w", _log_vkey(run))
    with serving(witness) as url:
        run("witness", "add", witness.vkey, url)
        run("import", str(DATA / "demo" / "conversations.jsonl"))
        assert run("verify", "--ask-witnesses").output.startswith("ok:")
        run("import", str(DATA / "abcd" / "abcd_sample.json"))
        home = Path(env["AUDITKIT_HOME"])
        notes = (home / "checkpoints.log").read_text().split("\n\n")
        first = int(notes[0].split("\n")[1])  # the first checkpoint's size
        installation = Installation.open(load_settings(env))
        with installation.engine.begin() as conn:  # back to the first checkpoint
            drop_guards(conn, APPEND_ONLY_TABLES)
            conn.execute(text("DELETE FROM log_entries WHERE seq >= :s"), {"s": first})
            conn.execute(text("DELETE FROM checkpoints WHERE tree_size > :s"), {"s": first})
            for level, idx in conn.execute(text("SELECT level, idx FROM merkle_nodes")).all():
                if (idx + 1) << level > first:
                    conn.execute(
                        text("DELETE FROM merkle_nodes WHERE level = :l AND idx = :i"),
                        {"l": level, "i": idx},
                    )
            install_guards(conn, APPEND_ONLY_TABLES)
        installation.engine.dispose()
        (home / "checkpoints.log").write_text("\n\n".join(notes[:2]) + "\n\n")  # first only
        assert run("verify", "--skip-projections").output.startswith("ok:")
        caught = run("verify", "--skip-projections", "--ask-witnesses", ok=False)
    assert "witness w1.example/w's newest cosigned checkpoint: a signed checkpoint covers" in (
        caught.output
    )
    assert "(tail rollback)" in caught.output
    down = run("verify", "--skip-projections", "--ask-witnesses", ok=False)  # witness gone
    assert "witness w1.example/w: not reachable" in down.output


def test_the_cosigned_checkpoint_is_served_and_published(
    run: Cli, env: dict[str, str], tmp_path: Path
) -> None:
    from auditkit.web import create_app

    run("init")
    witness = Witness("w1.example/w", _log_vkey(run))
    with serving(witness) as url:
        run("witness", "add", witness.vkey, url)
        run("import", str(DATA / "demo" / "conversations.jsonl"))
    installation = Installation.open(load_settings(env))
    try:
        served = create_app(installation, secret_key=b"k" * 32).test_client().get("/log/checkpoint")
    finally:
        installation.engine.dispose()
    assert spec.cosigners(served.get_data(as_text=True), [witness.vkey]) == ["w1.example/w"]
    run("tiles", "write", str(tmp_path / "log"))
    published = (tmp_path / "log" / "checkpoint").read_text()
    assert published == served.get_data(as_text=True)
    assert spec.read_tiles(tmp_path / "log", _log_vkey(run))[0] == _signed_size(run)


def test_a_witness_that_answers_garbage_never_fails_an_import(run: Cli) -> None:
    import socket
    import threading

    run("init")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer_garbage() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                connection.sendall(b"NOT HTTP AT ALL\r\n\r\n")

    threading.Thread(target=answer_garbage, daemon=True).start()
    try:
        witness = Witness("w1.example/w", _log_vkey(run))
        run("witness", "add", witness.vkey, f"http://127.0.0.1:{listener.getsockname()[1]}")
        assert (
            "records appended" in run("import", str(DATA / "demo" / "conversations.jsonl")).output
        )
        assert (
            "last attempt failed: not reachable: BadStatusLine" in run("witness", "status").output
        )
    finally:
        listener.close()
