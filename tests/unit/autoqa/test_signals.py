"""Each AutoQA signal on labelled snippets of ABCD, SGD, tau-bench retail and Harper Valley.

The snippets and their labels are in tests/data/autoqa/snippets.json, each with its source
and licence; the labels were written by reading the transcript (see that file's ``about``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from auditkit.autoqa import language
from auditkit.autoqa.signals import PolicyOutcome, compute_signals
from auditkit.ledger.conversation import LedgerConversation, LedgerEvent, LedgerParticipant
from auditkit.rubric.autoscoring import SIGNALS
from tests.factories import DATA

SNIPPETS = json.loads((DATA / "autoqa" / "snippets.json").read_text(encoding="utf-8"))["snippets"]
BY_ID = {s["id"]: s for s in SNIPPETS}
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def conversation_of(snippet: dict[str, Any]) -> LedgerConversation:
    """A ledger conversation with one message per turn, its seq the turn's position."""
    events = []
    for turn in snippet["turns"]:
        offset = (
            timedelta(milliseconds=turn["ms"]) if "ms" in turn else timedelta(minutes=turn["seq"])
        )
        author = "cust" if turn["role"] == "customer" else "agent"
        events.append(
            LedgerEvent(
                seq=turn["seq"],
                kind="message",
                at=START + offset,
                body={"author": author, "text": turn["text"]},
            )
        )
    return LedgerConversation(
        key=snippet["id"],
        channel="web_chat",
        customer="cust",
        participants={
            "cust": LedgerParticipant("cust", "customer"),
            "agent": LedgerParticipant("agent", "agent"),
        },
        events=tuple(events),
        opened_seq=-1,
    )


def labelled(name: str) -> list[tuple[str, Any, list[int]]]:
    return [
        (s["id"], s["labels"][name][0], s["labels"][name][1])
        for s in SNIPPETS
        if name in s["labels"]
    ]


SIGNAL_LABELS = [
    (name, snippet, value, seqs)
    for name in (
        "greeting",
        "closing",
        "apologies",
        "customer_questions",
        "unanswered_questions",
        "resolution_confirmed",
        "repeated_questions",
        "timescale",
        "longest_agent_gap_seconds",
    )
    for snippet, value, seqs in labelled(name)
]


@pytest.mark.parametrize(
    ("name", "snippet", "value", "seqs"),
    SIGNAL_LABELS,
    ids=[f"{name}-{snippet}" for name, snippet, _v, _s in SIGNAL_LABELS],
)
def test_a_signal_matches_its_label_and_names_its_messages(
    name: str, snippet: str, value: Any, seqs: list[int]
) -> None:
    signal = compute_signals(conversation_of(BY_ID[snippet])).signals[name]
    if isinstance(value, float):
        assert signal.value == pytest.approx(value)
    else:
        assert signal.value == value
    assert list(signal.seqs) == seqs


def test_every_signal_of_the_catalogue_is_computed_and_nothing_else() -> None:
    for snippet in SNIPPETS:
        assert set(compute_signals(conversation_of(snippet)).signals) == set(SIGNALS)


def test_customer_sentiment_rises_when_the_customer_ends_pleased() -> None:
    tau = compute_signals(conversation_of(BY_ID["tau-retail-0"])).signals
    assert tau["sentiment_change"].value is not None and tau["sentiment_change"].value > 0
    assert set(tau["sentiment_end"].seqs) == {8, 10}  # the customer's last two messages
    abcd = compute_signals(conversation_of(BY_ID["abcd-9489"])).signals
    assert abcd["sentiment_end"].value is not None and abcd["sentiment_end"].value > 0


def test_sentiment_falls_for_an_angry_customer() -> None:
    snippet = {
        "id": "angry",
        "turns": [
            {"seq": 0, "role": "customer", "text": "Hi, can you check my order?"},
            {"seq": 1, "role": "agent", "text": "Sure, one moment please."},
            {"seq": 2, "role": "customer", "text": "This is terrible, I am furious and disgusted."},
        ],
    }
    signals = compute_signals(conversation_of(snippet)).signals
    assert (
        signals["sentiment_change"].value is not None and signals["sentiment_change"].value < -0.5
    )


def test_first_response_is_the_metrics_figure_with_its_messages() -> None:
    signals = compute_signals(conversation_of(BY_ID["hvb-0002f70f"])).signals
    assert signals["first_response_seconds"].value == pytest.approx(8.649)
    assert signals["first_response_seconds"].seqs == (3, 7)


