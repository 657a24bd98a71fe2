"""The audit report's access, erasure and hold sections tell the truth: what touched the
conversations in scope whenever it was done, and, labelled apart, what was done in the period."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from auditkit.reports import render_audit

from auditkit.accounts import users as accounts
from auditkit.db.engine import read_transaction
from auditkit.ledger import store as ledger_store
from auditkit.ledger.export.bundle import ExportScope, export_bundle
from auditkit.ledger.installation import Installation, initialise
from auditkit.privacy.erasure import add_hold, erase_subject
from auditkit.reporting.audit import ReportScope, audit_report
from auditkit.reporting.trail import REFERENCE, subject_reference
from auditkit.review import transcript
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files
from tests.integration.reports.conftest import DEMO, PASSWORD, pdf_text

MARCH = ReportScope(since=datetime(2024, 3, 1, tzinfo=UTC), until=datetime(2024, 4, 1, tzinfo=UTC))


def _seqs(installation: Installation, *kinds: str) -> list[int]:
    with read_transaction(installation.engine) as conn:
        size = ledger_store.tree_size(conn)
        rows = ledger_store.entry_rows(conn, 0, size, full=True)
    found = [int(row[0]) for row in rows if row[3] in kinds]
    assert len(found) == 3
    return found


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


@pytest.fixture
def march(env: dict[str, str]) -> Installation:
    """The issue's March history, made today: two reviewers reveal March conversations, one is
    exported, one customer is erased and two holds are placed on them."""
    sealed = {**env, "AUDITKIT_SEALING": "on"}
    initialise(load_settings(sealed))
    installation = Installation.open(load_settings(sealed))
    import_files(installation, [DEMO])
    rita, rob = (
        accounts.add_user(
            installation, username=name, display_name=name, role="qa_reviewer", password=PASSWORD
        )
        for name in ("rita", "rob")
    )
    transcript.reveal(installation, rita, "nb-2024-10431", "Complaint review, case 2024-117")
    transcript.reveal(installation, rob, "nb-2024-10447", "Ticket #A-5521 escalation check")
    export_bundle(installation, Path(env["AUDITKIT_HOME"]) / "sar", ExportScope(("nb-2024-10431",)))
    erase_subject(installation, "cust-maria-gonzalez", reason="Erasure request, case 2024-117")
    add_hold(installation, subject="cust-maria-gonzalez", reason="Regulator inquiry case 2024-118")
    add_hold(installation, conversation="nb-2024-10431", reason="Litigation matter LIT-0042")
    yield installation
    installation.engine.dispose()


def test_the_march_report_lists_every_access_erasure_and_hold_on_march_conversations(
    march: Installation, tmp_path: Path
) -> None:
    result = audit_report(march, MARCH, tmp_path / "audit", renderer=render_audit)
    text = " ".join(pdf_text(result.pdf_path).split())
    assert "Nobody revealed or exported personal data in this period" not in text
    assert "No erasure and no legal hold in this period" not in text
    touching = _section(text, "5a.", "5b.")
    assert touching.count(" reveal ") == 2
    assert "rita" in touching and "rob" in touching
    assert " export " in touching
    # Nothing was done in March itself (it was all done today), and the report says so apart.
    during = _section(text, "5b.", "6. Erasures")
    assert "Nobody revealed or exported personal data during this period" in during
    held = _section(text, "6a.", "6b.")
    for seq in _seqs(march, "erasure", "legal_hold.added"):
        assert f" {seq} " in held, seq
    for reference in ("2024-117", "2024-118", "LIT-0042"):
        assert reference in held, reference
    assert subject_reference("cust-maria-gonzalez") in held
    assert "No erasure and no legal hold was made during this period" in _section(
        text, "6b.", "7. Quality"
    )
    # Case and ticket numbers are kept as written; the customer is not named.
    for reference in ("case 2024-117", "Ticket #A-5521", "case 2024-118", "matter LIT-0042"):
        assert reference in text, reference
    assert "[NUMBER]-117" not in text
    assert "maria" not in text.casefold() and "gonzalez" not in text.casefold()


def test_a_report_on_other_conversations_lists_todays_access_only_as_done_in_the_period(
    march: Installation, tmp_path: Path
) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    scope = ReportScope(since=datetime(2024, 3, 1, tzinfo=UTC), channels=("in_app_chat",))
    assert today > datetime(2024, 3, 1, tzinfo=UTC)
    result = audit_report(march, scope, tmp_path / "audit", renderer=render_audit)
    text = " ".join(pdf_text(result.pdf_path).split())
    touching = _section(text, "5a.", "5b.")
    assert " reveal " not in touching
    assert "Nobody revealed, exported or reported on the personal data" in touching
    during = _section(text, "5b.", "6. Erasures")
    assert during.count(" reveal ") == 2
    assert "No erasure and no legal hold has touched these conversations" in _section(
        text, "6a.", "6b."
    )
    during_holds = _section(text, "6b.", "7. Quality")
    for seq in _seqs(march, "erasure", "legal_hold.added"):
        assert f" {seq} " in during_holds, seq


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("case 2024-117", "case 2024-117"),
        ("Ticket #A-5521", "Ticket #A-5521"),
        ("DSAR-0042 from the customer", "DSAR-0042"),
        ("ref: 88123", "ref: 88123"),
        ("request no. 2291", "request no. 2291"),
    ],
)
def test_a_case_or_ticket_reference_is_one_token_after_its_word(written: str, kept: str) -> None:
    found = REFERENCE.search(written)
    assert found is not None and found.group(0) == kept


@pytest.mark.parametrize(
    "written",
    ["call +44 7700 900456 about the case", "case closed, phone 07700 900456", "a showcase"],
)
def test_a_phone_number_is_no_reference(written: str) -> None:
    found = REFERENCE.search(written)
    assert found is None or not any(ch.isdigit() for ch in found.group(0))
