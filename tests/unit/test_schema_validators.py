"""The compiled (jsonschema-rs) and reference (jsonschema) validators agree on every document."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.sources.jsonl import _fast_validator, _validator
from tests.factories import DATA

DEMO = [
    json.loads(line)
    for line in (DATA / "demo" / "conversations.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["2024-13-01T00:00:00Z", "2024-03-04T09:12:05", "customer", "", "x" * 300]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*path, index)))
    return found


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fast_and_reference_validators_agree(data: st.DataObject) -> None:
    document = copy.deepcopy(data.draw(st.sampled_from(DEMO)))
    path = data.draw(st.sampled_from(_paths(document)[1:]))
    target = document
    for part in path[:-1]:
        target = target[part]
    if data.draw(st.booleans()) and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = data.draw(REPLACEMENTS)
    reference_ok = not any(True for _ in _validator().iter_errors(document))
    assert _fast_validator().is_valid(document) == reference_ok


def test_every_demo_conversation_is_valid_for_both() -> None:
    for document in DEMO:
        assert _fast_validator().is_valid(document)
        assert not list(_validator().iter_errors(document))
