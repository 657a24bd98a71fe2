"""Queue and team scopes: a queue is the team of the staff who handled a conversation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from auditkit.reports import render_audit, render_coaching

from auditkit.db.engine import read_transaction
from auditkit.ledger import store as ledger_store
from auditkit.pii import DetectorConfig, build_detector
from auditkit.pii.restricted import RESTRICTED_TYPES
from auditkit.reporting import store as report_store
from auditkit.reporting.audit import EmptyScope, ReportScope, ReportScopeInvalid, audit_report
from auditkit.reporting.coaching import team_coaching_report
from tests.conftest import Cli
from tests.integration.reports.conftest import DEMO, ReportWorld, first_page_png, pdf_text

NOTE = "Tell the customer what happens next before asking for details."


def _last_body(world: ReportWorld) -> dict:  # type: ignore[type-arg]
    with read_transaction(world.installation.engine) as conn:
        size = ledger_store.tree_size(conn)
        (last,) = ledger_store.entry_rows(conn, size - 1, size, full=False)
    return json.loads(last[1])["body"]


def _handled_by_team(team: str) -> set[str]:
    keys = set()
    for line in DEMO.read_text().splitlines():
        conversation = json.loads(line)
        staff = [p for p in conversation["participants"] if p["role"] in ("agent", "supervisor")]
        if any(p.get("team") == team for p in staff):
            keys.add(conversation["conversation_id"])
    return keys


def test_the_queue_scope_keeps_conversations_a_staff_member_of_the_team_handled(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    expected = _handled_by_team("Payments")
    assert 1 < len(expected) < 12
    result = audit_report(
        reviewed.installation,
        ReportScope(queues=("Payments",)),
        tmp_path / "audit",
        renderer=render_audit,
    )
    assert result.pdf_path.read_bytes().startswith(b"%PDF")
    with read_transaction(reviewed.installation.engine) as conn:
        rows = report_store.conversations_in_scope(
            conn, since=None, until=None, queues=["Payments"]
        )
    assert {row["conversation_key"] for row in rows} == expected
    body = _last_body(reviewed)
    assert body["report"] == "audit" and body["scope"]["queues"] == ["Payments"]
    assert body["conversations"] == len(expected)


def test_an_unknown_queue_is_refused_naming_the_known_ones(
    reviewed: ReportWorld, tmp_path: Path
) -> None:
    # The bot's team is no queue: only staff (agents, supervisors) make a queue.
    with pytest.raises(ReportScopeInvalid, match="unknown queue") as refused:
        audit_report(
            reviewed.installation,
            ReportScope(queues=("Virtual Assistant",)),
            tmp_path / "audit",
            renderer=render_audit,
        )
    assert "known: Cards, Escalations, Fraud, Payments, Retail Support, Returns" in str(
        refused.value
    )
    assert not (tmp_path / "audit").exists()


def test_the_cli_takes_repeatable_queues_and_refuses_an_unknown_one(
    reviewed: ReportWorld, run: Cli, tmp_path: Path
) -> None:
    good = run(
        "report", "audit", "--out", str(tmp_path / "a"), "--queue", "Fraud", "--queue", "Cards"
    )
    assert "wrote" in good.output
    body = _last_body(reviewed)
    assert body["scope"]["queues"] == ["Fraud", "Cards"]
    assert body["conversations"] == len(_handled_by_team("Fraud") | _handled_by_team("Cards"))
    bad = run("report", "audit", "--out", str(tmp_path / "b"), "--queue", "Nobody", ok=False)
    assert bad.exit_code == 1 and "unknown queue(s): Nobody" in bad.output
    assert "known: Cards" in bad.output


def test_a_team_report_covers_the_teams_agents_against_everyone(
    reviewed: ReportWorld, run: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "team"
    result = run("report", "coaching", "--team", "Cards", "--out", str(out))
    assert "wrote" in result.output
    raw = pdf_text(out / "coaching-report.pdf")
    text = " ".join(raw.split())
    assert "Coaching report: team Cards" in text
    assert "Coaching report · team Cards" in text
    assert "Agents of the team" in text and "agent-amara" in text
    assert "Criteria against everyone" in text
    assert "everyone's mean iqs" in text.casefold()  # the labels are set in capitals
    assert "team mean iqs" in text.casefold()  # the team's own, beside everyone's
    assert NOTE in text and "marked by rita" in text  # an example from the team's agent
    first_page_png(out / "coaching-report.pdf")  # docs/screens/report-coaching-team.png
    body = _last_body(reviewed)
    assert body["report"] == "coaching" and body["team"] == "Cards" and "agent" not in body

    lowered = raw.casefold()
    for line in DEMO.read_text().splitlines():
        for person in json.loads(line)["participants"]:
            if person["role"] == "customer":
                for value in [person.get("email"), person.get("phone"), person["name"]]:
                    if value:
                        assert value.casefold() not in lowered, value
    detector = build_detector(DetectorConfig(mode="patterns"))
    watched = set(RESTRICTED_TYPES) | {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"}
    found = [(f.entity_type, raw[f.start : f.end]) for f in detector.detect(raw)]
    assert not [hit for hit in found if hit[0] in watched], found


def test_coaching_takes_exactly_one_of_agent_and_team(
    reviewed: ReportWorld, run: Cli, tmp_path: Path
) -> None:
    both = run(
        "report",
        "coaching",
        "--agent",
        "agent-amara",
        "--team",
        "Cards",
        "--out",
        str(tmp_path / "a"),
        ok=False,
    )
    assert both.exit_code == 2 and "exactly one of --agent ID or --team TEAM" in both.output
    neither = run("report", "coaching", "--out", str(tmp_path / "b"), ok=False)
    assert neither.exit_code == 2 and "exactly one of" in neither.output
    unknown = run("report", "coaching", "--team", "Nobody", "--out", str(tmp_path / "c"), ok=False)
    assert unknown.exit_code == 1 and "unknown team(s): Nobody" in unknown.output
    assert "known: Cards, Escalations" in unknown.output
    assert not any((tmp_path / name).exists() for name in "abc")


def test_a_team_without_reviews_is_an_empty_scope(reviewed: ReportWorld, tmp_path: Path) -> None:
    # sup-helen (Escalations) joined a conversation reviewed as agent-priya's.
    with pytest.raises(EmptyScope, match="team Escalations has no submitted review"):
        team_coaching_report(
            reviewed.installation, "Escalations", tmp_path / "e", renderer=render_coaching
        )
    assert not (tmp_path / "e").exists()