@pytest.mark.parametrize("snippet", ["tau-retail-0", "hvb-004860b1"])
def test_next_steps_name_the_message_that_says_what_happens(snippet: str) -> None:
    signals = compute_signals(conversation_of(BY_ID[snippet])).signals
    for seq in BY_ID[snippet]["labels"]["next_steps_in"]:
        assert seq in signals["next_steps"].seqs


def test_lower_case_chat_messages_are_grammar_errors_and_say_so_per_message() -> None:
    found = compute_signals(conversation_of(BY_ID["abcd-9489"]))
    flagged = sorted(
        seq
        for seq, message in found.messages.items()
        if "sentence starts in lower case" in message.get("grammar", [])
    )
    assert flagged == BY_ID["abcd-9489"]["labels"]["lower_case_messages"]
    assert float(found.value("grammar_errors_per_100_words") or 0) > 5


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ("Thank you for waiting, I have recieved your ordr.", 2),
        ("Thank you for waiting, I have received your order.", 0),
        ("Your order ID is AB-12345, see https://example.com/track or mail help@example.com", 0),
        ("Crystal, your Visa card was charged.", 0),  # names and brands are not checked
    ],
)
def test_spelling_counts_unknown_lower_case_words_only(text: str, errors: int) -> None:
    assert len(language.check_language(text).spelling) == errors


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("I will send you an refund today.", "a/an"),
        ("I will send you a email today.", "a/an"),
        ("Please check the the order page.", "doubled word"),
        ("Yes i can do that.", "lower-case i"),
        ("You could of asked.", "could/should/would of"),
        ("Done!!", "repeated ! or ?"),
        ("Thanks,see you.", "missing space after punctuation"),
        ("ok. let me check.", "sentence starts in lower case"),
    ],
)
def test_each_grammar_rule_finds_its_error(text: str, rule: str) -> None:
    assert rule in language.grammar_errors(text)


@pytest.mark.parametrize(
    "text", ["I will send you a refund today.", "An hour later, a unicorn and an FAQ appeared."]
)
def test_correct_sentences_have_no_grammar_errors(text: str) -> None:
    assert language.grammar_errors(text) == []


def test_readability_is_flesch_reading_ease() -> None:
    # 12 words, 2 sentences, 15 syllables: 206.835 - 1.015 * 6 - 84.6 * 1.25
    assert language.flesch_reading_ease(12, 2, 15) == pytest.approx(94.995)
    assert language.flesch_reading_ease(9, 1, 9) is None  # too short to say
    easy = language.check_language("I can help. Your card is on its way. It will come soon.")
    hard = language.check_language(
        "Notwithstanding the aforementioned considerations, reimbursement eligibility "
        "necessitates comprehensive documentation substantiating the transaction."
    )
    easy_score = language.flesch_reading_ease(easy.words, easy.sentences, easy.syllables)
    hard_score = language.flesch_reading_ease(hard.words, hard.sentences, hard.syllables)
    assert easy_score is not None and hard_score is not None and easy_score > 80 > hard_score


def test_policy_results_count_failures_with_their_evidence() -> None:
    found = compute_signals(
        conversation_of(BY_ID["abcd-3592"]),
        {
            "identity-validation": PolicyOutcome("fail", (7, 9)),
            "consent-scopes": PolicyOutcome("not_applicable"),
            "restricted-data": PolicyOutcome("pass", (3,)),
        },
    )
    assert found.signals["policy_failures"].value == 1
    assert found.signals["policy_failures"].seqs == (7, 9)
    assert found.document()["policies"]["identity-validation"] == {
        "outcome": "fail",
        "seqs": [7, 9],
    }


def test_a_conversation_without_customer_text_has_no_sentiment() -> None:
    snippet = {"id": "bot", "turns": [{"seq": 0, "role": "agent", "text": "Hello!"}]}
    signals = compute_signals(conversation_of(snippet)).signals
    assert signals["sentiment_start"].value is None
    assert signals["customer_questions"].value == 0


def test_no_personal_word_reaches_the_record() -> None:
    snippet = {
        "id": "names",
        "turns": [
            {"seq": 0, "role": "customer", "text": "my name is zorblatt"},
            {"seq": 1, "role": "agent", "text": "thanks zorblatt, i will chek your acount"},
        ],
    }
    document = json.dumps(compute_signals(conversation_of(snippet)).document())
    assert "zorblatt" not in document and "chek" not in document
