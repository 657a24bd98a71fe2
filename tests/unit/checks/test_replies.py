"""Affirmations and negations: the documented lists, acts first, and retries of failed calls."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditkit.checks import Outcome, Policy, evaluate, load_default_policies
from auditkit.checks.replies import (
    AFFIRMATIONS,
    AGREEING_IDIOMS,
    FILLERS,
    HESITATIONS,
    NEGATIONS,
    Reply,
    reply_kind,
)
from tests.unit.checks.builders import AGENT, BOT, CUSTOMER, action, conversation, msg

DOC = Path(__file__).resolve().parents[3] / "docs" / "policies.md"
ASK = "Would you like to proceed with changing the payment method? Please confirm."


@pytest.fixture(scope="module")
def policies() -> dict[str, Policy]:
    return {policy.id: policy for policy in load_default_policies()}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("yes", Reply.AFFIRMATIONS),
        ("Yes, please go ahead and change it to my visa card. Thank you!", Reply.AFFIRMATIONS),
        ("Okay, yes, please go ahead", Reply.AFFIRMATIONS),
        ("Great, thank you! Yes, go ahead.", Reply.AFFIRMATIONS),
        ("That's correct.", Reply.AFFIRMATIONS),
        ("Sure, why not", Reply.AFFIRMATIONS),
        ("No problem, go ahead", Reply.AFFIRMATIONS),
        ("Please do!", Reply.AFFIRMATIONS),
        ("Yes, I don't need anything else", Reply.AFFIRMATIONS),
        ("I confirm.", Reply.AFFIRMATIONS),
        ("No, wait, keep the mastercard.", Reply.NEGATIONS),
        ("Yes, but wait", Reply.NEGATIONS),
        ("Actually, make it the paypal", Reply.NEGATIONS),
        ("I'm not sure", Reply.NEGATIONS),
        ("Hold on — let me check with my wife", Reply.NEGATIONS),
        ("Let me think about it", Reply.NEGATIONS),
        ("Hmm, what about my paypal instead?", None),
        ("Can you confirm the price first?", None),
        ("I want the blue one", None),
        ("", None),
    ],
)
def test_reply_kinds(text: str, kind: Reply | None) -> None:
    assert reply_kind(text) is kind


def test_a_yes_late_in_a_long_message_is_not_an_answer() -> None:
    long = "I have a few questions first about the shipping times and the returns, " + "yes"
    assert reply_kind(long) is None


@pytest.mark.parametrize(
    "words",
    [AFFIRMATIONS, NEGATIONS, HESITATIONS, AGREEING_IDIOMS, FILLERS],
    ids=["affirmations", "negations", "hesitations", "idioms", "fillers"],
)
def test_every_listed_word_is_documented(words: tuple[str, ...]) -> None:
    text = DOC.read_text(encoding="utf-8").casefold().replace("’", "'")
    section = text[text.index("### affirmations and negations") :]
    written = re.sub(r"\s+", " ", section)
    for word in words:
        shown = {"dont": "don't", "thats": "that's", "cant": "can't", "im": "i'm"}
        spelt = " ".join(shown.get(part, part) for part in word.split())
        assert spelt in written, word


def test_every_affirmation_affirms_and_every_negation_negates() -> None:
    for word in AFFIRMATIONS:
        assert reply_kind(word) is Reply.AFFIRMATIONS, word
    for word in NEGATIONS + HESITATIONS:
        assert reply_kind(word) is Reply.NEGATIONS, word


def _retail(*replies: str, outcomes: tuple[str | None, ...] = (None,)) -> object:
    steps = [
        msg(CUSTOMER, "Please change my payment method."),
        action("find_user_id_by_email", None),
        msg(AGENT, ASK),
    ]
    steps += [msg(CUSTOMER, reply) for reply in replies]
    steps += [action("modify_pending_order_payment", outcome) for outcome in outcomes]
    return conversation(*steps)


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        ("Okay, yes, please go ahead", Outcome.PASS),
        ("Great, thanks! Yes.", Outcome.PASS),
        ("Yes, but wait", Outcome.FAIL),
        ("Can you confirm the total first?", Outcome.FAIL),
    ],
)
def test_the_tau_confirmation_pack_reads_yes_anywhere(
    policies: dict[str, Policy], reply: str, outcome: Outcome
) -> None:
    (result,) = evaluate([policies["tau-retail-confirmation"]], _retail(reply))
    assert result.outcome is outcome, result.explanation


def test_a_retry_of_a_failed_call_needs_no_fresh_confirmation(
    policies: dict[str, Policy],
) -> None:
    dialogue = _retail("Yes, go ahead.", outcomes=("error", "success"))
    (result,) = evaluate([policies["tau-retail-confirmation"]], dialogue)
    assert result.outcome is Outcome.PASS, result.explanation
    # The retry cites the failed attempt and the confirmation it relied on.
    assert {3, 4, 5, 6} <= set(result.evidence_seqs)


def test_a_second_successful_call_still_needs_its_own_confirmation(
    policies: dict[str, Policy],
) -> None:
    dialogue = _retail("Yes, go ahead.", outcomes=("success", "success"))
    (result,) = evaluate([policies["tau-retail-confirmation"]], dialogue)
    assert result.outcome is Outcome.FAIL


def test_a_retry_of_a_different_action_is_not_covered(policies: dict[str, Policy]) -> None:
    dialogue = conversation(
        msg(CUSTOMER, "Cancel my order please."),
        action("find_user_id_by_email", None),
        msg(AGENT, ASK),
        msg(CUSTOMER, "Yes"),
        action("cancel_pending_order", "failure"),
        action("return_delivered_order_items", "success"),
    )
    (result,) = evaluate([policies["tau-retail-confirmation"]], dialogue)
    assert result.outcome is Outcome.FAIL
    assert "return_delivered_order_items" in result.explanation


def test_dialogue_acts_decide_where_the_source_has_them(policies: dict[str, Policy]) -> None:
    # The words say yes but the annotation says the user asked something else (INFORM):
    # with acts present, the acts decide.
    policy = policies["transaction-confirmation"]
    annotated = conversation(
        msg(BOT, "Please confirm: transfer $820 to Maria?", "CONFIRM"),
        msg(CUSTOMER, "Yes, but from checking", "INFORM"),
        action("transfer-money", actor=BOT),
    )
    (result,) = evaluate([policy], annotated)
    assert result.outcome is Outcome.FAIL
    affirmed = conversation(
        msg(BOT, "Please confirm: transfer $820 to Maria?", "CONFIRM"),
        msg(CUSTOMER, "Do it", "AFFIRM"),
        action("transfer-money", actor=BOT),
    )
    assert evaluate([policy], affirmed)[0].outcome is Outcome.PASS
    plain = conversation(
        msg(BOT, "Please confirm: transfer $820 to Maria?"),
        msg(CUSTOMER, "Alright then, yes please"),
        action("transfer-money", actor=BOT),
    )
    assert evaluate([policy], plain)[0].outcome is Outcome.PASS
