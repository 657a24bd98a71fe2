"""A redacted coaching pack of the demo data holds no demo customer's personal data (issue 17)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from auditkit.reports import render_pack

from auditkit.pii.scan import scan_messages
from auditkit.reporting.packs import coaching_pack
from tests.integration.reports.conftest import DEMO, ReportWorld, pdf_text

POSTCODES = ("SW9 8QT", "BS1 4DJ", "LS6 2JU", "1200-195")
DATE_OF_BIRTH = re.compile(r"\b\d{2}/\d{2}/(?:19|20)\d{2}\b")


def _customer_values() -> list[str]:
    values: list[str] = []
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        for person in json.loads(line)["participants"]:
            if person["role"] == "customer":
                values += [v for v in (person.get("email"), person.get("phone")) if v]
                values += [person["name"], *person["name"].split()]
    return values


def test_the_demo_coaching_pack_holds_no_customer_data(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    scan_messages(reviewed.installation, workers=1)
    result = coaching_pack(
        reviewed.installation, tmp_path / "pack", limit=50, renderer=render_pack, actor="cole"
    )
    raw = pdf_text(result.pdf_path)
    text = " ".join(raw.split())
    assert text.count("Reviewer: ") >= 3
    assert "[DATE_TIME]" in text or "[STREET_ADDRESS]" in text  # the verification answers
    lowered = text.casefold()
    for value in [*_customer_values(), *POSTCODES]:
        assert re.search(rf"(?<!\w){re.escape(value.casefold())}(?!\w)", lowered) is None, value
    digits = re.sub(r"\D", "", text)
    for value in _customer_values():
        if value.startswith("+"):
            assert re.sub(r"\D", "", value)[-7:] not in digits, value
    assert not DATE_OF_BIRTH.search(raw), DATE_OF_BIRTH.findall(raw)
