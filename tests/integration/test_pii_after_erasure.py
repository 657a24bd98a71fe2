"""Masking after erasure does not unmask: keyed name digests keep the floor masking."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from auditkit.db.engine import read_transaction
from auditkit.ledger.installation import Installation, initialise
from auditkit.ledger.reader import load_conversations
from auditkit.pii.masking import InterimRedactor, scan_redactor, staff_text_redactor
from auditkit.pii.scan import scan_messages
from auditkit.privacy.erasure import erase_subject
from auditkit.settings import load_settings
from auditkit.sources.ingest import import_files
from tests.factories import DATA

SUBJECT = "cust-maria-gonzalez"
KEY = "nb-2024-10431"
COMMENT = "María González was verified; maria asked twice."


@pytest.fixture
def sealed(env: dict[str, str]) -> Installation:
    settings = {**env, "AUDITKIT_SEALING": "on", "AUDITKIT_PII_MODEL": "patterns"}
    initialise(load_settings(settings))
    installation = Installation.open(load_settings(settings))
    import_files(installation, [DATA / "demo" / "conversations.jsonl"])
    return installation


def test_a_customer_erased_after_the_scan_stays_masked_in_staff_text(
    sealed: Installation,
) -> None:
    scan_messages(sealed, workers=1)
    erase_subject(sealed, SUBJECT, reason="GDPR art. 17 request")
    with read_transaction(sealed.engine) as conn:
        (conversation,) = load_conversations(conn, [KEY], master=sealed.master_key())
        people = list(conversation.participants.values())
        assert conversation.participants[SUBJECT].name != "María González"
        # The floor alone has nothing declared to go on any more:
        assert "María" in InterimRedactor().redact(COMMENT, participants=people).text
        shown = scan_redactor(conn, sealed, [conversation]).redact(COMMENT, participants=people)
        staff = staff_text_redactor(conn, sealed, KEY)(COMMENT)
        stored = b" ".join(
            str(d).encode() for (d,) in conn.execute(text("SELECT digest FROM pii_name_digests"))
        )
    assert shown.text.endswith(" was verified; [NAME] asked twice.")
    assert shown.text.startswith("[NAME]") and "Gonz" not in shown.text
    # Staff text also gets the detector live: the same names masked (one span or two).
    assert staff.endswith(" was verified; [NAME] asked twice.") and "Gonz" not in staff
    assert stored and b"mar" not in stored.lower() and b"gonz" not in stored.lower()


def test_a_customer_erased_before_any_scan_stays_masked_by_the_floor(
    sealed: Installation,
) -> None:
    # No scan ran: the erasure itself digests the names it removes (pii's eraser).
    with read_transaction(sealed.engine) as conn:
        before = conn.execute(text("SELECT count(*) FROM pii_name_digests")).scalar_one()
    erase_subject(sealed, SUBJECT, reason="GDPR art. 17 request")
    with read_transaction(sealed.engine) as conn:
        (conversation,) = load_conversations(conn, [KEY], master=sealed.master_key())
        people = list(conversation.participants.values())
        shown = scan_redactor(conn, sealed, [conversation]).redact(COMMENT, participants=people)
        after = conn.execute(text("SELECT count(*) FROM pii_name_digests")).scalar_one()
    assert before == 0 and after > 0
    assert shown.text.startswith("[NAME]") and "Gonz" not in shown.text
    assert shown.text.endswith(" was verified; [NAME] asked twice.")


def test_no_digests_without_sealing(env: dict[str, str]) -> None:
    settings = {**env, "AUDITKIT_SEALING": "off", "AUDITKIT_PII_MODEL": "patterns"}
    initialise(load_settings(settings))
    plain = Installation.open(load_settings(settings))
    import_files(plain, [DATA / "demo" / "conversations.jsonl"])
    scan_messages(plain, workers=1)
    with plain.engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM pii_name_digests")).scalar_one()
    assert count == 0


def test_a_page_falls_back_to_the_floor_when_the_model_is_missing(
    env: dict[str, str], installation: Installation, caplog: pytest.LogCaptureFixture
) -> None:
    missing = Installation.open(load_settings({**env, "AUDITKIT_PII_MODEL": "no_such_model"}))
    import_files(missing, [DATA / "demo" / "conversations.jsonl"])
    with read_transaction(missing.engine) as conn:
        (conversation,) = load_conversations(conn, [KEY], master=missing.master_key())
        redactor = scan_redactor(conn, missing, [conversation], live=True)
    people = list(conversation.participants.values())
    assert redactor.redact(COMMENT, participants=people).text.startswith("[NAME]")
    assert "live PII masking is off" in caplog.text
