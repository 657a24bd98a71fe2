"""Partial card, account, order and username patterns come from a YAML file that is checked whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from pii_helpers import found

from auditkit.pii.detection.config import default_number_patterns
from auditkit.pii.errors import PatternFileInvalid
from auditkit.pii.recognizers import load_number_patterns, number_recognizers

RECOGNIZERS = number_recognizers(load_number_patterns(default_number_patterns()))


def found_all(text: str) -> list[tuple[str, str]]:
    return sorted(
        (item for recognizer in RECOGNIZERS for item in found(recognizer, text)),
        key=lambda item: text.index(item[1]),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card ending in 4242 was declined", [("PARTIAL_CARD_NUMBER", "4242")]),
        ("visa ends with 1881", [("PARTIAL_CARD_NUMBER", "1881")]),
        ("the last four digits are 0005", [("PARTIAL_CARD_NUMBER", "0005")]),
        ("**** **** **** 1234", [("PARTIAL_CARD_NUMBER", "**** **** **** 1234")]),
        ("XXXX-XXXX-XXXX-9876", [("PARTIAL_CARD_NUMBER", "XXXX-XXXX-XXXX-9876")]),
        ("411111******1111", [("PARTIAL_CARD_NUMBER", "411111******1111")]),
        ("account number is 12345678", [("ACCOUNT_NUMBER", "12345678")]),
        ("acct #: 9876-5432-10", [("ACCOUNT_NUMBER", "9876-5432-10")]),
        ("Order ID: 3348917502", [("ORDER_NUMBER", "3348917502")]),
        ("order #W4923227 arrived", [("ORDER_NUMBER", "#W4923227")]),
        ("invoice 88123441", [("ORDER_NUMBER", "88123441")]),
        ("Username: cminh730", [("USERNAME", "cminh730")]),
        ("my user name is jlee_88.", [("USERNAME", "jlee_88")]),
        ("I ordered 3 shirts", []),
        ("my account is locked", []),
        ("the last four months", []),
    ],
)
def test_configured_number_patterns_find_their_values(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert found_all(text) == expected


def test_a_hash_order_id_alone_is_found_with_a_lower_score() -> None:
    (order,) = [r for r in RECOGNIZERS if r.supported_entities == ["ORDER_NUMBER"]]
    (result,) = order.analyze("it was #W4923227", None)
    assert result.score < 0.8
    assert "order" in order.context


def test_one_recognizer_per_entity_type_in_file_order() -> None:
    assert [r.supported_entities for r in RECOGNIZERS] == [
        ["PARTIAL_CARD_NUMBER"],
        ["ACCOUNT_NUMBER"],
        ["ORDER_NUMBER"],
        ["USERNAME"],
    ]


def test_a_custom_pattern_file_adds_its_own_types(tmp_path: Path) -> None:
    path = tmp_path / "patterns.yaml"
    path.write_text(
        "version: 1\n"
        "patterns:\n"
        "  - name: loyalty card\n"
        "    entity_type: LOYALTY_NUMBER\n"
        "    regex: 'loyalty\\s+(?:number\\s+)?(?P<value>LY-\\d{6})'\n"
        "    score: 0.9\n"
        "    case_sensitive: true\n",
        encoding="utf-8",
    )
    (recognizer,) = number_recognizers(load_number_patterns(path))
    assert found(recognizer, "my loyalty number LY-123456") == [("LOYALTY_NUMBER", "LY-123456")]
    assert found(recognizer, "my LOYALTY number LY-123456") == []


@pytest.mark.parametrize(
    ("content", "problems"),
    [
        ("[1, 2]", ["expected a mapping with `version` and `patterns`"]),
        (
            "version: 2\npatterns: []",
            ["version: expected 1, got 2", "patterns: expected a non-empty list"],
        ),
        (
            "version: 1\npatterns:\n  - name: x\n    entity_type: lower\n    regex: '('\n    score: 2\n    colour: red",
            [
                "patterns[0]: unknown field(s) colour",
                "patterns[0].entity_type: expected an UPPER_SNAKE_CASE name, got 'lower'",
                "patterns[0].score: expected a number in (0, 1], got 2",
                "patterns[0].regex: not a valid regular expression",
            ],
        ),
        (
            "version: 1\npatterns:\n  - name: ''\n    entity_type: A\n    regex: x\n    score: 0.5\n    context: [1]\n  - oops",
            [
                "patterns[0].name: expected a non-empty string",
                "patterns[0].context: expected a list of words",
                "patterns[1]: expected a mapping",
            ],
        ),
        ("version: 1\npatterns: [{", ["cannot read"]),
    ],
)
def test_a_bad_pattern_file_is_refused_with_every_problem(
    tmp_path: Path, content: str, problems: list[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PatternFileInvalid) as refused:
        load_number_patterns(path)
    assert refused.value.path == str(path)
    assert len(refused.value.problems) == len(problems)
    for got, wanted in zip(refused.value.problems, problems, strict=True):
        assert got.startswith(wanted)


def test_a_missing_pattern_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PatternFileInvalid, match="cannot read"):
        load_number_patterns(tmp_path / "absent.yaml")
