"""Audit reports kept under the installation's home for the web: generate one into its own
folder, list those the ledger records, fetch one, and record each download as ``access``.

A stored report lives in ``$AUDITKIT_HOME/reports/<report id>/`` (``audit-report.pdf``,
``audit-report.html``, ``bundle/`` and ``record.json``, which names the ledger record of the
report). Report ids are generated here and matched against :data:`REPORT_ID` before any
path is built from one, so no id can reach outside that folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditkit.accounts.users import Permission, User
from auditkit.checks.service import UnknownPolicy, select_policies
from auditkit.db.engine import read_transaction
from auditkit.errors import AccessDenied, NotFound
from auditkit.home import write_private
from auditkit.ledger import store as ledger_store
from auditkit.ledger.access import AccessAction, access_record
from auditkit.ledger.append import append_records
from auditkit.ledger.conversation import HUMAN_STAFF_ROLES
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import RecordKind
from auditkit.periods import utc_now
from auditkit.reporting import audit
from auditkit.reporting import store as report_store
from auditkit.reporting.parts import Renderer, ReportScopeInvalid
from auditkit.reporting.transcripts import TranscriptRenderer, clear_details

FOLDER = "reports"
REPORT_ID = re.compile(r"audit-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}")
RECORD_FILE = "record.json"
BUNDLE_ZIP = "audit-bundle.zip"
PARTS = {  # part: (file in the report folder, mimetype, suffix of the download's name)
    "pdf": ("audit-report.pdf", "application/pdf", ".pdf"),
    "html": ("audit-report.html", "text/html", ".html"),
    "bundle": (BUNDLE_ZIP, "application/zip", "-bundle.zip"),
}
MAX_LISTED = 50


@dataclass(frozen=True)
class AuditReportChoices:
    """What an audit report's scope can name: known channels, staff, queues and policies."""

    channels: tuple[str, ...]
    agents: tuple[str, ...]
    queues: tuple[str, ...]  # teams staff participants were recorded with
    policies: tuple[tuple[str, str], ...]  # id, one-line description


@dataclass(frozen=True)
class StoredAuditReport:
    """An audit report as its ``access`` record states it, and its folder when kept here."""

    report_id: str | None  # None: generated elsewhere (the CLI), no files here
    record_seq: int
    generated_at: str
    actor: str
    scope: Mapping[str, Any]
    conversations: int
    tree_size: int
    root_hash: str
    manifest_sha256: str
    pdf_sha256: str
    html_sha256: str
    pdf_matches: bool | None = None  # the kept PDF's SHA-256 against the record (None: unread)
    clear_transcripts: bool = False  # the bundle's transcripts are clear text (export.clear)


@dataclass(frozen=True)
class ReportFile:
    """A file of a stored report, ready to send."""

    path: Path
    download_name: str
    mimetype: str


def reports_folder(installation: Installation) -> Path:
    """Where the web keeps generated reports."""
    return installation.settings.home / FOLDER


def audit_report_choices(installation: Installation) -> AuditReportChoices:
    """Channels, staff participants, queues and policies for the audit report's scope form."""
    with read_transaction(installation.engine) as conn:
        channels = sorted(report_store.known_channels(conn))
        agents = report_store.staff_ids(conn, roles=HUMAN_STAFF_ROLES)
        queues = sorted(report_store.known_teams(conn))
    return AuditReportChoices(
        channels=tuple(channels),
        agents=tuple(agents),
        queues=tuple(queues),
        policies=tuple(
            (p.id, " ".join(str(p.description).split())) for p in select_policies(installation)
        ),
    )


def generate_audit_report(
    installation: Installation,
    user: User,
    scope: audit.ReportScope,
    *,
    renderer: Renderer,
    transcript_renderer: TranscriptRenderer | None = None,
    clear_reason: str | None = None,
) -> StoredAuditReport:
    """Write the audit report and its bundle into a new folder of its own, recorded with
    ``user`` as actor; a refused scope leaves nothing behind.

    With ``clear_reason`` the bundle's transcripts are clear text: only for a role with
    ``export.clear``, and only with a reason, which the signed export record keeps
    (``transcripts: "clear"``, ``clear_reason``, actor and role), as ``auditkit export
    --clear --reason`` does. Both are checked before anything is written.
    """
    user.require(Permission.REPORT_AUDIT)
    clear = None
    if clear_reason is not None:
        if not user.can(Permission.EXPORT_CLEAR):
            raise AccessDenied(
                f"clear-text transcripts need the {Permission.EXPORT_CLEAR} permission "
                f"(compliance officers); a {user.role.label} may export redacted ones only"
            )
        clear = clear_details(clear_reason, field="reason")
    report_id = f"audit-{utc_now():%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
    out = reports_folder(installation) / report_id
    try:
        result = audit.audit_report(
            installation,
            scope,
            out,
            renderer=renderer,
            actor=user.username,
            role=str(user.role),
            transcript_renderer=transcript_renderer,
            clear=clear,
        )
    except UnknownPolicy as exc:
        raise ReportScopeInvalid(str(exc)) from exc
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    write_private(
        out / RECORD_FILE, (json.dumps({"record_seq": result.record_seq}) + "\n").encode()
    )
    return stored_audit_report(installation, report_id)


