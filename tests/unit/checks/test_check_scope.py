"""A policy judges only where it applies: channels, intents, segments, tags, sources, tools."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from auditkit.checks import Outcome, Policy, evaluate, load_default_policies, parse_policy
from auditkit.sources.sgd import parse_sgd
from tests.unit.checks.builders import AGENT, CUSTOMER, DATA, action, conversation, msg, to_ledger

# τ-bench's airline domain (sierra-research/tau-bench, tau_bench/envs/airline/tools/
# __init__.py, ALL_TOOLS) shares get_user_details with the retail domain.
AIRLINE_TOOLS = (
    "book_reservation",
    "calculate",
    "cancel_reservation",
    "get_reservation_details",
    "get_user_details",
    "list_all_airports",
    "search_direct_flight",
    "search_onestop_flight",
    "send_certificate",
    "think",
    "transfer_to_human_agents",
    "update_reservation_baggages",
    "update_reservation_flights",
    "update_reservation_passengers",
)


@pytest.fixture(scope="module")
def policies() -> dict[str, Policy]:
    return {policy.id: policy for policy in load_default_policies()}


def _airline(number: int) -> Any:
    # An airline agent looks the user up by the id the user gives (the airline policy has
    # no find_user_id step), then works on a reservation.
    tool = AIRLINE_TOOLS[number % len(AIRLINE_TOOLS)]
    steps = [
        msg(CUSTOMER, "Hi, I want to change my flight. My user id is mia_li_3668."),
        action("get_user_details", None),
        action("get_reservation_details", None),
        msg(AGENT, "I found reservation NO6JO3. Which flight would you like instead?"),
    ]
    if tool not in ("get_user_details", "get_reservation_details"):
        steps.append(action(tool, None))
    return conversation(*steps, key=f"airline-{number}")


def test_the_retail_authentication_pack_is_not_applicable_to_airline_conversations(
    policies: dict[str, Policy],
) -> None:
    auth = policies["tau-retail-authentication"]
    results = [evaluate([auth], _airline(n))[0] for n in range(200)]
    assert {r.outcome for r in results} == {Outcome.NOT_APPLICABLE}
    assert "get_reservation_details" in results[0].explanation
    assert not results[0].evidence_seqs


def test_no_packaged_policy_fails_an_airline_conversation(policies: dict[str, Policy]) -> None:
    for number in range(len(AIRLINE_TOOLS)):
        for result in evaluate(list(policies.values()), _airline(number)):
            assert result.outcome is not Outcome.FAIL, (result.policy_id, result.explanation)


def test_a_retail_conversation_calling_only_retail_tools_is_still_judged(
    policies: dict[str, Policy],
) -> None:
    dialogue = conversation(
        msg(CUSTOMER, "Hi, I was wondering how I can check the balance on my gift card?"),
        action("get_user_details", None),
        msg(AGENT, "Your gift card balance is $60."),
    )
    (result,) = evaluate([policies["tau-retail-authentication"]], dialogue)
    assert result.outcome is Outcome.FAIL
    assert result.severity == "critical"


BASE = """\
id: scoped
version: "1"
description: A scoped policy.
severity: high
applies_to:
{scope}
rules:
  - type: validation_before_sensitive_action
    actions: [issue-refund]
    validation:
      actions: [verify-identity]
