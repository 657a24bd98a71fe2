"""Export bundles carry a redacted transcript per conversation, each entry naming its seq;
the signed export record and the manifest cover those files, so a changed one is refused."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from auditkit.reports import render_transcript
from sqlalchemy import text

from auditkit.ledger.export.bundle import ExportRefused, ExportScope, export_bundle
from auditkit.ledger.export.bundle_verifier import BundleError, verify_bundle
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import TEXT_KINDS
from auditkit.reporting.transcripts import file_names, safe_name, transcript_files
from auditkit.sources.ingest import import_files
from tests.bundles import resign_manifest
from tests.conftest import Cli
from tests.factories import DATA

KEY = "nb-2024-10431"
DEMO = DATA / "demo" / "conversations.jsonl"
SEQ = re.compile(r'data-seq="(\d+)"')


def _demo(key: str) -> dict:
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        conversation = json.loads(line)
        if conversation["conversation_id"] == key:
            return conversation
    raise AssertionError(key)


def _export(installation: Installation, out: Path, scope: ExportScope) -> None:
    export_bundle(
        installation, out, scope, extra_files=transcript_files(installation, render_transcript)
    )


@pytest.fixture
def bundle(installation: Installation, tmp_path: Path) -> Path:
    import_files(installation, [DEMO])
    out = tmp_path / "bundle"
    _export(installation, out, ExportScope(conversations=(KEY,)))
    return out


def _key(bundle: Path) -> str:
    return (bundle / "verifier.key").read_text(encoding="utf-8").strip()


def _records(bundle: Path) -> dict[int, dict]:
    lines = (bundle / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["seq"]: r for r in map(json.loads, lines)}


def test_each_transcript_entry_names_a_seq_the_bundle_proves(bundle: Path) -> None:
    summary = verify_bundle(bundle)
    page = (bundle / "transcripts" / f"{KEY}.html").read_text(encoding="utf-8")
    assert "<style>" in page and "<link" not in page and "<script" not in page
    records = _records(bundle)
    named = [int(s) for s in SEQ.findall(page)]
    assert named == sorted(named) and named
    assert set(named) <= set(records)
    for seq in named:
        assert (bundle / "tlog-proofs" / f"{seq}.tlog-proof").is_file()
        assert f'href="../tlog-proofs/{seq}.tlog-proof"' in page
    messages = [s for s, r in records.items() if r["kind"] in TEXT_KINDS]
    assert messages and set(messages) <= set(named)  # every message and note is shown
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256(page.encode("utf-8")).hexdigest()
    assert manifest["files"][f"transcripts/{KEY}.html"] == digest
    export = records[max(records)]
    assert export["body"]["files"] == {f"transcripts/{KEY}.html": digest}
    assert summary.records == len(records)
    shipped = subprocess.run(
        [sys.executable, str(bundle / "verify.py"), str(bundle), "--key", _key(bundle)],
        capture_output=True,
        text=True,
    )
    assert shipped.returncode == 0, shipped.stderr


def test_the_transcript_shows_staff_by_name_and_masks_the_customer(bundle: Path) -> None:
    page = (bundle / "transcripts" / f"{KEY}.html").read_text(encoding="utf-8")
    demo = _demo(KEY)
    customer = next(p for p in demo["participants"] if p["role"] == "customer")
    for secret in (customer["name"], customer["email"], customer["phone"], "González", "Maria"):
        assert secret not in page, secret
    assert "Amara Okafor" in page  # staff names are shown clear
    assert "Customer" in page
    records = _records(bundle)
    # a customer message's block names its seq, the role, and a redacted text
    first_customer = next(
        s
        for s, r in records.items()
        if r["kind"] == "message" and r["body"].get("author") == customer["id"]
    )
    block = page.split(f'data-seq="{first_customer}"', 1)[1].split("</div>\n</div>", 1)[0]
    assert "(customer)" in block and "Lumen Electronics" in block


def test_a_changed_transcript_is_refused(bundle: Path, run: Cli) -> None:
    page = bundle / "transcripts" / f"{KEY}.html"
    page.write_text(page.read_text(encoding="utf-8").replace("Amara", "Someone"), encoding="utf-8")
    with pytest.raises(BundleError, match=re.escape(f"transcripts/{KEY}.html: SHA-256 differs")):
        verify_bundle(bundle)
    refused = run("verify-bundle", str(bundle), ok=False)
    assert refused.exit_code != 0
    assert "SHA-256 differs" in refused.output
    shipped = subprocess.run(
        [sys.executable, str(bundle / "verify.py"), str(bundle), "--key", _key(bundle)],
        capture_output=True,
        text=True,
    )
    assert shipped.returncode != 0
    assert "SHA-256 differs" in shipped.stdout + shipped.stderr


def test_a_transcript_whose_manifest_entry_was_rewritten_is_refused(
    bundle: Path, installation: Installation
) -> None:
    page = bundle / "transcripts" / f"{KEY}.html"
    changed = page.read_bytes().replace(b"Amara", b"Someone")
    page.write_bytes(changed)
    manifest_path = bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["files"][f"transcripts/{KEY}.html"] = hashlib.sha256(changed).hexdigest()
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    resign_manifest(bundle, installation)
    with pytest.raises(BundleError, match="signed export record"):
        verify_bundle(bundle)


def test_added_or_removed_transcripts_are_refused(bundle: Path) -> None:
    extra = bundle / "transcripts" / "planted.html"
    extra.write_text("<p>not from the ledger</p>", encoding="utf-8")
    with pytest.raises(BundleError, match=r"transcripts/planted\.html: not listed"):
        verify_bundle(bundle)
    extra.unlink()
    (bundle / "transcripts" / f"{KEY}.html").unlink()
    with pytest.raises(BundleError, match="cannot read"):
        verify_bundle(bundle)


def test_a_time_scope_shows_only_the_events_in_the_bundle(
    installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [DEMO])
    since = datetime(2024, 3, 4, 9, 13, tzinfo=UTC)
    until = datetime(2024, 3, 4, 9, 20, tzinfo=UTC)
    out = tmp_path / "window"
    _export(installation, out, ExportScope(since=since, until=until))
    verify_bundle(out)
    records = _records(out)
    pages = sorted((out / "transcripts").glob("*.html"))
    assert pages
    for path in pages:
        named = {int(s) for s in SEQ.findall(path.read_text(encoding="utf-8"))}
        assert named <= set(records), path.name


def test_bad_extra_file_names_are_refused_before_anything_is_recorded(
    installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [DEMO])

    def count() -> int:
        with installation.engine.connect() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM log_entries")).scalar_one())

    before = count()
    for name in ("top.html", "../escape/x.html", "tlog-proofs/1.tlog-proof", "a//b", "/abs/x"):
        with pytest.raises(ExportRefused, match="not a path inside a sub-folder"):
            export_bundle(
                installation,
                tmp_path / "out",
                ExportScope(conversations=(KEY,)),
                extra_files=lambda seqs, name=name: {name: b"x"},
            )
        assert not (tmp_path / "out").exists()
    assert count() == before


def test_file_names_are_safe_and_unique() -> None:
    assert safe_name("nb-2024-10431") == "nb-2024-10431"
    assert safe_name("../../etc/passwd") == "etc_passwd"
    names = file_names(["a/b", "a b", "A?b"])
    assert len(set(names.values())) == 3
    assert all(n.startswith("transcripts/") and n.count("/") == 1 for n in names.values())


def test_the_cli_export_writes_transcripts_and_can_leave_them_out(run: Cli, tmp_path: Path) -> None:
    run("init")
    run("import", str(DEMO))
    run("export", "--out", str(tmp_path / "with"), "--conversation", KEY)
    assert (tmp_path / "with" / "transcripts" / f"{KEY}.html").is_file()
    run("verify-bundle", str(tmp_path / "with"))
    run("export", "--out", str(tmp_path / "without"), "--conversation", KEY, "--no-transcripts")
    assert not (tmp_path / "without" / "transcripts").exists()
    run("verify-bundle", str(tmp_path / "without"))


def _export_records(installation: Installation) -> list[dict]:
    with installation.engine.connect() as conn:
        rows = conn.execute(text("SELECT entry FROM log_entries WHERE kind = 'access'")).all()
    bodies = [json.loads(bytes(row[0]))["body"] for row in rows]
    return [b for b in bodies if b["action"] == "export"]


def test_a_clear_export_needs_a_reason_and_records_it(
    installation: Installation, run: Cli, tmp_path: Path
) -> None:
    run("import", str(DEMO))
    customer = next(p for p in _demo(KEY)["participants"] if p["role"] == "customer")
    for args, code, message in [
        (["--clear"], 1, "--reason: a clear-text export needs a reason"),
        (["--clear", "--reason", "because"], 1, "--reason: a clear-text export needs a reason"),
        (["--reason", "a long enough reason"], 2, "--reason is only for --clear"),
        (
            ["--clear", "--no-transcripts", "--reason", "x" * 20],
            2,
            "--clear is for the transcripts",
        ),
    ]:
        refused = run(
            "export", "--out", str(tmp_path / "no"), "--conversation", KEY, *args, ok=False
        )
        assert refused.exit_code == code, refused.output
        assert message in refused.output
        assert not (tmp_path / "no").exists()
    assert _export_records(installation) == []

    reason = "subject access request   SAR-2024-117"
    out = tmp_path / "clear"
    run("export", "--out", str(out), "--conversation", KEY, "--clear", "--reason", reason)
    page = (out / "transcripts" / f"{KEY}.html").read_text(encoding="utf-8")
    assert customer["name"] in page and "Clear text, not redacted" in page
    (recorded,) = _export_records(installation)
    assert recorded["transcripts"] == "clear"
    assert recorded["clear_reason"] == "subject access request SAR-2024-117"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert recorded["files"] == {n: d for n, d in manifest["files"].items() if "/" in n}
    bundle_export = _records(out)[max(_records(out))]
    assert bundle_export["body"]["clear_reason"] == recorded["clear_reason"]
    run("verify-bundle", str(out))


def test_export_details_may_not_override_the_export_record(
    installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [DEMO])
    with pytest.raises(ExportRefused, match="may not set records, scope"):
        export_bundle(
            installation,
            tmp_path / "out",
            ExportScope(conversations=(KEY,)),
            details={"scope": {}, "records": 1},
        )
    assert not (tmp_path / "out").exists()


def test_a_transcript_planted_in_a_bundle_written_without_any_is_refused(
    installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [DEMO])
    out = tmp_path / "plain"
    export_bundle(installation, out, ExportScope(conversations=(KEY,)))
    verify_bundle(out)
    (out / "transcripts").mkdir()
    (out / "transcripts" / f"{KEY}.html").write_text("<p>invented</p>", encoding="utf-8")
    with pytest.raises(BundleError, match="not listed in the manifest"):
        verify_bundle(out)
