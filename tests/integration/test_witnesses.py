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
from tests.conftest import Cli
from tests.factories import DATA
from tests.go_tlog import go_verifier_fixture  # noqa: F401  (the go_verifier fixture)
from tests.witness_double import Witness, serving


def _log_vkey(run: Cli) -> str:
    return run("keys", "verifier").stdout.strip()


def test_a_cosigned_bundle_meets_quorum_one_and_not_two(run: Cli, tmp_path: Path) -> None:
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
    assert [status for status, _ in first.requests] == [0, 0, 0]
    assert [old for _, old in first.requests][1] > 0  # the second came with a proof from old
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
    assert "240 records appended" in imported.output
    assert time.monotonic() - started < 30
    status = run("witness", "status").output
    assert "cosigned size 0; last attempt failed: not reachable" in status
    assert run("verify").output.startswith("ok:")
    # Back up on another port: reconfigure the URL and submit now (retries skip back-off).
    with serving(witness) as url:
        conf = Path(env["AUDITKIT_HOME"]) / "witnesses" / "witnesses.conf"
        conf.write_text(f"{witness.vkey} {url}\n")
        submitted = run("witness", "submit")
        assert "w1.example/w: ok, cosigned size 240" in submitted.output
        assert "cosigned size 240" in run("witness", "status").output
        # The witness lost nothing and this log forgot its state: a 409 tells the size.
        (Path(env["AUDITKIT_HOME"]) / "witnesses" / "state.json").unlink()
        run("import", str(DATA / "abcd" / "abcd_sample.json"))
    assert [status for status, _ in witness.requests][-2:] == [0, 0]
    assert witness.requests[-1][1] == 240  # retried from the size the 409 gave
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
    altered = run("verify-bundle", str(out), "--key", vkey, *both, "--quorum", "1", ok=False)
    assert "cosignature of pq.example/w does not verify" in altered.output
