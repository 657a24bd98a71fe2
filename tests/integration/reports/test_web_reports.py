"""The coaching report download: a coach gets the PDF, the download is recorded, bad agent refused."""

from __future__ import annotations

import json
import re

from auditkit.web import create_app

from auditkit.accounts import users as accounts
from auditkit.db.engine import read_transaction
from auditkit.ledger import store as ledger_store
from tests.integration.reports.conftest import PASSWORD, ReportWorld

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _client(world: ReportWorld, username: str):  # type: ignore[no-untyped-def]
    app = create_app(world.installation, secret_key=b"k" * 32, config={"TESTING": True})
    client = app.test_client()
    token = TOKEN.search(client.get("/login").get_data(as_text=True))
    assert token
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 302
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    fresh = TOKEN.search(page)  # the session's token after signing in
    return client, fresh.group(1) if fresh else token.group(1)


def test_a_coach_downloads_an_agents_coaching_report_and_the_download_is_recorded(
    reviewed: ReportWorld,
) -> None:
    accounts.add_user(
        reviewed.installation, username="cole", display_name="Cole", role="coach", password=PASSWORD
    )
    client, token = _client(reviewed, "cole")
    response = client.post("/reports/coaching", data={"agent": "agent-amara", "csrf_token": token})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "coaching-agent-amara.pdf" in response.headers["Content-Disposition"]
    with read_transaction(reviewed.installation.engine) as conn:
        size = ledger_store.tree_size(conn)
        (last,) = ledger_store.entry_rows(conn, size - 1, size, full=False)
    body = json.loads(last[1])["body"]
    assert body["action"] == "report" and body["actor"] == "cole"

    refused = client.post("/reports/coaching", data={"agent": "nobody", "csrf_token": token})
    assert refused.status_code >= 400
    assert not refused.data.startswith(b"%PDF")


def test_the_download_needs_the_coaching_permission_and_a_csrf_token(
    reviewed: ReportWorld,
) -> None:
    accounts.add_user(
        reviewed.installation,
        username="cora",
        display_name="Cora",
        role="compliance_officer",
        password=PASSWORD,
    )
    client, token = _client(reviewed, "cora")  # compliance officers do not browse coaching
    response = client.post("/reports/coaching", data={"agent": "agent-amara", "csrf_token": token})
    assert response.status_code == 403
    accounts.add_user(
        reviewed.installation,
        username="quinn",
        display_name="Quinn",
        role="qa_reviewer",
        password=PASSWORD,
    )
    client, token = _client(reviewed, "quinn")  # reviewers may not read agents' scores
    response = client.post("/reports/coaching", data={"agent": "agent-amara", "csrf_token": token})
    assert response.status_code == 403
    accounts.add_user(
        reviewed.installation, username="cole", display_name="Cole", role="coach", password=PASSWORD
    )
    client, _token = _client(reviewed, "cole")
    assert client.post("/reports/coaching", data={"agent": "agent-amara"}).status_code == 400