def audit_reports(
    installation: Installation, *, limit: int = MAX_LISTED
) -> list[StoredAuditReport]:
    """The newest audit reports the ledger records (web or CLI), newest first."""
    with read_transaction(installation.engine) as conn:
        rows = report_store.records_of_kinds(conn, [RecordKind.ACCESS], since=None, until=None)
    kept = _kept_reports(installation)
    found = []
    for seq, _kind, _key, _at, entry in reversed(rows):
        report = _from_record(seq, json.loads(entry), kept.get(seq))
        if report is not None:
            found.append(report)
            if len(found) >= limit:
                break
    return found


def stored_audit_report(installation: Installation, report_id: str) -> StoredAuditReport:
    """One report kept here, read back from its ledger record (``NotFound`` otherwise)."""
    folder = _folder(installation, report_id)
    seq = _record_seq(folder)
    with read_transaction(installation.engine) as conn:
        entries = ledger_store.entries_by_seq(conn, [seq]) if seq is not None else []
    report = _from_record(seq or 0, json.loads(entries[0].entry), report_id) if entries else None
    if report is None:
        raise NotFound(f"no audit report {report_id}")
    pdf = folder / PARTS["pdf"][0]
    matches = pdf.is_file() and _sha256(pdf) == report.pdf_sha256
    return replace(report, pdf_matches=matches)


def download_audit_report(
    installation: Installation, user: User, report_id: str, part: str
) -> ReportFile:
    """A report's PDF, HTML or bundle (zipped once, then kept); the download is recorded as an
    ``access`` record naming the report, the file and its SHA-256."""
    user.require(Permission.REPORT_AUDIT)
    if part not in PARTS:
        raise NotFound(f"no {part!r} in an audit report (pdf, html or bundle)")
    report = stored_audit_report(installation, report_id)
    folder = _folder(installation, report_id)
    name, mimetype, suffix = PARTS[part]
    path = _bundle_zip(folder, report_id) if part == "bundle" else folder / name
    if not path.is_file():
        raise NotFound(f"the {part} of audit report {report_id} is missing")
    append_records(
        installation,
        [
            access_record(
                AccessAction.DOWNLOAD,
                actor=user.username,
                role=str(user.role),
                occurred_at=utc_now(),
                report="audit",
                report_seq=report.record_seq,
                file=part,
                sha256=_sha256(path),
            )
        ],
    )
    return ReportFile(path=path, download_name=f"{report_id}{suffix}", mimetype=mimetype)


def _folder(installation: Installation, report_id: str) -> Path:
    if not REPORT_ID.fullmatch(report_id):
        raise NotFound(f"no audit report {report_id}")
    folder = reports_folder(installation) / report_id
    if not folder.is_dir():
        raise NotFound(f"no audit report {report_id}")
    return folder


def _record_seq(folder: Path) -> int | None:
    try:
        seq = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))["record_seq"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return seq if isinstance(seq, int) else None


def _kept_reports(installation: Installation) -> dict[int, str]:
    """Record seq → report id of the report folders kept here."""
    root = reports_folder(installation)
    if not root.is_dir():
        return {}
    kept = {}
    for folder in root.iterdir():
        if REPORT_ID.fullmatch(folder.name) and folder.is_dir():
            seq = _record_seq(folder)
            if seq is not None:
                kept[seq] = folder.name
    return kept


def _from_record(
    seq: int, record: Mapping[str, Any], report_id: str | None
) -> StoredAuditReport | None:
    body = record.get("body", {})
    if (
        record.get("kind") != RecordKind.ACCESS
        or body.get("action") != "report"
        or body.get("report") != "audit"
    ):
        return None
    checkpoint = body.get("checkpoint") or {}
    return StoredAuditReport(
        report_id=report_id,
        record_seq=seq,
        generated_at=str(record.get("occurred_at", "")),
        actor=str(body.get("actor", "")),
        scope=body.get("scope") or {},
        conversations=int(body.get("conversations", 0)),
        tree_size=int(checkpoint.get("tree_size", 0)),
        root_hash=str(checkpoint.get("root_hash", "")),
        manifest_sha256=str(body.get("bundle_manifest_sha256", "")),
        pdf_sha256=str(body.get("pdf_sha256", "")),
        html_sha256=str(body.get("html_sha256", "")),
        clear_transcripts=body.get("bundle_transcripts") == "clear",
    )


def _bundle_zip(folder: Path, report_id: str) -> Path:
    """The bundle folder as one zip (``<report id>-bundle/…``), written once beside it."""
    target = folder / BUNDLE_ZIP
    if target.is_file():
        return target
    bundle = folder / "bundle"
    if not bundle.is_dir():
        raise NotFound(f"the bundle of audit report {report_id} is missing")
    descriptor, staging = tempfile.mkstemp(prefix=".bundle-", suffix=".zip", dir=folder)
    try:
        with (
            os.fdopen(descriptor, "wb") as handle,
            zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            for path in sorted(bundle.rglob("*")):  # tlog-proofs/ is a folder
                if path.is_file():
                    name = path.relative_to(bundle).as_posix()
                    archive.write(path, f"{report_id}-bundle/{name}")
        os.replace(staging, target)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
