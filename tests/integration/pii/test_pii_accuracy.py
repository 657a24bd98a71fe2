"""The accuracy targets of the PII issue hold on the labelled copies in the repository."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "pii_accuracy", ROOT / "bench" / "pii_accuracy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pii_accuracy"] = module
    spec.loader.exec_module(module)
    return module


def _sets(bench: ModuleType, part: str) -> dict[str, list]:
    data = ROOT / "tests" / "data"
    return {
        "synth_v2": bench.split(
            bench.load_presidio_synth(data / "pii/presidio_synth/synth_dataset_v2.json"), part
        ),
        "synth": bench.split(
            bench.load_presidio_synth(data / "pii/presidio_synth/generated_small.json"), part
        ),
        "abcd": bench.split(bench.load_abcd(data / "abcd/abcd_sample.json"), part),
    }


HELD_OUT_RECALL_FLOOR = 0.885
HELD_OUT_F1_FLOOR = 0.845
"""Floors on the held-out part (before issue 17: recall 0.626, F1 0.715; second pass 0.866,
0.836; third pass 0.883, 0.847; fourth pass 0.896, 0.852)."""
HELD_OUT_PERSON_FLOOR = 0.91
"""Names: 0.892 after the second pass, 0.913 after the third, 0.924 after the fourth."""


@pytest.mark.slow
def test_held_out_accuracy_is_above_its_floor_and_beats_stock() -> None:
    bench = load_bench()
    sets = _sets(bench, "held-out")
    package = bench.spacy_model_package("en_core_web_sm")
    predictors = {
        "stock Presidio": bench.stock_predictor(package[0]),
        "auditkit": bench.auditkit_predictor(bench.DetectorConfig()),
    }
    together = bench.evaluate(sets, predictors)[bench.ALL_SETS]
    ours = bench.identifying(together["auditkit"])
    stock = bench.identifying(together["stock Presidio"])
    assert ours.recall >= HELD_OUT_RECALL_FLOOR, ours.recall
    assert ours.f1 >= HELD_OUT_F1_FLOOR, ours.f1
    assert ours.f1 >= stock.f1 + 0.15
    assert together["auditkit"].by_type["PERSON"].recall >= HELD_OUT_PERSON_FLOOR
    assert together["auditkit"].by_type["CREDIT_CARD"].recall >= 0.98  # fourth pass: 1.00
    assert together["auditkit"].by_type["LOCATION"].recall >= 0.81  # fourth pass: 0.823
    assert together["auditkit"].by_type["ADDRESS"].recall >= 0.88  # fourth pass: 0.892


def test_the_held_out_part_is_fixed_and_disjoint_from_the_tuning_part() -> None:
    bench = load_bench()
    held, tuning = _sets(bench, "held-out"), _sets(bench, "tuning")
    for name in held:
        held_units = {e.unit for e in held[name]}
        assert held_units and not held_units & {e.unit for e in tuning[name]}
    # By template: a held-out sentence's wording was never seen while tuning.
    assert bench.held_out("synth_dataset_v2.json:template:87") is bench.held_out(
        "synth_dataset_v2.json:template:87"
    )
    assert len(held["synth_v2"]) == 681 and len(tuning["synth_v2"]) == 819
    assert [e.unit for e in held["abcd"]][:1] == ["abcd:3592"]


def test_abcd_labels_come_from_the_scenario() -> None:
    bench = load_bench()
    scenario = {
        "personal": {
            "customer_name": "crystal minh",
            "email": "cminh730@email.com",
            "username": "cminh730",
        },
        "order": {"order_id": "3348917502"},
    }
    text = "I'm Crystal, cminh730@email.com, order 3348917502, user cminh730"
    spans = [(text[s.start : s.end], s.kind) for s in bench.abcd_labels(text, scenario)]
    assert spans == [
        ("Crystal", "PERSON"),
        ("cminh730@email.com", "EMAIL_ADDRESS"),
        ("3348917502", "ORDER_NUMBER"),
        ("cminh730", "USERNAME"),
    ]
