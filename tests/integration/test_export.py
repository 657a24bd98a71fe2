"""Export bundles prove their records offline, and every export is itself a record."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from auditkit.errors import AuditkitError, NotFound
from auditkit.ledger.export.bundle import ExportScope, export_bundle
from auditkit.ledger.export.bundle_verifier import BundleError, verify_bundle
from auditkit.ledger.installation import Installation
from auditkit.ledger.keys import rotate_key
from auditkit.ledger.verify import verify_ledger
from auditkit.sources.ingest import import_files
from tests.bundles import resign_manifest
from tests.factories import DATA

_SIGNED_BY: dict[Path, Installation] = {}


@pytest.fixture
def bundle(installation: Installation, tmp_path: Path) -> Path:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    out = tmp_path / "bundle"
    export_bundle(installation, out, ExportScope(conversations=("nb-2024-10431",)))
    _SIGNED_BY[out] = installation
    return out


def test_bundle_verifies_offline_and_with_the_shipped_script(bundle: Path) -> None:
    summary = verify_bundle(bundle)
    records = (bundle / "records.jsonl").read_bytes().splitlines()
    assert summary.records == len(records)
    conversations = {json.loads(r)["conversation"] for r in records}
    assert conversations == {"nb-2024-10431", None}  # the conversation and the export record
    vkey = (bundle / "verifier.key").read_text().strip()
    result = subprocess.run(
        [sys.executable, str(bundle / "verify.py"), str(bundle), "--key", vkey],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "verified" in result.stdout


def test_the_export_is_recorded_in_the_ledger(installation: Installation, bundle: Path) -> None:
    with installation.engine.connect() as conn:
        entry = conn.execute(
            text("SELECT entry FROM log_entries WHERE kind = 'access'")
        ).scalar_one()
    body = json.loads(bytes(entry))["body"]
    assert body["action"] == "export"
    assert body["actor"] == "tester"
    assert body["scope"]["conversations"] == ["nb-2024-10431"]
    assert verify_ledger(installation).ok


def _replace_line(path: Path, index: int, change) -> None:
    lines = path.read_bytes().split(b"\n")
    lines[index] = change(lines[index])
    path.write_bytes(b"\n".join(lines))


def _rehash_manifest(bundle: Path) -> None:
    import hashlib

    manifest = json.loads((bundle / "manifest.json").read_text())
    for name in manifest["files"]:
        manifest["files"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    resign_manifest(bundle, _SIGNED_BY[bundle])


def _rehash_manifest_unsigned(bundle: Path) -> None:
    signature = (bundle / "manifest.sig").read_bytes()
    _rehash_manifest(bundle)
    (bundle / "manifest.sig").write_bytes(signature)


TAMPERINGS = {
    "record edited": (
        lambda b: _replace_line(b / "records.jsonl", 1, lambda line: line.replace(b"a", b"e", 1)),
        "SHA-256",
    ),
    "record edited, manifest rehashed": (
        lambda b: (
            _replace_line(b / "records.jsonl", 1, lambda line: line.replace(b"a", b"e", 1)),
            _rehash_manifest(b),
        ),
        "not in the checkpoint",
    ),
    "proof line dropped": (
        lambda b: (
            (b / "proofs.jsonl").write_bytes(
                b"\n".join((b / "proofs.jsonl").read_bytes().split(b"\n")[1:])
            ),
            _rehash_manifest(b),
        ),
        "count",
    ),
    "checkpoint signature broken": (
        lambda b: (
            (b / "checkpoint.txt").write_text(
                (b / "checkpoint.txt").read_text().replace("\n\n", "\nextra\n\n")
            ),
            _rehash_manifest(b),
        ),
        "signature",
    ),
    "manifest missing": (lambda b: (b / "manifest.json").unlink(), "manifest.json"),
    "record edited, manifest rehashed but not signed again": (
        lambda b: (
            _replace_line(b / "records.jsonl", 1, lambda line: line.replace(b"a", b"e", 1)),
            _rehash_manifest_unsigned(b),
        ),
        "the manifest was altered",
    ),
    "manifest signature missing": (lambda b: (b / "manifest.sig").unlink(), r"manifest\.sig"),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_a_tampered_bundle_is_refused(bundle: Path, name: str) -> None:
    tamper, reason = TAMPERINGS[name]
    tamper(bundle)
    with pytest.raises(BundleError, match=reason):
        verify_bundle(bundle)


def test_bundle_from_another_key_is_refused_when_a_key_is_pinned(bundle: Path) -> None:
    other = "someone+0a0b0c0d+AQ" + "A" * 42 + "="
    with pytest.raises(BundleError):
        verify_bundle(bundle, other)


def test_export_after_key_rotation_still_verifies(
    installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])
    rotate_key(installation)
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    export_bundle(installation, tmp_path / "all", ExportScope())
    summary = verify_bundle(tmp_path / "all")
    assert summary.key_id == f"{installation.signer().key_id:08x}"
    assert verify_ledger(installation).ok


def test_export_by_period_holds_only_records_in_it(
    installation: Installation, tmp_path: Path
) -> None:
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    since, until = datetime(2024, 3, 4, tzinfo=UTC), datetime(2024, 3, 5, tzinfo=UTC)
    export_bundle(installation, tmp_path / "day", ExportScope(since=since, until=until))
    for line in (tmp_path / "day" / "records.jsonl").read_bytes().splitlines()[:-1]:
        assert json.loads(line)["occurred_at"].startswith("2024-03-04")
    verify_bundle(tmp_path / "day")


@pytest.mark.parametrize(
    ("scope", "error"),
    [
        (ExportScope(conversations=("no-such-conversation",)), NotFound),
        (
            ExportScope(
                since=datetime(2025, 1, 2, tzinfo=UTC), until=datetime(2025, 1, 1, tzinfo=UTC)
            ),
            AuditkitError,
        ),
    ],
)
def test_bad_export_requests_are_refused_and_record_nothing(
    installation: Installation, tmp_path: Path, scope: ExportScope, error: type[Exception]
) -> None:
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])
    with pytest.raises(error):
        export_bundle(installation, tmp_path / "out", scope)
    with installation.engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM log_entries WHERE kind = 'access'")
            ).scalar_one()
            == 0
        )
    assert not (tmp_path / "out").exists()


def test_export_refuses_a_non_empty_directory(installation: Installation, tmp_path: Path) -> None:
    import_files(installation, [DATA / "abcd" / "abcd_sample.json"])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("precious")
    with pytest.raises(AuditkitError, match="not an empty directory"):
        export_bundle(installation, tmp_path / "out", ExportScope())
    assert (tmp_path / "out" / "keep.txt").read_text() == "precious"


@pytest.mark.parametrize("field", ["created_by", "created_at", "record_count"])
def test_a_one_byte_change_to_the_manifest_is_refused(bundle: Path, field: str) -> None:
    """The manifest is signed (manifest.sig): even a field nothing else checks (who wrote the
    bundle, when) cannot be changed by one byte, by auditkit or by the bundle's verify.py."""
    verify_bundle(bundle)
    data = bytearray((bundle / "manifest.json").read_bytes())
    at = data.index(f'"{field}": '.encode()) + len(field) + 5
    data[at] = data[at] + 1 if data[at] != ord("9") else ord("8")
    (bundle / "manifest.json").write_bytes(bytes(data))
    with pytest.raises(BundleError, match="the manifest was altered"):
        verify_bundle(bundle)
    vkey = (bundle / "verifier.key").read_text().strip()
    result = subprocess.run(
        [sys.executable, str(bundle / "verify.py"), str(bundle), "--key", vkey],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "the manifest was altered" in result.stderr


def test_a_one_byte_change_to_the_manifest_signature_is_refused(bundle: Path) -> None:
    note = (bundle / "manifest.sig").read_text()
    text_part, signature_line = note.split("\n\n")
    name, blob = signature_line.rstrip("\n").rsplit(" ", 1)
    import base64

    raw = bytearray(base64.b64decode(blob))
    raw[10] ^= 1
    altered = f"{text_part}\n\n{name} {base64.b64encode(bytes(raw)).decode()}\n"
    (bundle / "manifest.sig").write_text(altered)
    with pytest.raises(BundleError, match=r"manifest\.sig signature does not verify"):
        verify_bundle(bundle)


def test_a_manifest_signed_by_another_key_is_refused(
    bundle: Path, installation: Installation
) -> None:
    rotate_key(installation)
    resign_manifest(bundle, installation)  # the new key: not the bundle's verifier.key
    with pytest.raises(BundleError, match=r"manifest\.sig is not signed by the verifier key"):
        verify_bundle(bundle)
