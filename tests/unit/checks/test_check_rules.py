"""Table-driven cases for every rule type, over whole conversations (sessions, transfers, consent)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from auditkit.checks import CheckContext, Outcome
from tests.unit.checks.builders import (
    AGENT,
    AGENT_2,
    BOT,
    CUSTOMER,
    SUPERVISOR,
    Step,
    action,
    assign,
    code,
    consent,
    conversation,
    escalate,
    judge,
    make_rule,
    msg,
    note,
    status,
    verify,
)

PASS, FAIL, NA = Outcome.PASS, Outcome.FAIL, Outcome.NOT_APPLICABLE


@dataclass(frozen=True)
class Case:
    """A conversation, what the rule must say about it, and the evidence it must cite."""

    name: str
    steps: tuple[Step, ...]
    outcome: Outcome
    evidence: tuple[int, ...] | None = None
    intents: tuple[str, ...] = ()
    says: str = ""
    pii: dict[int, list[str]] | None = field(default=None)


def _check(rule_text: str, case: Case) -> None:
    rule = make_rule(rule_text)
    result = judge(
        rule, conversation(*case.steps, intents=case.intents), CheckContext(pii=case.pii)
    )
    assert result.status is case.outcome, result.explanation
    if case.evidence is not None:
        assert result.evidence_seqs == case.evidence, result.explanation
    assert case.says.lower() in result.explanation.lower()
    assert result.explanation.endswith(".")


# --- validation before a sensitive action -----------------------------------------------

VALIDATION = """
type: validation_before_sensitive_action
actions: [issue-refund, update-address]
phrases: ['\\b(ordered|sent)\\b.{0,20}\\b(new|replacement)\\b.{0,20}\\bcard\\b']
validation:
  actions: [verify-identity]
"""

VALIDATION_CASES = [
    Case("validated then refund", (verify(), action("issue-refund")), PASS, (1, 2)),
    Case(
        "action with no validation at all",
        (msg(CUSTOMER, "refund me"), action("issue-refund")),
        FAIL,
        (2,),
        says="no identity validation before it",
    ),
    Case(
        "failed validation then action",
        (verify("failure"), action("update-address")),
        FAIL,
        (1, 2),
        says="did not succeed (seq 1, outcome 'failure')",
    ),
    Case(
        "failed then successful validation",
        (verify("failure"), verify("success"), action("issue-refund")),
        PASS,
        (2, 3),
    ),
    Case(
        "successful then failed validation: the latest decides",
        (verify("success"), verify("failure"), action("issue-refund")),
        FAIL,
        (2, 3),
    ),
    Case("pending validation", (verify("pending"), action("issue-refund")), FAIL, (1, 2)),
    Case(
        "no outcome recorded counts as failure by default",
        (verify(None), action("issue-refund")),
        FAIL,
        says="no outcome recorded",
    ),
    Case("validation after the action", (action("issue-refund"), verify()), FAIL, (1,)),
    Case(
        "validated in an earlier session only",
        (
            status("session_started"),
            verify(),
            status("session_ended"),
            status("session_started"),
            action("issue-refund"),
        ),
        FAIL,
        (2, 5),
        says="later session",
    ),
    Case(
        "validated again in the new session",
        (
            status("session_started"),
            verify("failure"),
            status("session_ended"),
            status("session_started"),
            verify(),
            action("update-address"),
        ),
        PASS,
        (5, 6),
    ),
    Case(
        "resolved then reopened starts a new session",
        (verify(), status("resolved"), status("reopened"), action("issue-refund")),
        FAIL,
        (1, 4),
    ),
    Case(
        "an event after session_ended starts a new session",
        (verify(), status("session_ended"), action("issue-refund")),
        FAIL,
    ),
    Case(
        "transfer mid-flow voids the validation",
        (
            assign(AGENT),
            verify(),
            assign(AGENT_2, frm=AGENT),
            action("issue-refund", actor=AGENT_2),
        ),
        FAIL,
        (2, 3, 4),
        says="transferred (seq 3)",
    ),
    Case(
        "new owner validates again after the transfer",
        (
            assign(AGENT),
            verify(),
            assign(AGENT_2, frm=AGENT),
            verify(actor=AGENT_2),
            action("issue-refund", actor=AGENT_2),
        ),
        PASS,
        (4, 5),
    ),
    Case(
        "assignment to the same owner is no transfer",
        (assign(AGENT), verify(), assign(AGENT), action("issue-refund")),
        PASS,
    ),
    Case("no sensitive action", (verify(), action("track-order")), NA),
    Case(
        "two actions, one uncovered",
        (action("update-address"), verify(), action("issue-refund")),
        FAIL,
        (1,),
        says="action 'update-address' (seq 1)",
    ),
    Case(
        "phrase recognition when no action events exist",
        (
            msg(CUSTOMER, "I lost my card"),
            msg(AGENT, "OK, I've ordered your replacement debit card."),
        ),
        FAIL,
        (2,),
        says="(recognised by its wording)",
    ),
    Case(
        "phrases are not used when the platform records actions",
        (msg(AGENT, "I've ordered your replacement card"), action("track-order")),
        NA,
    ),
    Case(
        "a customer's words are not an agent action",
        (msg(CUSTOMER, "I sent for a new card already"),),
        NA,
    ),
]


@pytest.mark.parametrize("case", VALIDATION_CASES, ids=lambda c: c.name)
def test_validation_before_sensitive_action(case: Case) -> None:
    _check(VALIDATION, case)


VALIDATION_VARIANTS = [
    (
        "survives_transfer: true keeps a validation across a transfer",
        "survives_transfer: true",
        Case(
            "transfer",
            (assign(AGENT), verify(), assign(AGENT_2, frm=AGENT), action("issue-refund")),
            PASS,
        ),
    ),
    (
        "same_session: false keeps a validation across sessions",
        "same_session: false",
        Case(
            "sessions",
            (verify(), status("session_ended"), status("session_started"), action("issue-refund")),
            PASS,
        ),
    ),
]


@pytest.mark.parametrize(
    ("setting", "case"),
    [(setting, case) for _, setting, case in VALIDATION_VARIANTS],
    ids=[name for name, _, _ in VALIDATION_VARIANTS],
)
def test_validation_settings(setting: str, case: Case) -> None:
    _check(VALIDATION + setting + "\n", case)


INTENT_VALIDATION = """
type: validation_before_sensitive_action
intents: [manage_change_address]
exempt_actions: [pull-up-account, record-reason]
validation:
  actions: [verify-identity]
  phrases: ['\\byou are now verified\\b']
  missing_outcome: success
