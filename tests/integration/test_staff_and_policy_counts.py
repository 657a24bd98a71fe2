"""The small tables the staff menus, the agents list, the dashboard and the findings menus read
(``staff_participants``, ``policy_outcome_counts``, migration 0026) give the answers of the
queries over ``participants`` and ``check_results`` they replace: after an import, after
re-running checks that change outcomes, after an erasure, and when backfilled by the migration.
The reference answers below are those queries, as they were before 0026."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, case, func, or_, select, text

from auditkit.checks.service import run_checks
from auditkit.ledger.installation import Installation
from auditkit.ledger.sealing.cipher import ERASED
from auditkit.ledger.tables import participants
from auditkit.ledger.verify import verify_ledger
from auditkit.privacy.erasure import erase_subject
from auditkit.quality import store as quality_store
from auditkit.review import search_store
from auditkit.review import store as review_store
from auditkit.sources import ingest
from auditkit.sources.ingest import import_files
from tests.factories import (
    DATA,
    add_unvalidated_refund,
    make_conversation,
    remigrate,
    write_jsonl,
)

DEMO = DATA / "demo" / "conversations.jsonl"
SUBJECT = "cust-maria-gonzalez"


# --- the queries 0026 replaced (reference answers) -----------------------------------------


def _old_staff_ids(conn: Connection, roles: tuple[str, ...]) -> dict[str, Any]:
    query = select(participants.c.participant_id, participants.c.name, participants.c.team).where(
        participants.c.role.in_(list(roles))
    )
    found: dict[str, dict[str, Any]] = {}
    for pid, name, team in conn.execute(query).tuples():
        row = found.setdefault(pid, {"names": set(), "teams": set()})
        if name and name != ERASED:
            row["names"].add(name)
        if team:
            row["teams"].add(team)
    return found


def _old_teams(conn: Connection) -> list[str]:
    query = (
        select(participants.c.team)
        .where(participants.c.team.is_not(None), participants.c.role.in_(search_store.STAFF))
        .distinct()
        .order_by(participants.c.team)
    )
    return [t for (t,) in conn.execute(query).tuples()]


def _old_staff_names(conn: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    query = (
        select(
            participants.c.participant_id,
            func.max(case((participants.c.name == ERASED, None), else_=participants.c.name)),
            func.max(participants.c.team),
        )
        .where(participants.c.participant_id.in_(ids))
        .group_by(participants.c.participant_id)
    )
    return {pid: {"name": n, "team": t} for pid, n, t in conn.execute(query).tuples()}


def _old_participant_names(conn: Connection, ids: list[str]) -> dict[str, set[tuple[Any, Any]]]:
    """Every (name, team) the old agents-list lookup could have answered with, per id."""
    query = select(participants.c.participant_id, participants.c.name, participants.c.team).where(
        participants.c.participant_id.in_(ids),
        or_(participants.c.name.is_(None), participants.c.name != ERASED),
    )
    found: dict[str, set[tuple[Any, Any]]] = {}
    for pid, name, team in conn.execute(query).tuples():
        found.setdefault(pid, set()).add((name, team))
    return found


def _old_policy_outcomes(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT policy_id, "
            "SUM(CASE WHEN outcome = 'fail' THEN 1 ELSE 0 END) AS failed, "
            "SUM(CASE WHEN outcome <> 'not_applicable' THEN 1 ELSE 0 END) AS evaluated "
            "FROM check_results GROUP BY policy_id ORDER BY policy_id"
        )
    )
    return [{"policy_id": p, "failed": int(f), "evaluated": int(e)} for p, f, e in rows]


def _distinct_staff(conn: Connection) -> set[tuple[str, str, str, str]]:
    rows = conn.execute(
        text(
            "SELECT DISTINCT participant_id, role, COALESCE(name, ''), COALESCE(team, '') "
            "FROM participants WHERE role <> 'customer'"
        )
    )
    return {tuple(r) for r in rows}  # type: ignore[misc]


def _staff_table(conn: Connection) -> set[tuple[str, str, str, str]]:
    rows = conn.execute(text("SELECT participant_id, role, name, team FROM staff_participants"))
    return {tuple(r) for r in rows}  # type: ignore[misc]


# --- what every check compares -------------------------------------------------------------


def _assert_same_answers(installation: Installation) -> None:
    with installation.engine.connect() as conn:
        assert _staff_table(conn) == _distinct_staff(conn)
        for roles in (("agent",), search_store.STAFF, ("agent", "bot", "supervisor")):
            old = _old_staff_ids(conn, roles)
            new = search_store.staff_ids(conn, roles)
            assert [r["id"] for r in new] == sorted(old)
            for row in new:
                assert row["teams"] == old[row["id"]]["teams"]
                names = old[row["id"]]["names"]
                assert row["name"] in names if names else row["name"] is None
        assert search_store.teams(conn) == _old_teams(conn)
        ids = sorted(_old_staff_ids(conn, ("agent", "bot", "supervisor")))
        assert ids
        assert quality_store.staff_names(conn, ids) == _old_staff_names(conn, ids)
        possible = _old_participant_names(conn, ids)
        for pid, person in review_store.staff_names(conn, ids).items():
            assert (person["name"], person["team"]) in possible[pid] or person["name"] is None
        assert set(review_store.staff_names(conn, ids)) == set(possible) | {
            pid for pid in ids if pid not in possible
        }
        assert quality_store.policy_outcomes(conn) == _old_policy_outcomes(conn)
        assert search_store.known_policy_ids(conn) == {
            p for (p,) in conn.execute(text("SELECT DISTINCT policy_id FROM check_results"))
        }


def test_the_small_tables_answer_as_the_scans_did(installation: Installation) -> None:
    import_files(installation, [DEMO])
    with installation.engine.connect() as conn:
        assert quality_store.policy_outcomes(conn) == []
        assert search_store.known_policy_ids(conn) == set()
    run_checks(installation)
    _assert_same_answers(installation)
    with installation.engine.connect() as conn:
        assert any(r["failed"] for r in quality_store.policy_outcomes(conn))
        names = quality_store.staff_names(conn, ["agent-amara", "bot-nova"])
    assert names == {
        "agent-amara": {"name": "Amara Okafor", "team": "Cards"},
        "bot-nova": {"name": "Nova", "team": "Virtual Assistant"},
    }
    assert verify_ledger(installation).ok


def test_counts_follow_a_rerun_that_changes_outcomes(
    installation: Installation, tmp_path: Path
) -> None:
    conversation = make_conversation("c-1")
    import_files(installation, [DEMO, write_jsonl(tmp_path / "a.jsonl", [conversation])])
    run_checks(installation)
    with installation.engine.connect() as conn:
        before = {r["policy_id"]: r for r in quality_store.policy_outcomes(conn)}
    add_unvalidated_refund(conversation)
    import_files(installation, [write_jsonl(tmp_path / "b.jsonl", [conversation])])
    run_checks(installation)
    run_checks(installation)  # nothing changed: the counts must not move
    _assert_same_answers(installation)
    with installation.engine.connect() as conn:
        after = {r["policy_id"]: r for r in quality_store.policy_outcomes(conn)}
    assert after["identity-validation"]["failed"] == before["identity-validation"]["failed"] + 1


def test_an_erasure_keeps_the_staff_table_equal_to_participants(
    installation: Installation,
) -> None:
    import_files(installation, [DEMO])
    run_checks(installation)
    erase_subject(installation, SUBJECT, reason="customer asked")
    run_checks(installation)
    _assert_same_answers(installation)
    with installation.engine.connect() as conn:
        names = quality_store.staff_names(conn, ["agent-amara"])
    assert names["agent-amara"]["name"] == "Amara Okafor"  # the customer's erasure only
    assert verify_ledger(installation).ok


def test_the_migration_backfills_both_tables(installation: Installation) -> None:
    import_files(installation, [DEMO])
    run_checks(installation)
    with installation.engine.connect() as conn:
        staff = _staff_table(conn)
        counts = quality_store.policy_outcomes(conn)
    assert staff and counts
    remigrate(installation.engine, back_to="0025", then_to="0026")
    with installation.engine.connect() as conn:
        assert _staff_table(conn) == staff
        assert quality_store.policy_outcomes(conn) == counts


def test_verify_sees_a_staff_row_that_drifted(installation: Installation) -> None:
    import_files(installation, [DEMO])
    with installation.engine.begin() as conn:
        conn.execute(text("UPDATE staff_participants SET name = 'Someone else' WHERE name <> ''"))
    report = verify_ledger(installation)
    assert not report.ok
    assert any("staff_participants" in p.reason for p in report.problems)


def test_a_large_import_refreshes_postgresql_statistics(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not ingest.is_large_import(9_999, 0)
    assert ingest.is_large_import(10_000, 100_000)
    assert not ingest.is_large_import(10_000, 100_001)
    monkeypatch.setattr(ingest, "LARGE_IMPORT_RECORDS", 10)
    report = import_files(installation, [DEMO])
    postgresql = installation.engine.dialect.name == "postgresql"
    assert report.analyzed is postgresql
    if postgresql:
        with installation.engine.connect() as conn:
            analysed = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'participants' "
                    "AND schemaname = current_schema() AND last_analyze IS NOT NULL"
                )
            ).scalar_one()
        assert analysed == 1
    again = import_files(installation, [DEMO])  # nothing new: no statistics to refresh
    assert again.analyzed is False
