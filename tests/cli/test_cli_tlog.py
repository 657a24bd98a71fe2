"""``tiles``, ``witness``, ``prove --format tlog-proof`` and ``verify --checkpoint`` refuse bad
input with a clear message, and change nothing when they do."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli
from tests.factories import DATA, make_conversation, write_jsonl
from tests.witness_double import Witness


def test_witness_add_refuses_bad_keys_and_urls(run: Cli, env: dict[str, str]) -> None:
    run("init")
    log_vkey = run("keys", "verifier").stdout.strip()
    good = Witness("w.example/1", log_vkey).vkey
    cases = {
        "not-a-key": "is not <name>+<key id>+<key>",
        log_vkey: "not an Ed25519 cosignature key (type 0x04",  # a log key, type 0x01
        good.replace("+", "+0", 1)[:-1]: "bad hex key id or base64 key",
        good[: good.index("+") + 1] + "00000000" + good[good.index("+") + 9 :]: "does not match",
    }
    for vkey, reason in cases.items():
        refused = run("witness", "add", vkey, "https://w.example", ok=False)
        assert refused.exit_code == 1 and reason in refused.output, (vkey, refused.output)
    refused = run("witness", "add", good, "ftp://w.example", ok=False)
    assert "is not an http(s) URL" in refused.output
    assert not (Path(env["AUDITKIT_HOME"]) / "witnesses" / "witnesses.conf").exists()
    run("witness", "add", good, "https://w.example")
    again = run("witness", "add", good, "https://other.example", ok=False)
    assert "already configured" in again.output
    conf = (Path(env["AUDITKIT_HOME"]) / "witnesses" / "witnesses.conf").read_text()
    assert conf.count("\n") == 1


def test_tiles_write_refuses_a_file_and_a_log_without_checkpoint(run: Cli, tmp_path: Path) -> None:
    run("init")
    empty = run("tiles", "write", str(tmp_path / "log"), ok=False)
    assert "no checkpoint has been signed yet" in empty.output
    run("import", str(DATA / "demo" / "conversations.jsonl"))
    (tmp_path / "file").write_text("x")
    refused = run("tiles", "write", str(tmp_path / "file"), ok=False)
    assert refused.exit_code != 0 and "file" in refused.output


def test_an_entry_too_large_for_a_bundle_is_reported_not_written(run: Cli, tmp_path: Path) -> None:
    run("init")
    conversation = make_conversation("big-1")
    conversation["events"][1]["text"] = "word " * 14000  # a 70 kB record
    run("import", str(write_jsonl(tmp_path / "big.jsonl", [conversation])))
    written = run("tiles", "write", str(tmp_path / "log"))
    assert "entry bundle not written: tile/entries/000.p/" in written.output
    assert "bytes an entry bundle can carry" in written.output
    assert not (tmp_path / "log" / "tile" / "entries").exists()
    assert list((tmp_path / "log" / "tile" / "0").iterdir())  # hash tiles are there
    assert run("verify").output.startswith("ok:")


def test_prove_as_tlog_proof_refuses_a_seq_beyond_the_log(run: Cli) -> None:
    run("init")
    run("import", str(DATA / "demo" / "conversations.jsonl"))
    refused = run("prove", "100000", "--format", "tlog-proof", ok=False)
    assert "seq 100000 is not in the checkpointed tree" in refused.output


def test_verify_refuses_a_checkpoint_file_that_is_not_one(run: Cli, tmp_path: Path) -> None:
    run("init")
    run("import", str(DATA / "demo" / "conversations.jsonl"))
    garbage = tmp_path / "garbage"
    garbage.write_text("hello\n")
    refused = run("verify", "--checkpoint", str(garbage), ok=False)
    assert f"{garbage}: ends inside a checkpoint" in refused.output
    other = tmp_path / "other"
    other.write_text("elsewhere.example/log\n1\n" + "A" * 43 + "=\n\n\u2014 x AAAAAAA=\n")
    refused = run("verify", "--checkpoint", str(other), ok=False)
    assert "not signed by any known key" in refused.output
