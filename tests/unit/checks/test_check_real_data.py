"""The packaged policies on real data: Harper Valley calls, ABCD chats, SGD dialogues, τ-bench."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from auditkit.checks import Outcome, Policy, evaluate, load_default_policies
from auditkit.checks.rules import ConfirmationBeforeAction, ValidationBeforeSensitiveAction
from auditkit.checks.tools.abcd_policy import main, render_abcd_policy
from auditkit.sources.abcd import parse_abcd, read_abcd
from auditkit.sources.sgd import parse_sgd, read_sgd
from tests.unit.checks.builders import (
    AGENT,
    CUSTOMER,
    DATA,
    action,
    conversation,
    harper_valley_calls,
    msg,
    to_ledger,
)

CHECKS = DATA / "checks"
POLICY_DIR = DATA.parents[1] / "auditkit" / "checks" / "policies"


@pytest.fixture(scope="module")
def policies() -> dict[str, Policy]:
    return {policy.id: policy for policy in load_default_policies()}


def _result(policy: Policy, conversation: Any) -> Any:
    (result,) = evaluate([policy], conversation)
    return result


# --- Harper Valley: a card replaced with no identity check ---------------------------------


def test_harper_valley_card_replacements_without_validation_are_violations(
    policies: dict[str, Policy],
) -> None:
    calls = harper_valley_calls(CHECKS / "hvb_excerpt_2calls.json")
    assert len(calls) == 2
    for call in calls:
        assert not any(event.kind == "action" for event in call.events)
        result = _result(policies["identity-validation"], call)
        assert result.outcome is Outcome.FAIL, result.explanation
        assert result.severity == "critical"
        assert "no identity validation before it" in result.explanation
        agent = next(p.id for p in call.participants.values() if p.role == "agent")
        texts = {e.seq: e.body["text"] for e in call.events if e.body["author"] == agent}
        assert result.evidence_seqs
        for seq in result.evidence_seqs:
            assert re.search(r"replac", texts[seq]), texts[seq]
    # The second call says outright that the card was ordered.
    second = _result(policies["identity-validation"], calls[1])
    assert any(
        "ordered your replacement" in calls[1].events[s - 1].body["text"]
        for s in second.evidence_seqs
    )


def test_the_whole_pack_runs_on_transcribed_calls(policies: dict[str, Policy]) -> None:
    for call in harper_valley_calls(CHECKS / "hvb_excerpt_2calls.json"):
        results = {r.policy_id: r.outcome for r in evaluate(policies.values(), call)}
        assert results["identity-validation"] is Outcome.FAIL
        assert results["abcd-identity-validation"] is Outcome.NOT_APPLICABLE
        assert results["sgd-transfer-confirmation"] is Outcome.NOT_APPLICABLE


# --- ABCD: the 22 subflows that need verify-identity -----------------------------------------


def test_the_abcd_pack_lists_exactly_the_kb_subflows_that_require_verify_identity(
    policies: dict[str, Policy],
) -> None:
    kb = json.loads((CHECKS / "abcd_kb.json").read_text(encoding="utf-8"))
    expected = {subflow for subflow, actions in kb.items() if "verify-identity" in actions}
    assert len(expected) == 22
    (rule,) = policies["abcd-identity-validation"].rules
    assert isinstance(rule, ValidationBeforeSensitiveAction)
    assert rule.intents == expected
    assert rule.validation.action.names == {"verify-identity"}
    assert "verify-identity" not in rule.exempt_actions


def test_the_packaged_abcd_policy_is_what_the_tool_generates(
    capsys: pytest.CaptureFixture[str],
) -> None:
    kb_path, ontology_path = CHECKS / "abcd_kb.json", CHECKS / "abcd_ontology.json"
    kb = json.loads(kb_path.read_text(encoding="utf-8"))
    ontology = json.loads(ontology_path.read_text(encoding="utf-8"))
    packaged = (POLICY_DIR / "abcd-identity-validation.yaml").read_text(encoding="utf-8")
    assert render_abcd_policy(kb, ontology) == packaged
    assert main([str(kb_path), str(ontology_path)]) == 0
    assert capsys.readouterr().out == packaged


def _abcd(item: dict[str, Any]) -> Any:
    (source,) = parse_abcd([item], source="abcd-test")
    return to_ledger(source.conversation)


def _sample_item(convo_id: int) -> dict[str, Any]:
    items = json.loads((DATA / "abcd" / "abcd_sample.json").read_text(encoding="utf-8"))
    item = copy.deepcopy(next(i for i in items if i["convo_id"] == convo_id))
    # Edited turns below would misalign delexed; the importer then names actions from their text.
    item.pop("delexed")
    return item


def test_the_abcd_sample_has_none_of_the_validated_subflows(policies: dict[str, Policy]) -> None:
    for source in read_abcd(DATA / "abcd" / "abcd_sample.json"):
        conversation = to_ledger(source.conversation)
        result = _result(policies["abcd-identity-validation"], conversation)
        assert result.outcome is Outcome.NOT_APPLICABLE, conversation.intents
        assert len(evaluate(policies.values(), conversation)) == len(policies)


@pytest.mark.parametrize(
    ("insert_verification", "outcome"),
    [(False, Outcome.FAIL), (True, Outcome.PASS)],
    ids=["address-change-without-verify-identity", "address-change-with-verify-identity"],
)
def test_an_abcd_address_change_needs_verify_identity(
    policies: dict[str, Policy], insert_verification: bool, outcome: Outcome
) -> None:
    item = _sample_item(3592)
    item["scenario"]["flow"], item["scenario"]["subflow"] = (
        "manage_account",
        "manage_change_address",
    )
    if insert_verification:
        pulled = next(
            i for i, (speaker, text) in enumerate(item["original"]) if "pulled up" in text
        )
        item["original"].insert(pulled + 1, ["action", "Identity verification in progress ..."])
    conversation = _abcd(item)
    result = _result(policies["abcd-identity-validation"], conversation)
    assert result.outcome is outcome, result.explanation
    if outcome is Outcome.FAIL:
        names = {e.seq: e.body.get("name") for e in conversation.events if e.kind == "action"}
        assert names[result.evidence_seqs[0]] == "validate-purchase"


def test_the_abcd_policy_ignores_a_generic_status_intent_from_other_sources(
    policies: dict[str, Policy],
) -> None:
    item = _sample_item(3592)
    item["scenario"]["flow"], item["scenario"]["subflow"] = "product_defect", "status"
    result = _result(policies["abcd-identity-validation"], _abcd(item))
    assert result.outcome is Outcome.NOT_APPLICABLE
    item["scenario"]["flow"] = "shipping_issue"
    assert _result(policies["abcd-identity-validation"], _abcd(item)).outcome is Outcome.FAIL


# --- SGD: TransferMoney needs CONFIRM then AFFIRM ------------------------------------------------


def test_the_sgd_policy_covers_the_transactional_intents_of_the_schema(
    policies: dict[str, Policy],
) -> None:
    schema = json.loads((CHECKS / "sgd_schema.json").read_text(encoding="utf-8"))
    transactional = {
        intent["name"]
        for service in schema
        for intent in service["intents"]
        if intent["is_transactional"]
    }
    (rule,) = policies["sgd-transfer-confirmation"].rules
    assert isinstance(rule, ConfirmationBeforeAction)
    assert rule.action.names == transactional == {"TransferMoney"}


def test_sgd_transfers_are_confirmed_and_affirmed(policies: dict[str, Policy]) -> None:
    results = [
        _result(policies["sgd-transfer-confirmation"], to_ledger(source.conversation))
        for source in read_sgd(DATA / "sgd" / "dialogues_039.json")
    ]
    assert len(results) == 5
    for result in results:
        assert result.outcome is Outcome.PASS, result.explanation
        assert len(result.evidence_seqs) == 3  # CONFIRM, AFFIRM, TransferMoney


def test_an_sgd_transfer_without_affirm_is_a_violation(policies: dict[str, Policy]) -> None:
    dialogues = json.loads((DATA / "sgd" / "dialogues_039.json").read_text(encoding="utf-8"))
    dialogue = copy.deepcopy(dialogues[0])
    for turn in dialogue["turns"]:
        for frame in turn["frames"]:
            for act in frame["actions"]:
                if act["act"] == "AFFIRM":
                    act["act"] = "INFORM"
    (source,) = parse_sgd([dialogue], source="sgd-test")
    result = _result(policies["sgd-transfer-confirmation"], to_ledger(source.conversation))
    assert result.outcome is Outcome.FAIL
    assert "before the customer affirmed" in result.explanation


def test_check_balance_dialogues_need_no_confirmation(policies: dict[str, Policy]) -> None:
    dialogues = json.loads((DATA / "sgd" / "dialogues_039.json").read_text(encoding="utf-8"))
    dialogue = copy.deepcopy(dialogues[0])
    dialogue["turns"] = dialogue["turns"][6:]  # from the balance question on
    (source,) = parse_sgd([dialogue], source="sgd-test")
    result = _result(policies["sgd-transfer-confirmation"], to_ledger(source.conversation))
    assert result.outcome is Outcome.NOT_APPLICABLE


# --- τ-bench retail ---------------------------------------------------------------------------------


def test_the_tau_policies_follow_the_retail_wiki(policies: dict[str, Policy]) -> None:
    wiki = (CHECKS / "tau_retail_wiki.md").read_text(encoding="utf-8")
    assert (
        "authenticate the user identity by locating their user id via email, or via name + zip code"
        in wiki
    )
    assert "obtain explicit user confirmation (yes)" in wiki
    (auth,) = policies["tau-retail-authentication"].rules
    (confirm,) = policies["tau-retail-confirmation"].rules
    assert isinstance(auth, ValidationBeforeSensitiveAction)
    assert isinstance(confirm, ConfirmationBeforeAction)
    assert auth.validation.action.names == {"find_user_id_by_email", "find_user_id_by_name_zip"}
    # Every consequential action the wiki names (cancel, modify, return, exchange) is covered.
    for verb in ("cancel", "modify", "return", "exchange"):
        assert any(name.startswith(verb) for name in confirm.action.names), verb
    assert confirm.action.names <= auth.sensitive.names


_TAU_ASK = (
    "Would you like to proceed with changing the payment method to your Visa card ending"
    " in 8902? Please confirm if you'd like to proceed."
)


def _tau_dialogue(*, authenticated: bool, reply: str) -> Any:
    # The first τ-bench retail dialogue's words, with its tool calls as action events.
    steps = [
        msg(CUSTOMER, "Hi, I was wondering how I can check the balance on my gift card?"),
        msg(
            AGENT,
            "I first need to authenticate your identity. Could you please provide your email address?",
        ),
        msg(CUSTOMER, "Sure, it's isabella.lopez3271@example.com."),
    ]
    if authenticated:
        steps.append(action("find_user_id_by_email", None))
    steps += [
        action("get_user_details", None),
        msg(AGENT, "Your gift card balance is $60."),
        action("get_order_details", None),
        msg(AGENT, _TAU_ASK),
        msg(CUSTOMER, reply),
        action("modify_pending_order_payment", None),
    ]
    return conversation(*steps)


@pytest.mark.parametrize(
    ("authenticated", "reply", "authentication", "confirmation"),
    [
        (
            True,
            "Yes, please go ahead and change it to my visa card. Thank you!",
            Outcome.PASS,
            Outcome.PASS,
        ),
        (
            False,
            "Yes, please go ahead and change it to my visa card. Thank you!",
            Outcome.FAIL,
            Outcome.PASS,
        ),
        (True, "Hmm, what about my paypal instead?", Outcome.PASS, Outcome.FAIL),
        (True, "No, wait, keep the mastercard.", Outcome.PASS, Outcome.FAIL),
    ],
    ids=["authenticated-and-confirmed", "not-authenticated", "no-explicit-yes", "declined"],
)
def test_tau_retail_dialogues(
    policies: dict[str, Policy],
    authenticated: bool,
    reply: str,
    authentication: Outcome,
    confirmation: Outcome,
) -> None:
    dialogue = _tau_dialogue(authenticated=authenticated, reply=reply)
    auth = _result(policies["tau-retail-authentication"], dialogue)
    confirm = _result(policies["tau-retail-confirmation"], dialogue)
    assert auth.outcome is authentication, auth.explanation
    assert confirm.outcome is confirmation, confirm.explanation
