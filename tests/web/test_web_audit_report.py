"""The audit report from the web: a compliance officer generates one, downloads the PDF, the
HTML and the export bundle (each download recorded); other roles, forged forms, bad scopes
and crafted report ids are refused."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditkit.db.engine import read_transaction
from auditkit.ledger import store as ledger_store
from auditkit.ledger.export.bundle_verifier import verify_bundle
from auditkit.reporting.stored import reports_folder
from tests.web.conftest import Web, World, text
from tests.web.test_web_browser import browser_page, live_app, shot, sign_in  # noqa: F401

REPORT_PAGE = re.compile(r"/reports/audit/(audit-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8})$")
SCOPE = {"since": "2024-03-01", "until": "2024-03-31", "channels": "web_chat"}


def _vkey(world: World) -> str:
    return world.installation.signer().verifier().verifier_key_string()


def _records(world: World) -> list[dict[str, Any]]:
    with read_transaction(world.installation.engine) as conn:
        size = ledger_store.tree_size(conn)
        entries = ledger_store.entries_by_seq(conn, list(range(size)))
    return [json.loads(e.entry) for e in entries]


def _generate(client: Web, form: dict[str, Any]) -> str:
    client.get("/reports/audit")
    response = client.post("/reports/audit", form)
    assert response.status_code == 303, text(response)
    found = REPORT_PAGE.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


def test_a_compliance_officer_generates_an_audit_report_and_downloads_each_part(
    web: Callable[[str | None], Web], world: World, tmp_path: Path
) -> None:
    cora = web("cora")
    form = text(cora.get("/reports/audit"))
    assert 'value="web_chat"' in form and 'value="agent-amara"' in form
    assert 'name="queues" value="Cards"' in form

    report_id = _generate(cora, SCOPE)
    page = cora.get(f"/reports/audit/{report_id}")
    assert page.status_code == 200
    (report,) = [r["body"] for r in _records(world) if r["body"].get("action") == "report"]
    assert report["actor"] == "cora" and report["report"] == "audit"
    assert report["scope"]["channels"] == ["web_chat"]
    assert report["scope"]["until"].startswith("2024-04-01")  # "to" is a whole day, included
    shown = text(page)
    for fact in (
        report["bundle_manifest_sha256"],
        report["pdf_sha256"],
        str(report["checkpoint"]["tree_size"]),
        "file matches the record",
    ):
        assert fact in shown

    pdf = cora.client.get(f"/reports/audit/{report_id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert f"{report_id}.pdf" in pdf.headers["Content-Disposition"]
    html = cora.client.get(f"/reports/audit/{report_id}/html")
    assert html.status_code == 200 and b"Audit report" in html.data
    assert "attachment" in html.headers["Content-Disposition"]
    bundle = cora.client.get(f"/reports/audit/{report_id}/bundle")
    assert bundle.status_code == 200 and bundle.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        names = {Path(n).name for n in archive.namelist()}
        assert {"manifest.json", "verify.py", "records.jsonl", "checkpoint.txt"} <= names
        archive.extractall(tmp_path / "unzipped")
    (unzipped,) = (tmp_path / "unzipped").iterdir()
    manifest = (unzipped / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest).hexdigest() == report["bundle_manifest_sha256"]
    assert verify_bundle(unzipped).records > 0
    script = subprocess.run(
        [sys.executable, str(unzipped / "verify.py"), str(unzipped), "--key", _vkey(world)],
        capture_output=True,
        text=True,
    )
    assert script.returncode == 0, script.stderr

    downloads = [r["body"] for r in _records(world) if r["body"].get("action") == "download"]
    assert [(d["file"], d["actor"], d["report_seq"]) for d in downloads] == [
        (part, "cora", downloads[0]["report_seq"]) for part in ("pdf", "html", "bundle")
    ]
    assert downloads[0]["sha256"] == report["pdf_sha256"]
    assert cora.client.get(f"/reports/audit/{report_id}/bundle").data == bundle.data  # zipped once

    listing = text(cora.get("/reports/audit"))
    assert report_id in listing and f"seq {downloads[0]['report_seq']}" in listing


def test_the_link_is_in_the_navigation_of_those_allowed_only(
    web: Callable[[str | None], Web],
) -> None:
    assert 'href="/reports/audit"' in text(web("cora").get("/conversations"))
    assert 'href="/reports/audit"' in text(web("ada").get("/conversations"))
    assert 'href="/reports/audit"' not in text(web("rita").get("/conversations"))
    assert 'href="/reports/audit"' not in text(web("cole").get("/conversations"))


@pytest.mark.parametrize("username", ["rita", "cole"])
def test_qa_reviewers_and_coaches_may_not_generate_or_download(
    web: Callable[[str | None], Web], world: World, username: str
) -> None:
    report_id = _generate(web("cora"), SCOPE)
    other = web(username)
    assert other.get("/reports/audit").status_code == 403
    assert other.post("/reports/audit", SCOPE).status_code == 403
    assert other.get(f"/reports/audit/{report_id}").status_code == 403
    for part in ("pdf", "html", "bundle"):
        assert other.get(f"/reports/audit/{report_id}/{part}").status_code == 403
    assert not [r for r in _records(world) if r["body"].get("action") == "download"]


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(
    web: Callable[[str | None], Web], world: World
) -> None:
    before = len(_records(world))
    response = web("cora").post("/reports/audit", SCOPE, csrf=False)
    assert response.status_code == 400
    assert "did not come from this site" in text(response)
    assert len(_records(world)) == before
    assert not reports_folder(world.installation).exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"since": "2024-03-31", "until": "2024-03-01"},
            "from (2024-03-31) must not be after to (2024-03-01)",
        ),
        ({"since": "31/03/2024"}, "from: '31/03/2024' is not a date (YYYY-MM-DD)"),
        (
            {"agents": "agent-nobody"},
            "unknown agent(s): agent-nobody (no conversation has them as staff)",
        ),
        ({"channels": "carrier-pigeon"}, "unknown channel(s): carrier-pigeon"),
        ({"queues": "Nowhere"}, "unknown queue(s): Nowhere"),
        ({"policies": "no-such-policy"}, "unknown policy id(s): no-such-policy"),
        ({"since": "2031-01-01"}, "no conversation has activity in the scope"),
    ],
)
def test_a_bad_scope_shows_the_form_again_with_the_reason_and_writes_nothing(
    web: Callable[[str | None], Web], world: World, form: dict[str, str], message: str
) -> None:
    before = len(_records(world))
    cora = web("cora")
    cora.get("/reports/audit")
    response = cora.post("/reports/audit", form)
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert 'id="audit-report-form"' in page  # the form again, not an error page
    for value in form.values():
        assert f'value="{value}"' in page  # the input is kept
    assert len(_records(world)) == before
    folder = reports_folder(world.installation)
    assert not folder.exists() or not any(folder.iterdir())


def test_a_report_over_one_queue_records_that_queue(
    web: Callable[[str | None], Web], world: World
) -> None:
    cora = web("cora")
    report_id = _generate(cora, {"queues": "Cards"})
    (report,) = [r["body"] for r in _records(world) if r["body"].get("action") == "report"]
    assert report["scope"]["queues"] == ["Cards"]
    assert "queues Cards" in text(cora.get(f"/reports/audit/{report_id}"))


@pytest.mark.parametrize(
    "path",
    [
        "/reports/audit/..",
        "/reports/audit/../pdf",
        "/reports/audit/..%2F..%2Fkeys",
        "/reports/audit/audit-20240101T000000Z-0000abcd/..",
        "/reports/audit/audit-20240101T000000Z-0000abcd/pdf",
        "/reports/audit/keys/pdf",
    ],
)
def test_report_ids_other_than_kept_reports_are_not_found(
    web: Callable[[str | None], Web], world: World, path: str
) -> None:
    response = web("cora").get(path)
    assert response.status_code == 404, path
    assert not [r for r in _records(world) if r["body"].get("action") == "download"]


def test_an_unknown_part_of_a_kept_report_is_not_found(
    web: Callable[[str | None], Web], world: World
) -> None:
    cora = web("cora")
    report_id = _generate(cora, SCOPE)
    for part in ("record.json", "bundle.zip", "..", "manifest"):
        assert cora.get(f"/reports/audit/{report_id}/{part}").status_code == 404, part


@pytest.mark.browser
def test_a_compliance_officer_generates_an_audit_report_in_a_browser(
    browser_page: Any,  # noqa: F811
    live_app: str,  # noqa: F811
    world: World,
    database_url: str,
) -> None:
    page, base = browser_page, live_app
    sign_in(page, base, "cora")
    page.wait_for_selector("nav.mainnav")
    page.get_by_role("link", name="Audit reports").click()
    page.wait_for_selector("h1:text('Audit reports')")
    page.fill("input[name=since]", "2024-03-01")
    page.fill("input[name=until]", "2024-03-31")
    page.check("input[name=channels][value=web_chat]")
    page.click("#generate-audit-report")
    page.wait_for_selector("#manifest-sha256")
    (report,) = [r["body"] for r in _records(world) if r["body"].get("action") == "report"]
    assert page.inner_text("#manifest-sha256").strip() == report["bundle_manifest_sha256"]
    assert "file matches the record" in page.inner_text("#audit-report-facts")
    assert REPORT_PAGE.search(page.url)
    if database_url.startswith("sqlite"):
        shot(page, "web-audit-report")
