"""The audit report: content checked in the PDF text, personal data absent, bad scope refused."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from auditkit.reports import render_audit
from click.testing import CliRunner

from auditkit.checks.service import UnknownPolicy
from auditkit.cli.reports import report
from auditkit.db.engine import read_transaction
from auditkit.ledger import store as ledger_store
from auditkit.ledger.export.bundle_verifier import verify_bundle
from auditkit.ledger.installation import Installation
from auditkit.reporting.audit import EmptyScope, ReportScope, ReportScopeInvalid, audit_report
from tests.integration.reports.conftest import DEMO, ReportWorld, first_page_png, pdf_text


def _records(installation: Installation, kind: str) -> list[dict]:
    with read_transaction(installation.engine) as conn:
        size = ledger_store.tree_size(conn)
        rows = ledger_store.entry_rows(conn, 0, size, full=True)
    return [json.loads(row[1]) for row in rows if row[3] == kind]


def test_the_audit_report_names_its_checkpoint_and_bundle_and_is_recorded(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    installation = reviewed.installation
    out = tmp_path / "audit"
    result = audit_report(installation, ReportScope(), out, renderer=render_audit)

    text = pdf_text(result.pdf_path)
    manifest = (out / "bundle" / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest).hexdigest() in text
    assert result.bundle is not None
    assert result.bundle.manifest_sha256 == hashlib.sha256(manifest).hexdigest()
    checkpoint = (out / "bundle" / "checkpoint.txt").read_text()
    origin, size, root = checkpoint.splitlines()[:3]
    assert origin in text and root in text
    assert f"Tree size {size}" in " ".join(text.split())
    assert "verified:" in text
    assert "consent-disclosure" in text  # the failing policy, with its evidence seqs
    assert "seq " in text
    assert "mean iqs" in text.casefold() and "critical failures" in text.casefold()

    (recorded,) = [
        r for r in _records(installation, "access") if r["body"].get("action") == "report"
    ]
    assert recorded["seq"] == result.record_seq
    assert (
        recorded["body"]["pdf_sha256"] == hashlib.sha256(result.pdf_path.read_bytes()).hexdigest()
    )
    assert recorded["body"]["bundle_manifest_sha256"] == result.bundle.manifest_sha256
    verify_bundle(out / "bundle")
    first_page_png(result.pdf_path)


def test_the_audit_report_holds_no_clear_personal_data_of_the_demo_customers(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    result = audit_report(
        reviewed.installation, ReportScope(), tmp_path / "audit", renderer=render_audit
    )
    text = pdf_text(result.pdf_path).casefold()
    html = result.html_path.read_text().casefold()
    for line in DEMO.read_text().splitlines():
        for person in json.loads(line)["participants"]:
            if person["role"] != "customer":
                continue
            for value in [person.get("email"), person.get("phone"), person["name"]]:
                if value:
                    assert value.casefold() not in text, value
                    assert value.casefold() not in html, value
    assert "4111 1111 1111 1111" not in text


def test_the_audit_report_lists_reveals_and_exports_from_the_ledger(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    from auditkit.ledger.export.bundle import ExportScope, export_bundle
    from auditkit.review import transcript

    installation = reviewed.installation
    key = reviewed.reviewed[0]
    transcript.reveal(
        installation, _compliance_user(installation), key, "Subject access request 2291"
    )
    export_bundle(installation, tmp_path / "earlier", ExportScope(conversations=(key,)))
    result = audit_report(installation, ReportScope(), tmp_path / "audit", renderer=render_audit)
    text = " ".join(pdf_text(result.pdf_path).split())
    assert "reveal" in text and "cora" in text
    assert "Subject access request 2291" in text  # a request number is kept as written
    assert "export" in text


def _compliance_user(installation: Installation):  # type: ignore[no-untyped-def]
    from auditkit.accounts import users as accounts

    return accounts.add_user(
        installation,
        username="cora",
        display_name="Cora",
        role="compliance_officer",
        password="correct-horse-battery",
    )


@pytest.mark.parametrize(
    ("scope", "error", "message"),
    [
        (
            ReportScope(
                since=datetime(2024, 4, 1, tzinfo=UTC), until=datetime(2024, 3, 1, tzinfo=UTC)
            ),
            ReportScopeInvalid,
            "must be earlier than",
        ),
        (
            ReportScope(agents=("agent-nobody",)),
            ReportScopeInvalid,
            "unknown agent(s): agent-nobody",
        ),
        (ReportScope(channels=("fax",)), ReportScopeInvalid, "unknown channel(s): fax"),
        (ReportScope(since=datetime(2030, 1, 1, tzinfo=UTC)), EmptyScope, "no conversation"),
        (ReportScope(policies=("no-such-policy",)), UnknownPolicy, "unknown policy id(s)"),
    ],
    ids=["inverted-dates", "unknown-agent", "unknown-channel", "empty-period", "unknown-policy"],
)
def test_a_bad_scope_is_refused_with_a_clear_message_and_writes_nothing(
    demo: Installation, tmp_path: Path, scope: ReportScope, error: type, message: str
) -> None:
    out = tmp_path / "audit"
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        audit_report(demo, scope, out, renderer=render_audit)
    assert not out.exists() or not any(out.iterdir())
    assert not [r for r in _records(demo, "access") if r["body"].get("action") == "report"]


def test_the_cli_writes_the_report_and_refuses_an_unknown_agent(
    demo: Installation, env: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    bad = runner.invoke(
        report, ["audit", "--out", str(tmp_path / "x"), "--agent", "nobody"], env=env
    )
    assert bad.exit_code == 1
    assert "unknown agent(s): nobody" in bad.output
    assert not (tmp_path / "x" / "audit-report.pdf").exists()
    inverted = runner.invoke(
        report,
        ["audit", "--out", str(tmp_path / "y"), "--since", "2024-04-01", "--until", "2024-03-01"],
        env=env,
    )
    assert inverted.exit_code == 1 and "must be earlier than" in inverted.output

    good = runner.invoke(
        report,
        [
            "audit",
            "--out",
            str(tmp_path / "z"),
            "--since",
            "2024-03-01",
            "--until",
            "2024-03-10",
            "--channel",
            "web_chat",
        ],
        env=env,
        catch_exceptions=False,
    )
    assert good.exit_code == 0, good.output
    text = " ".join(pdf_text(tmp_path / "z" / "audit-report.pdf").split())
    assert "web_chat" in text and "in_app_chat" not in text
    assert "nb-2024-10431" in text or "Conversations" in text


def test_erasures_and_holds_are_listed_under_a_pseudonym_on_a_sealed_installation(
    env: dict[str, str], tmp_path: Path
) -> None:
    from auditkit.ledger.installation import initialise
    from auditkit.privacy.erasure import add_hold, erase_subject
    from auditkit.reporting.audit import subject_reference
    from auditkit.settings import load_settings
    from auditkit.sources.ingest import import_files

    sealed_env = {**env, "AUDITKIT_SEALING": "on"}
    initialise(load_settings(sealed_env))
    installation = Installation.open(load_settings(sealed_env))
    try:
        import_files(installation, [DEMO])
        erase_subject(installation, "cust-maria-gonzalez", reason="Article 17 request 7731")
        add_hold(installation, subject="cust-daniel-osei", reason="Litigation hold")
        result = audit_report(
            installation, ReportScope(), tmp_path / "audit", renderer=render_audit
        )
    finally:
        installation.engine.dispose()
    text = " ".join(pdf_text(result.pdf_path).split())
    assert "erasure" in text and "hold" in text and "added" in text
    assert subject_reference("cust-maria-gonzalez") in text
    assert subject_reference("cust-daniel-osei") in text
    assert "maria" not in text.casefold() and "osei" not in text.casefold()
    # The erasure's reason went with the subject's key; the request number it named stays.
    assert "[erased] (references: request 7731)" in text
    assert "verified:" in text
