"""Structured fields of action and event records are masked by key, dates stay whole."""

from __future__ import annotations

from auditkit.ledger.conversation import LedgerParticipant
from auditkit.pii.findings import Finding
from auditkit.pii.masking import InterimRedactor, field_label, redact_fields, redacted

CUSTOMER = LedgerParticipant("c1", "customer", "Tom Reyes", None, "tom@example.net", None)


def test_address_fields_of_an_action_are_masked_whatever_they_say() -> None:
    # The nb-2024-10447 action of the issue.
    fields = {"address_line1": "22 Larch Road", "city": "Leeds", "postcode": "LS6 2JU"}
    shown = redact_fields(fields, InterimRedactor(), [CUSTOMER])
    assert shown.text == (
        "address_line1: [STREET_ADDRESS], city: [STREET_ADDRESS], postcode: [STREET_ADDRESS]"
    )
    assert "Larch" not in shown.text and "LS6" not in shown.text
    assert shown.markers == ("STREET_ADDRESS",) * 3


def test_dates_inside_values_are_not_broken_by_the_number_floor() -> None:
    fields = {"status": "settled", "settled_on": "2024-03-20", "bank_reference": "RF20240320-8812"}
    shown = redact_fields(fields, InterimRedactor(), [])
    assert shown.text == "status: settled, settled_on: 2024-03-20, bank_reference: [NUMBER]"


def test_a_birth_date_field_is_masked_and_plain_values_go_through_the_redactor() -> None:
    fields = {"date_of_birth": "1986-07-14", "factors": ["date_of_birth", "postcode"]}
    shown = redact_fields(fields, InterimRedactor(), [CUSTOMER])
    assert shown.text == "date_of_birth: [DATE_TIME], factors: date_of_birth, postcode"
    note = redact_fields({"note": "Tom Reyes called"}, InterimRedactor(), [CUSTOMER])
    assert note.text == "note: [NAME] called"


def test_field_keys_are_classified_by_their_last_word() -> None:
    assert field_label("shipping_zip_code") == "STREET_ADDRESS"
    assert field_label("customer_email") == "EMAIL"
    assert field_label("queue") is None
    assert field_label("confidence") is None


def test_one_redactor_gives_the_placeholders_and_the_floor_together() -> None:
    text = "order HH-7741055 for Tom, SW9 8QT"
    findings = [Finding(26, 33, "STREET_ADDRESS", 0.6, "PostalAddressRecognizer")]
    assert (
        redacted(text, findings, [CUSTOMER]).text == "order [NUMBER] for [NAME], [STREET_ADDRESS]"
    )
