"""``auditkit export``: a self-verifying bundle of records, proofs, checkpoint and key."""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from auditkit.db.engine import read_transaction
from auditkit.errors import AuditkitError, NotFound
from auditkit.home import private_dir, write_private
from auditkit.ledger import store as ledger_store
from auditkit.ledger.access import AccessAction, access_record
from auditkit.ledger.append import appending
from auditkit.ledger.checkpoint import parse_verifier_key
from auditkit.ledger.export.bundle_verifier import FORMAT, MANIFEST_SIG, manifest_note_text
from auditkit.ledger.installation import Installation
from auditkit.ledger.proofs import inclusion_proofs
from auditkit.ledger.records import format_time
from auditkit.ledger.tlog.offline import tlog_proof_text
from auditkit.ledger.tlog.proof_file import EXTENSION
from auditkit.ledger.tlog.witnesses import cosigned_note
from auditkit.periods import utc_now

TLOG_PROOFS = "tlog-proofs"
"""The bundle folder with one c2sp.org/tlog-proof file per record, ``<seq>.tlog-proof``."""


ExtraFiles = Callable[[Sequence[int]], Mapping[str, bytes]]
"""Files a higher layer adds to a bundle (e.g. redacted transcripts), given the exported seqs.

Names are relative paths inside one sub-folder (``transcripts/<name>.html``); each file's
SHA-256 goes into the signed export record and the manifest, so the verifier checks them.
"""

RESERVED = frozenset({"manifest.json", MANIFEST_SIG, "verify.py", TLOG_PROOFS})


class ExportRefused(AuditkitError):
    """The export cannot be written where or as asked."""


@dataclass(frozen=True)
class ExportScope:
    """Which records an export holds; empty filters mean all."""

    conversations: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """The scope as recorded in the ledger and the manifest."""
        return {
            "conversations": list(self.conversations),
            "since": format_time(self.since) if self.since else None,
            "until": format_time(self.until) if self.until else None,
        }


@dataclass(frozen=True)
class ExportResult:
    """Where a bundle was written and what ties it to the ledger."""

    directory: Path
    records: int
    tree_size: int
    manifest_sha256: str
    export_seq: int


