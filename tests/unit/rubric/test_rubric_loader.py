"""Rubric files: the shipped default loads, bad files are refused with every problem named."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from auditkit.rubric import (
    CriticalRule,
    RubricInvalid,
    Scale,
    load_rubric_file,
    load_rubric_text,
    rubric_from_document,
)

DEFAULT = Path(str(resources.files("auditkit.rubrics"))) / "messaging-quality.yaml"

GOOD = """
id: small
version: 2
title: Small rubric
sections:
  - id: main
    title: Main
    criteria:
      - id: tone
        label: Tone
        scale: 0-3
        weight: 50
        levels: {0: rude, 1: cold, 2: polite, 3: warm}
      - id: closed
        label: Closure
        scale: pass_fail
        weight: 50
        na_allowed: true
        critical: true
        on_critical_failure: section
        levels: {pass: confirmed, fail: not confirmed}
"""


def test_the_default_rubric_has_the_five_messaging_criteria_and_a_compliance_section() -> None:
    rubric = load_rubric_file(DEFAULT)
    quality, compliance = rubric.sections
    assert [c.label for c in quality.criteria] == [
        "Clarity of problem understanding",
        "Effectiveness of guidance",
        "Tone consistency",
        "Proactive information delivery",
        "Closure confirmation",
    ]
    assert sum(c.weight for c in quality.criteria) == 100
    assert compliance.criteria and all(c.critical for c in compliance.criteria)
    assert {c.policy for c in compliance.criteria} >= {"identity-validation"}
    assert {c.scale for c in quality.criteria} == {
        Scale.ONE_TO_FIVE,
        Scale.ZERO_TO_THREE,
        Scale.PASS_FAIL,
    }


def test_a_valid_rubric_loads_with_its_defaults() -> None:
    rubric = load_rubric_text(GOOD, source="small.yaml")
    tone = rubric.criterion("tone")
    assert tone.scale.levels == ("0", "1", "2", "3")
    assert tone.level("3").description == "warm"
    assert not tone.na_allowed and not tone.critical
    assert rubric.criterion("closed").on_critical_failure == CriticalRule.SECTION


def test_the_content_hash_is_the_identity_of_the_content() -> None:
    first = load_rubric_text(GOOD, source="a")
    reformatted = load_rubric_text(
        "# a comment\n" + GOOD.replace("{0: rude", "{ 0: rude"), source="b"
    )
    changed = load_rubric_text(GOOD.replace("warm", "warm and personal"), source="c")
    assert first.content_hash == reformatted.content_hash
    assert first.content_hash != changed.content_hash
    assert len(first.content_hash) == 64


def test_a_stored_snapshot_round_trips_to_the_same_hash() -> None:
    rubric = load_rubric_file(DEFAULT)
    import json

    again = rubric_from_document(json.loads(rubric.canonical_bytes()))
    assert again == rubric and again.content_hash == rubric.content_hash


BAD = """
id: Bad Id
version: 0
title: ""
colour: blue
applies_to: {channels: web_chat}
sections:
  - id: main
    title: Main
    criteria:
      - id: tone
        label: Tone
        scale: 1-10
        weight: 150
        levels: {1: a}
      - id: tone
        label: Tone again
        scale: pass_fail
        weight: 10
        na_allowed: "yes"
        on_critical_failure: review
        levels: {pass: ok, fail: ""}
      - id: closing
        label: Closing
        scale: 0-3
        weight: 5
        levels: {0: a, 1: b, 2: c, 4: d}
  - id: main
    title: Again
    criteria: []
"""


def test_every_problem_is_reported_with_file_and_field() -> None:
    with pytest.raises(RubricInvalid) as caught:
        load_rubric_text(BAD, source="bad.yaml")
    found = {(p.source, p.field) for p in caught.value.problems}
    expected_fields = {
        "id",
        "version",
        "title",
        "colour",
        "applies_to.channels",
        "sections[0].criteria[0].scale",
        "sections[0].criteria[0].weight",
        "sections[0].criteria[1].id",
        "sections[0].criteria[1].na_allowed",
        "sections[0].criteria[1].on_critical_failure",
        "sections[0].criteria[1].levels.fail",
        "sections[0].criteria[2].levels",
        "sections[1].id",
        "sections[1].criteria",
    }
    assert {("bad.yaml", field) for field in expected_fields} <= found
    message = str(caught.value)
    assert (
        "bad.yaml: sections[0].criteria[0].weight: 150 is not a whole number from 0 to 100"
        in message
    )
    assert "level(s) 4 are not on the 0-3 scale" in message
    assert "missing a description for level(s) 3" in message


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("[1, 2]", "(file)", "must be a mapping"),
        ("id: [unclosed", "(file)", "not valid YAML"),
        ("id: a\nid: b\n", "id", "duplicate key on line 2"),
        (GOOD.replace("weight: 50", "weight: 0"), "sections", "add up to 0"),
        (
            GOOD.replace("weight: 50\n        levels: {0", "weight: true\n        levels: {0"),
            "sections[0].criteria[0].weight",
            "not a whole number",
        ),
    ],
    ids=["not-a-mapping", "bad-yaml", "duplicate-key", "zero-total-weight", "boolean-weight"],
)
def test_refusals(text: str, field: str, reason: str) -> None:
    with pytest.raises(RubricInvalid) as caught:
        load_rubric_text(text, source="r.yaml")
    assert any(p.field == field and reason in p.reason for p in caught.value.problems), caught.value


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"id: caf\xe9\n")
    with pytest.raises(RubricInvalid, match="cannot read"):
        load_rubric_file(path)
