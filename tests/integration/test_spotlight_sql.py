"""Spotlight's and the coaching candidates' signal filters run in the database (the stored
signals JSON read by SQLite's and PostgreSQL's JSON functions): spotlight draws exactly the
conversations the reference test in Python (``signals_hold``) accepts, for every combination
of signals, and the candidates' conditions keep every score whose evidence shows (the Python
test still decides), on the shared data sets and generated conversations."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from auditkit.autoqa import store as autoqa_store
from auditkit.autoqa.coaching import Evidence, evidence_conditions, evidence_seqs
from auditkit.autoqa.service import autoqa_rubrics, run_autoqa
from auditkit.autoqa.spotlight import AutoqaFocus, AutoqaSignal, signals_hold, spotlight_of
from auditkit.checks.service import run_checks
from auditkit.db.engine import read_transaction
from auditkit.ledger.installation import Installation
from auditkit.sources.ingest import import_files
from tests.integration.test_evaluators_fast_path import DATA_SETS, _generated


@pytest.fixture
def scored(installation: Installation, tmp_path: Path) -> Installation:
    import_files(installation, [*DATA_SETS, _generated(tmp_path / "generated.jsonl", 120)])
    run_checks(installation)
    run_autoqa(installation, workers=1)
    return installation


def test_candidate_conditions_keep_every_score_whose_evidence_shows(
    scored: Installation,
) -> None:
    with read_transaction(scored.engine) as conn:
        every = autoqa_store.score_rows(conn)
        for wanted in Evidence:
            shows = {
                (r["conversation_key"], r["rubric_hash"])
                for r in every
                if evidence_seqs(json.loads(r["signals"])["signals"], wanted)
            }
            kept = autoqa_store.score_rows(conn, conditions=evidence_conditions(wanted))
            assert shows, wanted  # the data sets show each kind of evidence somewhere
            assert shows <= {(r["conversation_key"], r["rubric_hash"]) for r in kept}, wanted
            if evidence_conditions(wanted):
                assert len(kept) < len(every), wanted  # the database did the filtering


def test_signal_filters_in_sql_draw_what_the_python_test_accepts(scored: Installation) -> None:
    installation = scored
    (rubric,) = [r for r in autoqa_rubrics(installation) if r.id == "messaging-quality"]
    with installation.engine.connect() as conn:
        stored = {
            key: json.loads(signals)
            for key, signals in conn.execute(
                text("SELECT conversation_key, signals FROM autoqa_scores WHERE rubric_hash = :h"),
                {"h": rubric.content_hash},
            )
        }
    assert len(stored) > 100
    drawn_by_some = 0
    for size in range(1, len(AutoqaSignal) + 1):
        for chosen in itertools.combinations(list(AutoqaSignal), size):
            for minutes in (1, 30):
                focus = AutoqaFocus(signals=frozenset(chosen), silence_minutes=minutes)
                expected = {key for key, doc in stored.items() if signals_hold(doc, focus)}
                found = spotlight_of(installation, rubric.content_hash, focus)
                assert set(found.keys) == expected, (chosen, minutes)
                drawn_by_some += bool(expected)
    assert drawn_by_some >= len(AutoqaSignal)  # the data sets make each signal hold somewhere
    for signal in AutoqaSignal:
        focus = AutoqaFocus(signals=frozenset({signal}))
        assert spotlight_of(installation, rubric.content_hash, focus).keys, signal