def export_bundle(
    installation: Installation,
    out: Path,
    scope: ExportScope,
    *,
    actor: str | None = None,
    role: str | None = None,
    tlog_proofs: bool = True,
    extra_files: ExtraFiles | None = None,
    details: Mapping[str, Any] | None = None,
) -> ExportResult:
    """Record the export in the ledger, then write the bundle proving each record in scope.

    ``tlog_proofs=False`` leaves out the one-file-per-record ``tlog-proofs/`` folder (for
    whole-ledger bundles, where a file per record is most of the writing time).

    ``actor`` is who asked (a web user, whose ``role`` is recorded too); the configured
    actor when not given.

    ``extra_files`` is called once with the seqs in scope, before the export is recorded;
    the files it returns are written beside the records and their SHA-256 digests are
    part of the signed export record (``files``) and of the manifest. ``details`` are
    further keys of the export record (a clear-text export's ``clear_reason``).
    """
    actor = actor or installation.settings.actor
    installation.require_schema()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportRefused(f"{out} already exists and is not an empty directory")
    if scope.since and scope.until and scope.since >= scope.until:
        raise ExportRefused("--since must be earlier than --until")
    with read_transaction(installation.engine) as conn:
        known = set(ledger_store.conversation_keys_matching(conn, scope.conversations))
        unknown = [key for key in scope.conversations if key not in known]
        if unknown:
            raise NotFound(f"unknown conversation(s): {', '.join(unknown)}")
        seqs = ledger_store.selected_seqs(
            conn,
            conversation_keys=scope.conversations,
            since=format_time(scope.since) if scope.since else None,
            until=format_time(scope.until) if scope.until else None,
        )
    clash = sorted(set(details or {}) & {"action", "actor", "scope", "records", "files", "role"})
    if clash:
        raise ExportRefused(f"export record details may not set {', '.join(clash)}")
    extras = _checked_extras(extra_files(seqs)) if extra_files is not None else {}
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in extras.items()}
    with appending(installation) as batch:
        (export_record,) = batch.append(
            [
                access_record(
                    AccessAction.EXPORT,
                    actor=actor,
                    role=role,
                    occurred_at=utc_now(),
                    scope=scope.as_json(),
                    records=len(seqs) + 1,
                    **_files_detail(digests),
                    **dict(details or {}),
                )
            ]
        )
    seqs.append(export_record.seq)
    with _collector_paused(), read_transaction(installation.engine) as conn:
        checkpoint = ledger_store.checkpoint_at(conn, export_record.seq + 1)
        if checkpoint is None:
            raise NotFound("the export's own checkpoint is missing")
        proofs = inclusion_proofs(conn, seqs, checkpoint)
        key_rows = {row["key_id"]: row for row in ledger_store.signing_key_rows(conn)}
        verifier_key = key_rows[checkpoint.key_id]["verifier_key"]
        parse_verifier_key(verifier_key)
        manifest_sha = _write(
            out, installation, scope, proofs, checkpoint, verifier_key, actor, tlog_proofs, extras
        )
    return ExportResult(
        directory=out,
        records=len(proofs),
        tree_size=checkpoint.tree_size,
        manifest_sha256=manifest_sha,
        export_seq=export_record.seq,
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a bundle is built.

    A whole-ledger bundle keeps every record and proof alive at once (hundreds of thousands
    of bytes objects and lists, none in a cycle); each automatic full collection walks all
    of them, which made exports of 300k records ~1.5x (and inside a busy process ~2.5x)
    slower. Reference counting still frees everything; the collector resumes after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _files_detail(digests: dict[str, str]) -> dict[str, Any]:
    """The export record's ``files`` key: only when the bundle carries extra files."""
    return {"files": digests} if digests else {}


def _checked_extras(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """Extra files must sit in a sub-folder of the bundle and not clash with its own files."""
    checked: dict[str, bytes] = {}
    for name, data in files.items():
        parts = name.split("/")
        if (
            len(parts) < 2
            or name.startswith("/")
            or any(part in {"", ".", ".."} for part in parts)
            or "\\" in name
            or parts[0] in RESERVED
        ):
            raise ExportRefused(f"extra bundle file {name!r}: not a path inside a sub-folder")
        checked[name] = bytes(data)
    return checked


def _proof_lines(proofs: Sequence[Any]) -> bytes:
    """One ``{"seq":N,"proof":["<base64>",…]}`` line per proof: compact JSON, built directly.

    Whole-ledger bundles hold hundreds of thousands of proofs; formatting them by hand is
    several times cheaper than ``json.dumps`` and gives the same bytes.
    """
    lines = []
    for proof in proofs:
        if proof.proof:
            hashes = b'"' + b'","'.join(map(base64.b64encode, proof.proof)) + b'"'
        else:
            hashes = b""
        lines.append(b'{"seq":%d,"proof":[%s]}\n' % (proof.seq, hashes))
    return b"".join(lines)


def _write(
    out: Path,
    installation: Installation,
    scope: ExportScope,
    proofs: Sequence[Any],
    checkpoint: ledger_store.StoredCheckpoint,
    verifier_key: str,
    actor: str,
    tlog_proofs: bool,
    extras: Mapping[str, bytes],
) -> str:
    private_dir(out.parent)
    staging = Path(tempfile.mkdtemp(prefix=".auditkit-export-", dir=out.parent))
    try:
        note = cosigned_note(installation, checkpoint.note)
        contents: dict[str, bytes] = {
            "checkpoint.txt": note.encode("utf-8"),
            "verifier.key": (verifier_key + "\n").encode("utf-8"),
            "records.jsonl": b"".join(p.entry + b"\n" for p in proofs),
            "proofs.jsonl": _proof_lines(proofs),
        }
        for name, data in contents.items():
            write_private(staging / name, data)
        for name, data in extras.items():
            private_dir((staging / name).parent)
            write_private(staging / name, data)
        if tlog_proofs:
            proof_dir = staging / TLOG_PROOFS
            private_dir(proof_dir)
            for proof in proofs:
                write_private(
                    proof_dir / f"{proof.seq}{EXTENSION}",
                    tlog_proof_text(proof, note).encode("utf-8"),
                )
        verifier = (
            resources.files("auditkit.ledger.export").joinpath("bundle_verifier.py").read_bytes()
        )
        write_private(staging / "verify.py", verifier)
        manifest = {
            "format": FORMAT,
            "origin": installation.origin,
            "tree_size": checkpoint.tree_size,
            "root_hash": base64.b64encode(checkpoint.root_hash).decode("ascii"),
            "created_at": format_time(utc_now()),
            "created_by": actor,
            "scope": scope.as_json(),
            "record_count": len(proofs),
            **({"tlog_proofs": TLOG_PROOFS} if tlog_proofs else {}),
            "files": {
                name: hashlib.sha256(data).hexdigest()
                for name, data in {**contents, **extras}.items()
            },
        }
        manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
        write_private(staging / "manifest.json", manifest_bytes)
        write_private(
            staging / MANIFEST_SIG, _manifest_signature(installation, checkpoint, manifest_bytes)
        )
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return hashlib.sha256(manifest_bytes).hexdigest()


def _manifest_signature(
    installation: Installation, checkpoint: ledger_store.StoredCheckpoint, manifest: bytes
) -> bytes:
    """``manifest.sig``: a signed note, by the key that signed the bundle's checkpoint, over
    the manifest's SHA-256 (the manifest cannot be in the export record: it names the
    checkpoint that record ends)."""
    signer = installation.signer()
    if signer.key_id_hex != checkpoint.key_id:
        raise ExportRefused(
            f"the active signing key {signer.key_id_hex} did not sign the export's checkpoint "
            f"({checkpoint.key_id}): run the export again"
        )
    text = manifest_note_text(hashlib.sha256(manifest).hexdigest(), installation.origin)
    return signer.sign_note(text.encode("utf-8")).encode("utf-8")
