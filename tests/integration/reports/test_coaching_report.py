"""The coaching report: IQS trend as SVG, criteria against the team, redacted real examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from auditkit.reports import render_coaching, trend_svg

from auditkit.db.engine import read_transaction
from auditkit.ledger import store as ledger_store
from auditkit.reporting.audit import EmptyScope, ReportScopeInvalid
from auditkit.reporting.coaching import TrendPoint, coaching_report
from tests.integration.reports.conftest import DEMO, ReportWorld, first_page_png, pdf_text


def test_the_coaching_report_shows_trend_criteria_and_marked_examples(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    result = coaching_report(
        reviewed.installation, "agent-amara", tmp_path / "coaching", renderer=render_coaching
    )
    text = " ".join(pdf_text(result.pdf_path).split())
    html = result.html_path.read_text()
    assert "Coaching report · agent-amara" in text
    assert "<svg" in html and "<script" not in html
    assert "IQS over time" in text
    assert "Proactive information delivery" in text  # the focus area, below the team
    assert "needs work" in text
    assert "Tell the customer what happens next before asking for details." in text
    assert "marked by rita" in text
    assert "team mean iqs" in text.casefold()
    assert "What the reviewers wrote" in text and "“Reviewed for the report tests.”" in text
    first_page_png(result.pdf_path)


def test_the_coaching_report_holds_no_clear_personal_data(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    result = coaching_report(
        reviewed.installation, "agent-amara", tmp_path / "coaching", renderer=render_coaching
    )
    text = pdf_text(result.pdf_path).casefold()
    for line in DEMO.read_text().splitlines():
        for person in json.loads(line)["participants"]:
            if person["role"] == "customer":
                for value in [person.get("email"), person.get("phone"), person["name"]]:
                    if value:
                        assert value.casefold() not in text, value
    assert "[name]" in text or "[email]" in text or "[number]" in text


def test_an_unknown_agent_or_one_without_reviews_is_refused(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    with pytest.raises(ReportScopeInvalid, match="unknown agent: agent-nobody"):
        coaching_report(
            reviewed.installation, "agent-nobody", tmp_path / "a", renderer=render_coaching
        )
    with pytest.raises(EmptyScope, match="no submitted review"):
        coaching_report(
            reviewed.installation, "sup-helen", tmp_path / "b", renderer=render_coaching
        )
    assert not (tmp_path / "a" / "coaching-report.pdf").exists()


def test_the_trend_chart_is_plain_svg_scaled_to_the_scores() -> None:
    svg = str(
        trend_svg(
            [TrendPoint("2024-03-01T00:00:00Z", 50.0), TrendPoint("2024-03-02T00:00:00Z", 100.0)]
        )
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == 2
    assert "2024-03-01" in svg and "2024-03-02" in svg


def test_the_pii_detector_finds_no_restricted_data_in_either_report(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    from auditkit.reports import render_audit

    from auditkit.pii import DetectorConfig, build_detector
    from auditkit.pii.restricted import RESTRICTED_TYPES
    from auditkit.reporting.audit import ReportScope, audit_report

    installation = reviewed.installation
    pdfs = [
        audit_report(installation, ReportScope(), tmp_path / "a", renderer=render_audit).pdf_path,
        coaching_report(
            installation, "agent-amara", tmp_path / "c", renderer=render_coaching
        ).pdf_path,
    ]
    detector = build_detector(DetectorConfig(mode="patterns"))
    watched = set(RESTRICTED_TYPES) | {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"}
    # The audit report prints the signing key's id: 8 random hex digits, which are all
    # decimal digits (and so look like a phone number) about once in 40 installations.
    with read_transaction(installation.engine) as conn:
        key_ids = {row["key_id"] for row in ledger_store.signing_key_rows(conn)}
    for pdf in pdfs:
        text = pdf_text(pdf)
        found = [(f.entity_type, text[f.start : f.end]) for f in detector.detect(text)]
        hits = [hit for hit in found if hit[0] in watched and hit[1] not in key_ids]
        assert not hits, (pdf.name, found)