"""


def _scoped(scope: str) -> Policy:
    return parse_policy(BASE.format(scope=scope).encode(), source="scoped.yaml")


REFUND = conversation(action("issue-refund"))


@pytest.mark.parametrize(
    ("scope", "change", "applies", "reason"),
    [
        ("  segments: [retail]", {"segment": "retail"}, True, ""),
        ("  segments: [retail]", {"segment": "business"}, False, "segments retail"),
        ("  segments: [retail]", {}, False, "has no segment"),
        ("  tags: [cards, loans]", {"tags": ("loans",)}, True, ""),
        ("  tags: [cards]", {"tags": ("mortgage",)}, False, "tags cards"),
        (
            "  sources: ['webhook:chatwoot:*']",
            {"source": "webhook:chatwoot:eu:message_created"},
            True,
            "",
        ),
        (
            "  sources: ['webhook:chatwoot:*']",
            {"source": "exports/march.jsonl:4"},
            False,
            "sources",
        ),
        ("  tools: [issue-refund, verify-identity]", {}, True, ""),
        ("  channels: [voice]", {}, False, "channels voice"),
    ],
    ids=[
        "segment-in",
        "segment-out",
        "segment-none",
        "tag-in",
        "tag-out",
        "source-in",
        "source-out",
        "tools-in",
        "channel-out",
    ],
)
def test_each_scope_field_restricts_and_says_why(
    scope: str, change: dict[str, Any], applies: bool, reason: str
) -> None:
    policy = _scoped(scope)
    (result,) = evaluate([policy], dataclasses.replace(REFUND, **change))
    if applies:
        assert result.outcome is Outcome.FAIL
    else:
        assert result.outcome is Outcome.NOT_APPLICABLE
        assert reason in result.explanation


def test_a_tool_outside_the_namespace_takes_the_conversation_out_of_scope() -> None:
    policy = _scoped("  tools: [issue-refund, verify-identity]")
    other = conversation(action("lookup-flight"), action("issue-refund"))
    (result,) = evaluate([policy], other)
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "also calls lookup-flight" in result.explanation


def test_a_misspelt_scope_field_is_refused() -> None:
    from auditkit.checks import PolicyLoadError

    with pytest.raises(PolicyLoadError, match=r"applies_to\.segment: is not a field"):
        _scoped("  segment: [retail]")


def test_a_blank_scope_label_is_refused() -> None:
    from auditkit.checks import PolicyLoadError

    with pytest.raises(PolicyLoadError, match="must contain a visible character"):
        _scoped("  segments: ['  ']")


# --- consent disclosure: giving a venue's address is not asking for personal data ---------


def _sgd_venue_dialogues() -> dict[str, Any]:
    dialogues = json.loads((DATA / "checks" / "sgd_venue_dialogues.json").read_text("utf-8"))
    return {
        item.conversation.conversation_id: to_ledger(item.conversation)
        for item in parse_sgd(dialogues, source="sgd_venue_dialogues.json")
    }


@pytest.mark.parametrize("dialogue", ["sgd-98_00057", "sgd-98_00073", "sgd-98_00106"])
def test_stating_a_venues_address_does_not_fail_consent_disclosure(
    policies: dict[str, Policy], dialogue: str
) -> None:
    (result,) = evaluate([policies["consent-disclosure"]], _sgd_venue_dialogues()[dialogue])
    assert result.outcome is Outcome.NOT_APPLICABLE, result.explanation


def test_asking_for_a_name_is_still_a_request_for_personal_data(
    policies: dict[str, Policy],
) -> None:
    (result,) = evaluate([policies["consent-disclosure"]], _sgd_venue_dialogues()["sgd-32_00041"])
    assert result.outcome is Outcome.FAIL


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("The address of the venue is 24 Willie Mays Plaza.", False),
        ("I hope you have a great time! The address is 1280 Peachtree Street.", False),
        ("Their phone number is 415-555-0100. What is the name of the restaurant?", False),
        ("Could you give me the phone number for the restaurant?", False),
        ("Could you confirm your date of birth?", True),
        ("May I have the name on the account?", True),
        ("Do you have your account number handy?", True),
        ("What is your postcode?", True),
    ],
)
def test_consent_disclosure_requests(policies: dict[str, Policy], text: str, asks: bool) -> None:
    dialogue = conversation(msg(CUSTOMER, "Hello"), msg(AGENT, text))
    (result,) = evaluate([policies["consent-disclosure"]], dialogue)
    assert (result.outcome is Outcome.FAIL) is asks, result.explanation
