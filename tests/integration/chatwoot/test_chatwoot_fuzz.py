"""Property-based fuzzing of ``POST /hooks/chatwoot``: whatever arrives, the answer is a clear
200 or 4xx (never a server error), a refusal appends nothing and is kept, and the log verifies."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditkit.ledger.verify import verify_ledger
from auditkit.sources.chatwoot.export import WEBHOOK_EVENTS
from tests.integration.chatwoot.support import Hooks, fixture

FIXTURES = [
    "message_created_incoming",
    "message_created_outgoing",
    "message_created_private_note",
    "message_updated_edited",
    "message_updated_csat",
    "conversation_created",
    "conversation_status_changed",
    "conversation_updated_assignee_labels",
    # As Chatwoot's presenter builds them (no account_id; the source's account fills in).
    "presenter_conversation_created",
    "presenter_status_changed_handoff",
    "presenter_status_changed_resolved_no_changes",
]
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

long_numbers = st.integers(min_value=1, max_value=400).map(lambda n: int("9" * n))
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | long_numbers  # 400-digit timestamps and ids (issue 20)
    | long_numbers.map(str)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


class Tally:
    """Checks each answer and counts what must have been kept or appended."""

    def __init__(self, hooks: Hooks) -> None:
        self.hooks = hooks
        self.refused = len(hooks.rejections())

    def post(self, body: bytes) -> int:
        before = self.hooks.size()
        response = self.hooks.post(body)
        assert response.status_code in (200, 400, 422), (response.status_code, body[:300])
        assert response.is_json and isinstance(response.json, dict)
        if response.status_code != 200:
            self.refused += 1
            assert response.json["error"], body[:300]
            assert self.hooks.size() == before, "a refused delivery appended records"
            assert len(self.hooks.rejections()) == self.refused, "a refusal was not kept"
        return response.status_code


@FUZZ
@given(body=st.binary(max_size=400))
def test_arbitrary_bytes_are_answered_clearly(hooks_client: Hooks, body: bytes) -> None:
    Tally(hooks_client).post(body)


@FUZZ
@given(
    name=st.sampled_from(FIXTURES),
    cut=st.integers(min_value=0, max_value=10_000),
    length=st.integers(min_value=1, max_value=40),
    junk=st.text(alphabet='{}[]",:\\0123456789.-eE truefalsn\x00\ud7ff', max_size=8),
)
def test_mangled_json_is_answered_clearly(
    hooks_client: Hooks, name: str, cut: int, length: int, junk: str
) -> None:
    text = json.dumps(fixture(name))
    start = cut % len(text)
    mangled = text[:start] + junk + text[start + length :]
    Tally(hooks_client).post(mangled.encode("utf-8", "surrogatepass"))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


@FUZZ
@given(data=st.data(), name=st.sampled_from(FIXTURES), replacement=json_values)
def test_a_payload_with_any_field_replaced_is_recorded_or_refused_clearly(
    hooks_client: Hooks, data: st.DataObject, name: str, replacement: Any
) -> None:
    payload = fixture(name)
    path = data.draw(st.sampled_from(_paths(payload)[1:]))
    target = payload
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = replacement
    Tally(hooks_client).post(json.dumps(payload).encode("utf-8", "surrogatepass"))


@FUZZ
@given(
    event=st.sampled_from(WEBHOOK_EVENTS) | st.text(max_size=20),
    extra=st.dictionaries(st.text(max_size=12), json_values, max_size=6),
)
def test_any_object_naming_an_event_is_recorded_or_refused_clearly(
    hooks_client: Hooks, event: str, extra: dict[str, Any]
) -> None:
    Tally(hooks_client).post(json.dumps({**extra, "event": event}).encode("utf-8", "surrogatepass"))


@FUZZ
@given(
    name=st.sampled_from(FIXTURES),
    stamp=long_numbers.map(str)
    | st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30),
    good=st.booleans(),
)
def test_any_signature_timestamp_is_answered_clearly(
    hooks_client: Hooks, name: str, stamp: str, good: bool
) -> None:
    import hashlib
    import hmac

    from tests.integration.chatwoot.support import SECRET, fixture_bytes

    body = fixture_bytes(name)
    secret = SECRET if good else "another-secret-0123456789"
    digest = hmac.new(
        secret.encode(), stamp.encode("ascii", "replace") + b"." + body, hashlib.sha256
    ).hexdigest()
    response = hooks_client.post(
        body,
        token=None,
        headers={"X-Chatwoot-Signature": f"sha256={digest}", "X-Chatwoot-Timestamp": stamp},
    )
    assert response.status_code in (400, 401), (response.status_code, stamp[:40])
    assert response.json["error"]


def test_after_fuzzing_the_log_still_verifies(hooks_client: Hooks) -> None:
    for name in FIXTURES:
        hooks_client.post(name)
    test_a_payload_with_any_field_replaced_is_recorded_or_refused_clearly(hooks_client)
    report = verify_ledger(hooks_client.installation)
    assert report.ok, report.problems
