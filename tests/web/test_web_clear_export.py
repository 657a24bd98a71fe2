"""Clear-text transcripts from the web (issue 18): the audit report's bundle carries clear
transcripts only for a role with ``export.clear``, only with a reason, and the signed export
record says who asked, in which role, and why, as ``auditkit export --clear`` does."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditkit.accounts.users import ROLE_PERMISSIONS, Permission, Role
from auditkit.ledger.export.bundle_verifier import verify_bundle
from auditkit.reporting.stored import reports_folder
from tests.web.conftest import Web, World, text
from tests.web.test_web_audit_report import SCOPE, _generate, _records

KEY = "nb-2024-10431"
CUSTOMER = "María González"
REASON = "subject access request SAR-2024-117"


def _bundle(client: Web, report_id: str, into: Path) -> Path:
    response = client.client.get(f"/reports/audit/{report_id}/bundle")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        archive.extractall(into)
    (unzipped,) = into.iterdir()
    return unzipped


def _exports(world: World) -> list[dict[str, Any]]:
    return [r["body"] for r in _records(world) if r["body"].get("action") == "export"]


def _nothing_written(world: World, before: int) -> None:
    assert len(_records(world)) == before
    folder = reports_folder(world.installation)
    assert not folder.exists() or not any(folder.iterdir())


def test_a_compliance_officer_exports_clear_transcripts_with_a_reason_recorded(
    web: Callable[[str | None], Web], world: World, tmp_path: Path
) -> None:
    cora = web("cora")
    form = text(cora.get("/reports/audit"))
    assert 'id="clear-export"' in form and 'name="clear_reason"' in form
    report_id = _generate(cora, {**SCOPE, "clear": "on", "clear_reason": f"  {REASON} "})
    (export,) = _exports(world)
    assert export["transcripts"] == "clear"
    assert export["clear_reason"] == REASON
    assert export["actor"] == "cora" and export["role"] == "compliance_officer"
    (report,) = [r["body"] for r in _records(world) if r["body"].get("action") == "report"]
    assert report["bundle_transcripts"] == "clear"
    assert "clear text" in text(cora.get(f"/reports/audit/{report_id}"))

    bundle = _bundle(cora, report_id, tmp_path / "clear")
    page = (bundle / "transcripts" / f"{KEY}.html").read_text(encoding="utf-8")
    assert CUSTOMER in page and "Clear text, not redacted" in page
    summary = verify_bundle(bundle)
    lines = (bundle / "records.jsonl").read_bytes().splitlines()
    assert json.loads(lines[-1])["body"]["clear_reason"] == REASON  # in the signed record
    assert summary.records == len(lines)


def test_without_the_box_ticked_the_transcripts_stay_redacted(
    web: Callable[[str | None], Web], world: World, tmp_path: Path
) -> None:
    cora = web("cora")
    report_id = _generate(cora, SCOPE)
    (export,) = _exports(world)
    assert "transcripts" not in export and "clear_reason" not in export
    bundle = _bundle(cora, report_id, tmp_path / "redacted")
    page = (bundle / "transcripts" / f"{KEY}.html").read_text(encoding="utf-8")
    assert CUSTOMER not in page and "Clear text" not in page
    assert "redacted" in text(cora.get(f"/reports/audit/{report_id}"))


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"clear": "on"}, "reason: a clear-text export needs a reason of 10"),
        ({"clear": "on", "clear_reason": "because"}, "reason: a clear-text export needs"),
        ({"clear_reason": REASON}, "reason: given, but clear-text transcripts are not ticked"),
    ],
)
def test_clear_text_without_a_reason_is_refused_and_writes_nothing(
    web: Callable[[str | None], Web], world: World, form: dict[str, str], message: str
) -> None:
    before = len(_records(world))
    cora = web("cora")
    cora.get("/reports/audit")
    response = cora.post("/reports/audit", {**SCOPE, **form})
    assert response.status_code == 400
    page = text(response)
    assert message in page and 'id="audit-report-form"' in page
    _nothing_written(world, before)


@pytest.mark.parametrize("username", ["rita", "cole", "lucas"])
def test_other_roles_are_refused(
    web: Callable[[str | None], Web], world: World, username: str
) -> None:
    before = len(_records(world))
    response = web(username).post(
        "/reports/audit", {**SCOPE, "clear": "on", "clear_reason": REASON}
    )
    assert response.status_code == 403
    _nothing_written(world, before)


def test_a_role_that_may_write_audit_reports_but_not_export_clear_text_is_refused(
    web: Callable[[str | None], Web], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clear option is its own permission: without it the form does not offer it and a
    forged form is refused with a 403 that names the permission, before anything is written."""
    lesser = ROLE_PERMISSIONS[Role.COMPLIANCE_OFFICER] - {Permission.EXPORT_CLEAR}
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.COMPLIANCE_OFFICER, lesser)  # type: ignore[index]
    before = len(_records(world))
    cora = web("cora")
    form = text(cora.get("/reports/audit"))
    assert 'name="clear_reason"' not in form and 'id="audit-report-form"' in form
    response = cora.post("/reports/audit", {**SCOPE, "clear": "on", "clear_reason": REASON})
    assert response.status_code == 403
    assert "clear-text transcripts need the export.clear permission" in text(response)
    _nothing_written(world, before)
    assert _generate(cora, SCOPE)  # redacted ones still
