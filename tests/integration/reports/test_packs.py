"""Coaching packs and the example library: redacted examples across agents, bad scope refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from auditkit.reports import render_pack
from auditkit.web import create_app
from click.testing import CliRunner

from auditkit.accounts import users as accounts
from auditkit.cli.reports import report
from auditkit.db.engine import read_transaction
from auditkit.ledger import store as ledger_store
from auditkit.ledger.reader import load_conversations
from auditkit.pii import DetectorConfig, build_detector
from auditkit.pii.restricted import RESTRICTED_TYPES
from auditkit.reporting.audit import EmptyScope, ReportScopeInvalid
from auditkit.reporting.packs import PackFilters, coaching_pack, find_examples
from tests.integration.reports.conftest import DEMO, PASSWORD, ReportWorld, pdf_text

NOTE = "Tell the customer what happens next before asking for details."
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _customers() -> list[str]:
    values = []
    for line in DEMO.read_text().splitlines():
        for person in json.loads(line)["participants"]:
            if person["role"] == "customer":
                values += [
                    v for v in (person.get("email"), person.get("phone"), person["name"]) if v
                ]
    return values


def _last_body(world: ReportWorld) -> dict:  # type: ignore[type-arg]
    with read_transaction(world.installation.engine) as conn:
        size = ledger_store.tree_size(conn)
        (last,) = ledger_store.entry_rows(conn, size - 1, size, full=False)
    return json.loads(last[1])["body"]


def test_the_pack_holds_redacted_examples_and_is_recorded(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    result = coaching_pack(
        reviewed.installation,
        tmp_path / "pack",
        criterion="proactive-information",
        label="needs_work",
        limit=3,
        renderer=render_pack,
        actor="cole",
    )
    text = " ".join(pdf_text(result.pdf_path).split())
    assert "Coaching pack: Proactive information delivery" in text
    assert NOTE in text and "needs work" in text and "agent-amara" in text
    assert text.count("Reviewer: ") == 3  # the limit
    lowered = text.casefold()
    for value in _customers():
        assert value.casefold() not in lowered, value
    detector = build_detector(DetectorConfig(mode="patterns"))
    watched = set(RESTRICTED_TYPES) | {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"}
    raw = pdf_text(result.pdf_path)
    found = [(f.entity_type, raw[f.start : f.end]) for f in detector.detect(raw)]
    assert not [hit for hit in found if hit[0] in watched], found
    body = _last_body(reviewed)
    assert body["action"] == "report" and body["report"] == "pack" and body["actor"] == "cole"
    assert body["examples"] == 3 and body["pdf_sha256"] == result.pdf_sha256


def test_the_search_runs_over_redacted_text_only(reviewed: ReportWorld) -> None:
    installation = reviewed.installation
    found = find_examples(installation, PackFilters(search="WHAT HAPPENS NEXT"))
    assert found and all(e.example.note == NOTE for e in found)
    # The customers' names are in the clear messages of the marked examples, not in the
    # redacted text: searching for them finds nothing.
    keys = sorted({e.example.conversation_key for e in found})
    with read_transaction(installation.engine) as conn:
        clear = " ".join(
            str(e.body.get("text", ""))
            for c in load_conversations(conn, keys, master=installation.master_key())
            for e in c.events
        ).casefold()
    present = [v for v in _customers() if v.casefold() in clear]
    assert present
    for value in present:
        assert find_examples(installation, PackFilters(search=value)) == (), value


def test_a_bad_scope_is_refused_and_writes_nothing(reviewed: ReportWorld, tmp_path: Path) -> None:
    installation = reviewed.installation
    out = tmp_path / "p"
    with pytest.raises(ReportScopeInvalid, match="unknown criterion: no-such"):
        coaching_pack(installation, out, criterion="no-such", renderer=render_pack)
    with pytest.raises(ReportScopeInvalid, match="unknown agent: agent-nobody"):
        coaching_pack(installation, out, agent="agent-nobody", renderer=render_pack)
    with pytest.raises(ReportScopeInvalid, match="must be earlier than"):
        coaching_pack(
            installation,
            out,
            since=json_time("2024-04-01"),
            until=json_time("2024-03-01"),
            renderer=render_pack,
        )
    with pytest.raises(EmptyScope, match="no marked example matches"):
        coaching_pack(installation, out, label="exemplary", renderer=render_pack)
    with pytest.raises(EmptyScope):
        coaching_pack(installation, out, intent="no-such-intent", renderer=render_pack)
    assert not (out / "coaching-pack.pdf").exists()


def json_time(day: str):  # type: ignore[no-untyped-def]
    from auditkit.ledger.records import parse_time

    return parse_time(f"{day}T00:00:00+00:00")


def test_the_cli_writes_a_pack_and_refuses_an_unknown_criterion(
    reviewed: ReportWorld, env: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    bad = runner.invoke(
        report, ["pack", "--out", str(tmp_path / "x"), "--criterion", "no-such"], env=env
    )
    assert bad.exit_code == 1 and "unknown criterion: no-such" in bad.output
    good = runner.invoke(
        report,
        ["pack", "--out", str(tmp_path / "y"), "--search", "happens next", "--limit", "2"],
        env=env,
        catch_exceptions=False,
    )
    assert good.exit_code == 0, good.output
    text = " ".join(pdf_text(tmp_path / "y" / "coaching-pack.pdf").split())
    assert text.count("Reviewer: ") == 2 and "happens next" in text


def _client(world: ReportWorld, username: str, role: str):  # type: ignore[no-untyped-def]
    accounts.add_user(
        world.installation, username=username, display_name=username, role=role, password=PASSWORD
    )
    app = create_app(world.installation, secret_key=b"k" * 32, config={"TESTING": True})
    client = app.test_client()
    token = TOKEN.search(client.get("/login").get_data(as_text=True))
    assert token
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    return client


def test_the_library_filters_and_searches_and_downloads_a_pack(reviewed: ReportWorld) -> None:
    client = _client(reviewed, "cole", "coach")
    page = client.get("/coaching?criterion=proactive-information&q=happens+next&channel=")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and NOTE in html and "Download pack (PDF)" in html
    for value in _customers():
        assert value not in html, value
    assert "No example matches" in client.get("/coaching?q=zzzz-nothing").get_data(as_text=True)
    assert "unknown criterion" in client.get("/coaching?criterion=nope").get_data(as_text=True)

    token = TOKEN.search(html)
    assert token
    response = client.post(
        "/reports/pack",
        data={"criterion": "proactive-information", "limit": "2", "csrf_token": token.group(1)},
    )
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "coaching-pack-proactive-information.pdf" in response.headers["Content-Disposition"]
    body = _last_body(reviewed)
    assert body["report"] == "pack" and body["actor"] == "cole" and body["examples"] == 2

    refused = client.post("/reports/pack", data={"criterion": "nope", "csrf_token": token.group(1)})
    assert refused.status_code == 400 and not refused.data.startswith(b"%PDF")


def test_the_pack_download_needs_the_coaching_permission(reviewed: ReportWorld) -> None:
    client = _client(reviewed, "cora", "compliance_officer")
    token = TOKEN.search(client.get("/", follow_redirects=True).get_data(as_text=True))
    assert token
    response = client.post("/reports/pack", data={"csrf_token": token.group(1)})
    assert response.status_code == 403
    assert client.get("/coaching").status_code == 403
