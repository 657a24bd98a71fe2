"""Tamper evidence without gaps: what a database writer does that verify used to miss."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from auditkit.db.guards import drop_guards, install_guards
from auditkit.ledger.access import AccessAction, access_record
from auditkit.ledger.append import append_records
from auditkit.ledger.export.bundle import ExportScope, export_bundle
from auditkit.ledger.export.bundle_verifier import BundleError, verify_bundle
from auditkit.ledger.installation import Installation
from auditkit.ledger.tables import APPEND_ONLY_TABLES
from auditkit.ledger.tlog.checkpoint_file import checkpoint_file_path
from auditkit.ledger.verify import verify_ledger
from auditkit.periods import utc_now
from auditkit.sources.ingest import import_files
from tests.bundles import resign_manifest
from tests.conftest import Cli
from tests.factories import DATA


def _behind_the_back(installation: Installation, change) -> None:  # type: ignore[no-untyped-def]
    with installation.engine.begin() as conn:
        drop_guards(conn, APPEND_ONLY_TABLES)
        change(conn)
        install_guards(conn, APPEND_ONLY_TABLES)


def _reveals(installation: Installation, count: int) -> None:
    """Newest records worth hiding: reveals of personal data, one batch each."""
    for number in range(count):
        append_records(
            installation,
            [
                access_record(
                    AccessAction.REVEAL,
                    actor="mallory",
                    occurred_at=utc_now(),
                    reason=f"look {number}",
                )
            ],
        )


def _roll_back_to(size: int):  # type: ignore[no-untyped-def]
    """Delete every record from ``size`` on, with the checkpoints and nodes that cover them."""

    def change(conn: Connection) -> None:
        conn.execute(text("DELETE FROM log_entries WHERE seq >= :s"), {"s": size})
        conn.execute(text("DELETE FROM checkpoints WHERE tree_size > :s"), {"s": size})
        rows = conn.execute(text("SELECT level, idx FROM merkle_nodes")).all()
        for level, idx in rows:
            if (idx + 1) << level > size:
                conn.execute(
                    text("DELETE FROM merkle_nodes WHERE level = :l AND idx = :i"),
                    {"l": level, "i": idx},
                )

    return change


def _size(installation: Installation) -> int:
    with installation.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM log_entries")).scalar_one())


def test_rolling_back_the_tail_is_caught_by_the_checkpoint_file(installation: Installation) -> None:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    kept = _size(installation)
    _reveals(installation, 3)
    assert verify_ledger(installation).ok
    _behind_the_back(installation, _roll_back_to(kept))
    report = verify_ledger(installation)
    assert not report.ok
    (problem,) = report.problems
    assert f"covers {kept + 3} records but the log holds only {kept}" in problem.reason
    assert "tail rollback" in problem.reason
    # Without the copy outside the database, the rolled-back log is self-consistent.
    checkpoint_file_path(installation).unlink()
    assert verify_ledger(installation).ok


def test_a_rolled_back_tail_replaced_by_new_records_is_caught(installation: Installation) -> None:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    kept = _size(installation)
    _reveals(installation, 2)
    _behind_the_back(installation, _roll_back_to(kept))
    _reveals(installation, 3)  # the log grows past the old size again, with other records
    report = verify_ledger(installation)
    assert any("no longer have the root hash" in p.reason for p in report.problems)


def test_verify_checkpoint_checks_the_log_against_an_auditors_checkpoint(
    run: Cli, env: dict[str, str], tmp_path: Path
) -> None:
    run("init")
    run("import", str(DATA / "demo" / "conversations.jsonl"))
    kept = tmp_path / "auditor.checkpoint"
    kept.write_text(run("checkpoint").stdout)
    agreed = run("verify", "--checkpoint", str(kept)).output
    assert agreed.startswith("ok:")
    assert f"agrees with the copies kept outside the database: {env['AUDITKIT_HOME']}" in agreed
    assert f"{kept} (1 checkpoints)" in agreed
    from auditkit.settings import load_settings

    installation = Installation.open(load_settings(env))
    size = _size(installation)
    _reveals(installation, 1)
    _behind_the_back(installation, _roll_back_to(size - 5))
    (Path(env["AUDITKIT_HOME"]) / "checkpoints.log").unlink()  # the attacker reached it too
    installation.engine.dispose()
    refused = run("verify", "--checkpoint", str(kept), "--skip-projections", ok=False)
    assert refused.exit_code == 1
    assert f"{kept} note 1: a signed checkpoint covers {size} records" in refused.output
    forged = tmp_path / "forged.checkpoint"
    forged.write_text(kept.read_text().replace(f"\n{size}\n", f"\n{size - 5}\n", 1))
    bad = run("verify", "--checkpoint", str(forged), "--skip-projections", ok=False)
    assert "signature by known key" in bad.output and "does not verify" in bad.output


@pytest.fixture
def bundle(installation: Installation, tmp_path: Path) -> Path:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    out = tmp_path / "bundle"
    export_bundle(installation, out, ExportScope(conversations=("nb-2024-10431",)))
    return out


def _drop_record(bundle: Path, line: int, installation: Installation) -> None:
    """Leave one record (and its proof) out and make the manifest agree."""
    import hashlib

    for name in ("records.jsonl", "proofs.jsonl"):
        lines = (bundle / name).read_bytes().split(b"\n")
        del lines[line]
        (bundle / name).write_bytes(b"\n".join(lines))
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["record_count"] -= 1
    for name in manifest["files"]:
        manifest["files"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    resign_manifest(bundle, installation)


def test_a_bundle_with_a_record_left_out_is_refused(
    bundle: Path, installation: Installation
) -> None:
    stated = len((bundle / "records.jsonl").read_bytes().splitlines())
    _drop_record(bundle, 3, installation)
    with pytest.raises(BundleError, match=f"says {stated}: records were left out"):
        verify_bundle(bundle)


def test_a_bundle_with_a_record_outside_its_scope_is_refused(
    installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    out = tmp_path / "bundle"
    export_bundle(installation, out, ExportScope(conversations=("nb-2024-10431",)))
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["scope"]["conversations"] = ["another"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    resign_manifest(out, installation)
    with pytest.raises(BundleError, match="scope differs"):
        verify_bundle(out)


def test_verify_bundle_without_a_key_says_whose_key_and_fails(
    bundle: Path, run: Cli, env: dict[str, str], tmp_path: Path
) -> None:
    elsewhere = {**env, "AUDITKIT_HOME": str(tmp_path / "auditor-home")}
    untrusted = Cli(elsewhere)("verify-bundle", str(bundle), ok=False)
    assert untrusted.exit_code == 1
    assert "verified against the bundle's own key" in untrusted.output
    assert "compare it with the key you were given" in untrusted.output
    vkey = (bundle / "verifier.key").read_text().strip()
    assert Cli(elsewhere)("verify-bundle", str(bundle), "--key", vkey).output.startswith("ok:")
    assert "trusted by this installation" in run("verify-bundle", str(bundle)).output
    script = subprocess.run(
        [sys.executable, str(bundle / "verify.py"), str(bundle)], capture_output=True, text=True
    )
    assert script.returncode == 1 and "bundle's own key" in script.stderr


def test_a_one_byte_wrapped_key_is_named_not_a_traceback(installation: Installation) -> None:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    with installation.engine.connect() as conn:
        subject = conn.execute(text("SELECT subject FROM subject_keys LIMIT 1")).scalar_one()

    def shrink(conn: Connection) -> None:
        conn.execute(
            text("UPDATE subject_keys SET wrapped_key = :k WHERE subject = :s"),
            {"k": b"\x01", "s": subject},
        )

    _behind_the_back(installation, shrink)
    report = verify_ledger(installation)
    assert not report.ok
    (problem,) = report.problems
    assert f"subject_keys row of subject {subject!r}: wrapped_key is 1 bytes" in problem.reason
    assert problem.seq is not None


def test_the_checkpoint_file_is_private_and_append_only(installation: Installation) -> None:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    path = checkpoint_file_path(installation)
    first = path.read_bytes()
    _reveals(installation, 1)
    assert path.read_bytes().startswith(first)
    assert path.stat().st_mode & 0o777 == 0o600
    shutil.copy(path, path.with_suffix(".bak"))


def test_a_bundle_without_tlog_proofs_verifies_and_a_removed_folder_is_noticed(
    installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    lean = tmp_path / "lean"
    export_bundle(installation, lean, ExportScope(), tlog_proofs=False)
    assert not (lean / "tlog-proofs").exists()
    assert "tlog_proofs" not in json.loads((lean / "manifest.json").read_text())
    assert verify_bundle(lean).records == _size(installation)
    full = tmp_path / "full"
    export_bundle(installation, full, ExportScope())
    shutil.rmtree(full / "tlog-proofs")
    with pytest.raises(BundleError, match=r"tlog-proofs/\d+\.tlog-proof: cannot read"):
        verify_bundle(full)


def test_a_checkpoint_file_that_cannot_be_written_never_fails_an_append(
    installation: Installation, caplog: pytest.LogCaptureFixture
) -> None:
    path = checkpoint_file_path(installation)
    path.unlink(missing_ok=True)
    path.mkdir()  # not writable as a file
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    assert _size(installation) == 240
    assert "could not append the checkpoint" in caplog.text
