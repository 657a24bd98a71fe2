"""The command line end to end: init, import, verify, prove, checkpoint, keys, export, verify-bundle."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from auditkit.ledger import merkle
from auditkit.ledger.checkpoint import parse_checkpoint
from tests.conftest import Cli
from tests.factories import DATA


def test_init_is_idempotent_and_reports_the_key(run: Cli) -> None:
    first = run("init")
    assert "created signing key" in first.output
    second = run("init")
    assert "already present" in second.output


def test_import_verify_prove_checkpoint(run: Cli) -> None:
    run("init")
    imported = run("import", str(DATA / "demo" / "conversations.jsonl"))
    assert "new" in imported.output
    verified = run("verify")
    assert verified.output.startswith("ok:")
    proof = json.loads(run("prove", "3").stdout)
    leaf = merkle.leaf_hash(proof["record"].encode())
    merkle.verify_inclusion(
        leaf,
        3,
        proof["tree_size"],
        [base64.b64decode(p) for p in proof["proof"]],
        base64.b64decode(proof["root_hash"]),
    )
    note = run("checkpoint").stdout
    body = note.split("\n\n")[0] + "\n"
    assert parse_checkpoint(body).size == proof["tree_size"]
    again = run("import", str(DATA / "demo" / "conversations.jsonl"))
    assert "nothing new" in again.output


def test_export_and_verify_bundle(run: Cli, tmp_path: Path) -> None:
    run("init")
    run("import", str(DATA / "abcd" / "abcd_sample.json"))
    out = tmp_path / "bundle"
    exported = run("export", "--out", str(out), "--conversation", "abcd-3592")
    assert "manifest sha256" in exported.output
    checked = run("verify-bundle", str(out))
    assert checked.output.startswith("ok:")
    vkey = run("keys", "verifier").stdout.strip()
    run("verify-bundle", str(out), "--key", vkey)
    (out / "records.jsonl").write_bytes(
        (out / "records.jsonl").read_bytes().replace(b'"v":1', b'"v":2', 1)
    )
    refused = run("verify-bundle", str(out), ok=False)
    assert refused.exit_code == 1
    assert "NOT verified" in refused.output


def test_keys_rotate_keeps_old_checkpoints_verifiable(run: Cli) -> None:
    run("init")
    run("import", str(DATA / "abcd" / "abcd_sample.json"))
    rotated = run("keys", "rotate")
    assert "new signing key" in rotated.output
    run("import", str(DATA / "demo" / "conversations.jsonl"))
    listed = run("keys", "list").output.splitlines()
    assert len(listed) == 2 and listed[1].startswith("*")
    assert run("verify").output.startswith("ok:")
    run("consistency", "76")


def test_commands_before_init_say_what_to_do(run: Cli) -> None:
    result = run("verify", ok=False)
    assert result.exit_code == 1
    assert "auditkit init" in result.output


def test_a_bad_file_is_refused_with_file_line_and_reason(run: Cli, tmp_path: Path) -> None:
    run("init")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"conversation_id": 5}\n', encoding="utf-8")
    result = run("import", str(bad), ok=False)
    assert result.exit_code == 1
    assert f"{bad}:1:" in result.output


def test_wrong_passphrase_is_a_clear_error(run: Cli) -> None:
    run("init")
    run.env = {**run.env, "AUDITKIT_KEY_PASSPHRASE": "not the passphrase"}
    result = run("import", str(DATA / "abcd" / "abcd_sample.json"), ok=False)
    assert result.exit_code == 1
    assert "cannot decrypt signing key" in result.output


def test_missing_passphrase_is_a_clear_error(run: Cli) -> None:
    run.env = {**run.env, "AUDITKIT_KEY_PASSPHRASE": ""}
    result = run("init", ok=False)
    assert result.exit_code == 1
    assert "AUDITKIT_KEY_PASSPHRASE" in result.output


def test_prove_of_an_unknown_seq_is_refused(run: Cli) -> None:
    run("init")
    run("import", str(DATA / "abcd" / "abcd_sample.json"))
    result = run("prove", "100000", ok=False)
    assert result.exit_code == 1
    assert "seq 100000" in result.output


def test_export_with_a_bad_date_is_refused(run: Cli, tmp_path: Path) -> None:
    run("init")
    result = run("export", "--out", str(tmp_path / "x"), "--since", "yesterday", ok=False)
    assert result.exit_code == 2
    assert "--since" in result.output


def test_erase_hold_and_retention_from_the_command_line(run: Cli) -> None:
    run.env = {**run.env, "AUDITKIT_SEALING": "on"}
    run("init")
    run("import", str(DATA / "demo" / "conversations.jsonl"))
    placed = run("hold", "add", "--subject", "cust-maria-gonzalez", "--reason", "litigation")
    assert "legal hold #1" in placed.output
    assert "cust-maria-gonzalez" in run("hold", "list").output
    run.env = {**run.env, "AUDITKIT_NEW_USER_PASSWORD": "correct-horse-battery"}
    for officer in ("cora", "dora"):
        run("users", "add", officer, "--role", "compliance_officer")
    # Each step signs in as its officer: no password, or a wrong one, records nothing.
    unsigned = run("erasure", "request", "--subject", "cust-maria-gonzalez", "--reason",
                   "GDPR art. 17 request DSAR-0042", "--as", "cora", ok=False)  # fmt: skip
    assert unsigned.exit_code == 1 and "need its password" in unsigned.output
    run.env = {**run.env, "AUDITKIT_PASSWORD": "not-coras-password"}
    wrong = run("erasure", "request", "--subject", "cust-maria-gonzalez", "--reason",
                "GDPR art. 17 request DSAR-0042", "--as", "cora", ok=False)  # fmt: skip
    assert wrong.exit_code == 1 and "cora: wrong password; nothing was recorded" in wrong.output
    assert run("erasure", "list", "--as", "cora", ok=False).exit_code == 1
    run.env = {**run.env, "AUDITKIT_PASSWORD": "correct-horse-battery"}
    assert run("erasure", "list", "--as", "cora").output.strip() == "no erasure requests"
    # Direct erasure is refused since four-eyes: it names the way through.
    direct = run("erase", "--subject", "cust-maria-gonzalez", "--reason", "request", ok=False)
    assert direct.exit_code == 1 and "needs an approved request (four-eyes)" in direct.output
    asked = run(
        "erasure", "request", "--subject", "cust-maria-gonzalez", "--reason",
        "GDPR art. 17 request DSAR-0042", "--as", "cora",
    )  # fmt: skip
    assert "erasure request #1" in asked.output
    own = run("erasure", "approve", "1", "--as", "cora", ok=False)
    assert own.exit_code == 1 and "a second compliance officer must approve it" in own.output
    early = run("erase", "--request", "1", "--as", "cora", ok=False)
    assert early.exit_code == 1 and "only an approved request" in early.output
    run.env = {**run.env, "AUDITKIT_ACTOR": "dora"}  # --as defaults to AUDITKIT_ACTOR
    assert "approved by dora" in run("erasure", "approve", "1").output
    assert "#1  approved  cust-maria-gonzalez" in run("erasure", "list", "--open").output
    refused = run("erasure", "carry-out", "1", ok=False)
    assert refused.exit_code == 1 and "legal hold" in refused.output
    run("hold", "remove", "1", "--reason", "case closed")
    erased = run("erase", "--request", "1", "--as", "cora")
    assert "erased cust-maria-gonzalez (request #1, approved by dora)" in erased.output
    assert "carried out by cora" in run("erasure", "list").output
    nobody = run("erasure", "list", "--as", "nobody", ok=False)
    assert nobody.exit_code == 1 and "no user 'nobody'" in nobody.output
    assert run("retention", "apply", "--dry-run").output.strip().endswith("still within retention")
    assert "re-wrapped" in run("keys", "rotate-master").output
    assert run("verify").output.startswith("ok:")


def test_check_and_findings_from_the_command_line(run: Cli) -> None:
    run("init")
    run("import", str(DATA / "demo" / "conversations.jsonl"))
    first = run("check")
    assert "results recorded" in first.output and "identity-validation" in first.output
    again = run("check", "--policy", "identity-validation")
    assert "0 results recorded" in again.output
    found = run("findings", "--policy", "identity-validation")
    assert "nb-2024-10502" in found.output and "seq" in found.output
    refused = run("check", "--policy", "nope", ok=False)
    assert refused.exit_code == 1 and "unknown policy" in refused.output