"""

INTENT_CASES = [
    Case(
        "listed intent: a non-exempt action before validation",
        (action("pull-up-account", None), action("update-account", None), verify(None)),
        FAIL,
        (2,),
        intents=("manage_account", "manage_change_address"),
    ),
    Case(
        "listed intent: validation (no outcome, read as success) before the action",
        (action("pull-up-account", None), verify(None), action("update-account", None)),
        PASS,
        (2, 3),
        intents=("manage_change_address",),
    ),
    Case(
        "listed intent with only exempt actions still needs one validation",
        (action("pull-up-account", None), action("record-reason", None)),
        FAIL,
        (),
        intents=("manage_change_address",),
        says="intent 'manage_change_address' needs identity validation",
    ),
    Case(
        "listed intent with only exempt actions and a validation",
        (action("pull-up-account", None), verify(None)),
        PASS,
        (2,),
        intents=("manage_change_address",),
    ),
    Case(
        "other intents are not applicable",
        (action("update-account", None),),
        NA,
        intents=("return_size",),
    ),
    Case(
        "listed intent in a transcript: a validation phrase counts",
        (msg(AGENT, "Thanks, you are now verified."),),
        PASS,
        (1,),
        intents=("manage_change_address",),
    ),
]


@pytest.mark.parametrize("case", INTENT_CASES, ids=lambda c: c.name)
def test_validation_for_listed_intents(case: Case) -> None:
    _check(INTENT_VALIDATION, case)


# --- consent disclosure ------------------------------------------------------------------

WORDING = "This chat is recorded and your details are used only to help with your request."
DISCLOSURE = f"""
type: consent_disclosure
wordings: ["{WORDING}"]
requests:
  phrases: ['\\byour (email|name|date of birth)\\b']
