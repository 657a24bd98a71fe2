"""The planner's fast read of stored evidence seqs answers what ``json.loads`` answers."""

from __future__ import annotations

import json

import pytest

from auditkit.autoqa.store import _seq_list


@pytest.mark.parametrize(
    "seqs", [[], [0], [7], [3, 5, 8], [-1, 2], list(range(0, 5000, 7)), [2**60]]
)
def test_what_the_checks_store_reads_back_as_json_does(seqs: list[int]) -> None:
    for text in (json.dumps(seqs), json.dumps(seqs, separators=(",", ":"))):
        assert _seq_list(text) == json.loads(text) == seqs


@pytest.mark.parametrize("text", ["[ ]", "[1.5]", "[true]", "[[1], 2]", '["3"]', "[null]"])
def test_anything_else_is_json_loads_answer(text: str) -> None:
    assert _seq_list(text) == json.loads(text)


def test_a_broken_value_is_refused_as_json_refuses_it() -> None:
    with pytest.raises(json.JSONDecodeError):
        _seq_list("[1, 2")
