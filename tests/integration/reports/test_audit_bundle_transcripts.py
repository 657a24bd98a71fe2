"""The audit report's bundle carries the redacted transcripts, covered by its export record."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from auditkit.reports import render_audit, render_transcript
from click.testing import CliRunner

from auditkit.cli.reports import report
from auditkit.ledger.export.bundle_verifier import BundleError, verify_bundle
from auditkit.ledger.installation import Installation
from auditkit.ledger.records import TEXT_KINDS
from auditkit.reporting.audit import ReportScope, audit_report
from tests.conftest import Cli
from tests.integration.reports.conftest import DEMO, pdf_text

KEY = "nb-2024-10431"


def _customer_values() -> list[str]:
    values = []
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        for person in json.loads(line)["participants"]:
            if person["role"] == "customer":
                values += [
                    v for v in (person.get("email"), person.get("phone"), person["name"]) if v
                ]
    return values


def test_the_audit_bundle_has_a_transcript_per_conversation_naming_proven_seqs(
    demo: Installation, tmp_path: Path
) -> None:
    out = tmp_path / "audit"
    audit_report(
        demo, ReportScope(), out, renderer=render_audit, transcript_renderer=render_transcript
    )
    bundle = out / "bundle"
    verify_bundle(bundle)
    records = [json.loads(r) for r in (bundle / "records.jsonl").read_text().splitlines()]
    seqs = {r["seq"] for r in records}
    conversations = {r["conversation"] for r in records} - {None}
    pages = sorted((bundle / "transcripts").glob("*.html"))
    assert len(pages) == len(conversations)
    secrets = [v.casefold() for v in _customer_values()]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        named = {int(s) for s in re.findall(r'data-seq="(\d+)"', html)}
        assert named and named <= seqs, page.name
        for secret in secrets:
            assert secret not in html.casefold(), (page.name, secret)
    page = pages[0]
    page.write_text(page.read_text(encoding="utf-8") + "<!-- edited -->", encoding="utf-8")
    with pytest.raises(BundleError, match="SHA-256 differs"):
        verify_bundle(bundle)


def test_the_cli_audit_report_bundle_carries_transcripts(
    demo: Installation, env: dict[str, str], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        report,
        ["audit", "--out", str(tmp_path / "z"), "--since", "2024-03-01", "--until", "2024-03-10"],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "z" / "bundle" / "transcripts").glob("*.html"))
    verify_bundle(tmp_path / "z" / "bundle")


def test_export_transcripts_pdf_holds_every_transcript_redacted_and_is_covered(
    demo: Installation, run: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "pdf"
    run("export", "--out", str(out), "--conversation", KEY, "--transcripts-pdf")
    pdf = out / "transcripts" / "transcripts.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    verify_bundle(out)
    text = " ".join(pdf_text(pdf).split())
    records = [json.loads(r) for r in (out / "records.jsonl").read_text().splitlines()]
    for record in records:
        if record["kind"] in TEXT_KINDS:
            assert f"seq {record['seq']}" in text
    assert "Amara Okafor" in text and f"Transcript {KEY}" in text
    for secret in _customer_values():
        assert secret.casefold() not in text.casefold(), secret
    pdf.write_bytes(pdf.read_bytes() + b"\n%%tampered")
    with pytest.raises(BundleError, match=r"transcripts\.pdf: SHA-256 differs"):
        verify_bundle(out)


def test_export_refuses_a_pdf_without_transcripts(
    demo: Installation, run: Cli, tmp_path: Path
) -> None:
    refused = run(
        "export", "--out", str(tmp_path / "x"), "--no-transcripts", "--transcripts-pdf", ok=False
    )
    assert refused.exit_code == 2
    assert "--transcripts-pdf needs the transcripts" in refused.output
    assert not (tmp_path / "x").exists()