"""
ASK = "Can I have your email please?"

DISCLOSURE_CASES = [
    Case("disclosure then request", (msg(AGENT, WORDING), msg(AGENT, ASK)), PASS, (1, 2)),
    Case(
        "request with no disclosure",
        (msg(CUSTOMER, "hi"), msg(AGENT, ASK)),
        FAIL,
        (2,),
        says="before the first request for personal data (seq 2)",
    ),
    Case(
        "case, punctuation and whitespace do not matter",
        (
            msg(
                BOT,
                "THIS chat is   recorded -- and your details are used ONLY to help with your request!!",
            ),
            msg(AGENT, ASK),
        ),
        PASS,
    ),
    Case(
        "small typos are tolerated",
        (
            msg(
                AGENT,
                "Hi! This chat is recordd and your detials are used only to help with you request.",
            ),
            msg(AGENT, ASK),
        ),
        PASS,
    ),
    Case(
        "a different text is no disclosure",
        (msg(AGENT, "We record chats for training."), msg(AGENT, ASK)),
        FAIL,
    ),
    Case("disclosure in the request message itself", (msg(AGENT, f"{WORDING} {ASK}"),), PASS, (1,)),
    Case("recorded consent counts", (consent("data-processing"), msg(AGENT, ASK)), PASS, (1, 2)),
    Case("no request for personal data", (msg(AGENT, "How can I help?"),), NA),
    Case(
        "the customer quoting the wording does not count",
        (msg(CUSTOMER, WORDING), msg(AGENT, ASK)),
        FAIL,
    ),
    Case("disclosure after the request", (msg(AGENT, ASK), msg(AGENT, WORDING)), FAIL, (1,)),
    Case(
        "a disclosure in an earlier session covers the conversation",
        (
            msg(AGENT, WORDING),
            status("session_ended"),
            status("session_started"),
            msg(AGENT, ASK),
        ),
        PASS,
    ),
]


@pytest.mark.parametrize("case", DISCLOSURE_CASES, ids=lambda c: c.name)
def test_consent_disclosure(case: Case) -> None:
    _check(DISCLOSURE, case)


DISCLOSURE_VARIANTS = [
    (
        "per_session: each session needs its own disclosure",
        DISCLOSURE + "per_session: true\n",
        Case(
            "second session",
            (
                msg(AGENT, WORDING),
                msg(AGENT, ASK),
                status("session_ended"),
                status("session_started"),
                msg(AGENT, ASK),
            ),
            FAIL,
            (5,),
            says="in session 2",
        ),
    ),
    (
        "first_customer_message: the first reply must disclose",
        f'type: consent_disclosure\nwordings: ["{WORDING}"]\nbefore: first_customer_message\n',
        Case("no disclosure", (msg(CUSTOMER, "hi"), msg(AGENT, "hello")), FAIL, (2,)),
    ),
    (
        "first_customer_message: a bot greeting before the customer is not the deadline",
        f'type: consent_disclosure\nwordings: ["{WORDING}"]\nbefore: first_customer_message\n',
        Case(
            "bot discloses in its reply",
            (msg(BOT, "Hi!"), msg(CUSTOMER, "hi"), msg(BOT, WORDING)),
            PASS,
            (3,),
        ),
    ),
    (
        "first_customer_message: unanswered customer",
        f'type: consent_disclosure\nwordings: ["{WORDING}"]\nbefore: first_customer_message\n',
        Case("nobody replied", (msg(CUSTOMER, "hi"),), NA),
    ),
    (
        "consent_scopes: only listed scopes count",
        DISCLOSURE + "consent_scopes: [data-processing]\n",
        Case("other scope", (consent("marketing-email"), msg(AGENT, ASK)), FAIL),
    ),
]


@pytest.mark.parametrize(
    ("rule", "case"),
    [(rule, case) for _, rule, case in DISCLOSURE_VARIANTS],
    ids=[name for name, _, _ in DISCLOSURE_VARIANTS],
)
def test_consent_disclosure_settings(rule: str, case: Case) -> None:
    _check(rule, case)


# --- consent before action and withdrawal ----------------------------------------------------

CONSENT_ACTION = """
type: consent_before_action
scope: marketing-email
actions: [send-marketing-email]
phrases: ['\\bsent you our offers\\b']
"""

CONSENT_CASES = [
    Case(
        "consent then action",
        (consent("marketing-email"), action("send-marketing-email")),
        PASS,
        (1, 2),
    ),
    Case(
        "action without consent",
        (action("send-marketing-email"),),
        FAIL,
        (1,),
        says="no consent given for 'marketing-email'",
    ),
    Case(
        "withdrawn consent",
        (
            consent("marketing-email"),
            consent("marketing-email", "withdrawn"),
            action("send-marketing-email"),
        ),
        FAIL,
        (2, 3),
        says="withdrawn (seq 2)",
    ),
    Case(
        "withdrawn then given again",
        (
            consent("marketing-email", "withdrawn"),
            consent("marketing-email"),
            action("send-marketing-email"),
        ),
        PASS,
        (2, 3),
    ),
    Case("consent for another scope", (consent("sms"), action("send-marketing-email")), FAIL),
    Case(
        "consent by someone else",
        (consent("marketing-email", subject=AGENT), action("send-marketing-email")),
        FAIL,
    ),
    Case("no such action", (consent("marketing-email"), action("track-order")), NA),
    Case(
        "consent persists across sessions",
        (
            consent("marketing-email"),
            status("session_ended"),
            status("session_started"),
            action("send-marketing-email"),
        ),
        PASS,
    ),
    Case(
        "transcript: the action recognised from wording",
        (msg(AGENT, "Done, I've sent you our offers."),),
        FAIL,
        (1,),
    ),
    Case(
        "transcript: consent recorded first",
        (consent("marketing-email"), msg(AGENT, "Done, I've sent you our offers.")),
        PASS,
        (1, 2),
    ),
]


@pytest.mark.parametrize("case", CONSENT_CASES, ids=lambda c: c.name)
def test_consent_before_action(case: Case) -> None:
    _check(CONSENT_ACTION, case)


WITHDRAWAL = """
type: withdrawal_respected
scope: transcript-sharing
actions: [share-transcript]
"""

WITHDRAWAL_CASES = [
    Case("never withdrawn", (action("share-transcript"),), NA),
    Case("withdrawn and respected", (consent("transcript-sharing", "withdrawn"),), PASS, (1,)),
    Case(
        "action after withdrawal",
        (
            consent("transcript-sharing"),
            consent("transcript-sharing", "withdrawn"),
            action("share-transcript"),
        ),
        FAIL,
        (2, 3),
        says="after consent for 'transcript-sharing' was withdrawn",
    ),
    Case(
        "given again after withdrawal",
        (
            consent("transcript-sharing", "withdrawn"),
            consent("transcript-sharing"),
            action("share-transcript"),
        ),
        PASS,
    ),
    Case(
        "action before the withdrawal only",
        (action("share-transcript"), consent("transcript-sharing", "withdrawn")),
        PASS,
        (2,),
    ),
    Case(
        "withdrawal holds in a later session",
        (
            consent("transcript-sharing", "withdrawn"),
            status("resolved"),
            status("reopened"),
            action("share-transcript"),
        ),
        FAIL,
    ),
]


@pytest.mark.parametrize("case", WITHDRAWAL_CASES, ids=lambda c: c.name)
def test_withdrawal_respected(case: Case) -> None:
    _check(WITHDRAWAL, case)


# --- explicit confirmation -------------------------------------------------------------------

CONFIRMATION = """
type: confirmation_before_action
actions: [transfer-money, TransferMoney]
phrases: ['\\btransfer (has been|was) completed\\b']
confirm:
  acts: [CONFIRM]
  phrases: ['\\bplease confirm\\b']
affirm:
  acts: [AFFIRM]
  phrases: ['^(yes|correct)\\b']
negate:
  acts: [NEGATE]
  phrases: ['^(no|wait)\\b']
"""
CONFIRM = msg(AGENT, "I'll send 50 pounds to Bo from your current account. Please confirm.")
YES = msg(CUSTOMER, "Yes, go ahead")

CONFIRMATION_CASES = [
    Case("confirm, affirm, action", (CONFIRM, YES, action("transfer-money")), PASS, (1, 2, 3)),
    Case(
        "action with no confirmation",
        (action("transfer-money"),),
        FAIL,
        (1,),
        says="no confirmation asked",
    ),
    Case(
        "confirmation not answered",
        (CONFIRM, action("transfer-money")),
        FAIL,
        (1, 2),
        says="before the customer affirmed",
    ),
    Case(
        "customer declines",
        (CONFIRM, msg(CUSTOMER, "No, not that account"), action("transfer-money")),
        FAIL,
        (1, 2, 3),
        says="declined (seq 2)",
    ),
    Case(
        "customer takes the affirmation back",
        (CONFIRM, YES, msg(CUSTOMER, "wait, wrong amount"), action("transfer-money")),
        FAIL,
    ),
    Case(
        "a neutral message after the affirmation keeps it",
        (CONFIRM, YES, msg(CUSTOMER, "thanks!"), action("transfer-money")),
        PASS,
        (1, 2, 4),
    ),
    Case("affirmation without a confirmation", (YES, action("transfer-money")), FAIL),
    Case(
        "re-confirmation after a change",
        (CONFIRM, msg(CUSTOMER, "no, 60 pounds"), CONFIRM, YES, action("transfer-money")),
        PASS,
        (3, 4, 5),
    ),
    Case(
        "each action needs its own confirmation",
        (CONFIRM, YES, action("transfer-money"), action("transfer-money")),
        FAIL,
        (4,),
        says="action 'transfer-money' (seq 4)",
    ),
    Case(
        "a confirmation in an earlier session does not count",
        (
            CONFIRM,
            YES,
            status("session_ended"),
            status("session_started"),
            action("transfer-money"),
        ),
        FAIL,
        (5,),
    ),
    Case(
        "dialogue acts: system CONFIRM, user AFFIRM, service call",
        (
            msg(BOT, "Transfer $820 to Abhinav?", "CONFIRM"),
            msg(CUSTOMER, "Sounds perfect.", "AFFIRM"),
            msg(BOT, "Transfer completed successfully.", "NOTIFY_SUCCESS"),
            action("TransferMoney", actor=BOT),
        ),
        PASS,
        (1, 2, 4),
    ),
    Case(
        "dialogue acts: user NEGATE",
        (
            msg(BOT, "Transfer $820 to Abhinav?", "CONFIRM"),
            msg(CUSTOMER, "Not quite.", "NEGATE"),
            action("TransferMoney", actor=BOT),
        ),
        FAIL,
    ),
    Case(
        "a customer asking to confirm is no confirmation",
        (msg(CUSTOMER, "please confirm when done"), YES, action("transfer-money")),
        FAIL,
    ),
    Case("no transactional action", (CONFIRM, YES), NA),
    Case(
        "transcript: the action recognised from wording",
        (CONFIRM, YES, msg(AGENT, "Your transfer has been completed.")),
        PASS,
        (1, 2, 3),
    ),
]


@pytest.mark.parametrize("case", CONFIRMATION_CASES, ids=lambda c: c.name)
def test_confirmation_before_action(case: Case) -> None:
    _check(CONFIRMATION, case)


# --- restricted data ----------------------------------------------------------------------------

RESTRICTED = """
type: restricted_data
forbidden_entities: [CREDIT_CARD]
forbidden_from: [customer, agent]
no_echo_entities: [US_BANK_NUMBER]
"""
CHAT = (
    msg(CUSTOMER, "my card is 4111 1111 1111 1111"),
    msg(AGENT, "thanks"),
    msg(BOT, "noted"),
    note(AGENT, "internal"),
)

RESTRICTED_CASES = [
    Case("no PII findings supplied", CHAT, NA, (), says="no pii findings"),
    Case("scanned, nothing found", CHAT, PASS, (), pii={}),
    Case(
        "customer sends a card number",
        CHAT,
        FAIL,
        (1,),
        pii={1: ["CREDIT_CARD", "PERSON"]},
        says="the customer's message at seq 1 contains CREDIT_CARD",
    ),
    Case(
        "agent echoes the account number the customer sent",
        CHAT,
        FAIL,
        (1, 2),
        pii={1: ["US_BANK_NUMBER"], 2: ["US_BANK_NUMBER"]},
        says="repeats a US_BANK_NUMBER the customer sent (seq 1)",
    ),
    Case(
        "agent mentions an account number the customer never sent",
        CHAT,
        PASS,
        pii={2: ["US_BANK_NUMBER"]},
    ),
    Case("a role outside forbidden_from", CHAT, PASS, pii={3: ["CREDIT_CARD"]}),
    Case("findings on internal notes are not chat", CHAT, PASS, pii={4: ["CREDIT_CARD"]}),
]


@pytest.mark.parametrize("case", RESTRICTED_CASES, ids=lambda c: c.name)
def test_restricted_data(case: Case) -> None:
    _check(RESTRICTED, case)


# --- handoff documentation -----------------------------------------------------------------------

HANDOFF = """
type: handoff_documented
note_fields: [summary, verified]
within_minutes: 10
"""

HANDOFF_CASES = [
    Case("no handoff", (msg(AGENT, "hi"),), NA),
    Case("first routing is not a handoff", (assign(AGENT),), NA),
    Case(
        "transfer with a structured note",
        (assign(AGENT), assign(AGENT_2, frm=AGENT), note(AGENT, summary="refund", verified=True)),
        PASS,
        (2, 3),
    ),
    Case(
        "fields written as labelled lines",
        (assign(AGENT_2, frm=AGENT), note(AGENT, "Summary: wants a refund\nVerified: yes")),
        PASS,
        (1, 2),
    ),
    Case(
        "a note lacking a field",
        (assign(AGENT_2, frm=AGENT), note(AGENT, "Summary: refund")),
        FAIL,
        (1, 2),
        says="lacks verified",
    ),
    Case(
        "an empty field value does not count",
        (assign(AGENT_2, frm=AGENT), note(AGENT, summary="", verified=False)),
        FAIL,
        says="lacks summary",
    ),
    Case(
        "a note by the receiving agent",
        (assign(AGENT_2, frm=AGENT), note(AGENT_2, summary="x", verified=True)),
        FAIL,
        (1,),
        says="no internal note from the person handing off",
    ),
    Case(
        "a note written too late",
        (
            assign(AGENT_2, frm=AGENT, minutes=0),
            note(AGENT, summary="x", verified=True, minutes=30),
        ),
        FAIL,
        says="within 10 minutes",
    ),
    Case(
        "a note written just before the handoff",
        (note(AGENT, summary="x", verified=True), assign(AGENT_2, frm=AGENT, minutes=5)),
        PASS,
    ),
    Case(
        "escalation with a note",
        (escalate(AGENT), note(AGENT, summary="x", verified="yes")),
        PASS,
        (1, 2),
    ),
    Case(
        "escalation by nobody named: any staff note",
        (escalate(None), note(SUPERVISOR, summary="x", verified="no")),
        PASS,
    ),
    Case(
        "escalation without a note", (escalate(AGENT),), FAIL, (1,), says="the escalation at seq 1"
    ),
    Case(
        "bot handoff to an agent",
        (assign(BOT), assign(AGENT, frm=BOT), note(BOT, "Summary: card dispute\nverified = no")),
        PASS,
    ),
]


@pytest.mark.parametrize("case", HANDOFF_CASES, ids=lambda c: c.name)
def test_handoff_documented(case: Case) -> None:
    _check(HANDOFF, case)


def test_handoff_kinds_can_be_limited_to_escalations() -> None:
    rule = HANDOFF + "handoffs: [escalation]\n"
    _check(rule, Case("transfer only", (assign(AGENT_2, frm=AGENT),), NA))


# --- post-conversation hygiene ---------------------------------------------------------------------

HYGIENE = """
type: resolution_hygiene
codes: [refund-issued, address-updated]
"""

HYGIENE_CASES = [
    Case("not resolved", (msg(CUSTOMER, "hi"),), NA, intents=("refund",)),
    Case(
        "approved code and an intent",
        (code("refund-issued"), status("resolved")),
        PASS,
        (1, 2),
        intents=("refund",),
    ),
    Case(
        "resolved without a code",
        (status("resolved"),),
        FAIL,
        (1,),
        intents=("refund",),
        says="no resolution code",
    ),
    Case(
        "a code not on the list",
        (code("whatever"), status("resolved")),
        FAIL,
        (1, 2),
        intents=("refund",),
        says="'whatever' (seq 1) is not on the approved list",
    ),
    Case(
        "no intent",
        (code("refund-issued"), status("resolved")),
        FAIL,
        says="no intent",
    ),
    Case(
        "reopened and not resolved again",
        (code("refund-issued"), status("resolved"), status("reopened")),
        NA,
        intents=("refund",),
    ),
    Case(
        "resolved again: the latest code counts",
        (
            code("whatever"),
            status("resolved"),
            status("reopened"),
            code("address-updated"),
            status("resolved"),
        ),
        PASS,
        (4, 5),
        intents=("refund",),
    ),
]


@pytest.mark.parametrize("case", HYGIENE_CASES, ids=lambda c: c.name)
def test_resolution_hygiene(case: Case) -> None:
    _check(HYGIENE, case)


@pytest.mark.parametrize(
    ("rule", "case"),
    [
        (
            "type: resolution_hygiene\n",
            Case("any code without a list", (code("x"), status("resolved")), PASS, intents=("a",)),
        ),
        (
            "type: resolution_hygiene\nrequire_intent: false\n",
            Case("intent not required", (code("x"), status("resolved")), PASS),
        ),
        (
            "type: resolution_hygiene\nrequire_code: false\n",
            Case("code not required", (status("resolved"),), PASS, intents=("a",)),
        ),
    ],
    ids=["any-code", "no-intent-needed", "no-code-needed"],
)
def test_resolution_hygiene_settings(rule: str, case: Case) -> None:
    _check(rule, case)
