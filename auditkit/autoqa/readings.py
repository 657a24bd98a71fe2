"""What the signals read in one message's text, found once per distinct text and process.

A staff or customer message's text gives the same findings wherever it appears (every
finding here is a pure function of the text alone: the phrases of ``language``, its
questions, the slots it asks for or gives, VADER, the language check), and support
conversations repeat text word for word (macros, "thanks", "ok"). So each distinct text is
read once per process, on first use, and each finding is computed only when a signal first
asks for it: a staff message in the middle of a conversation is never tested for a greeting.

The conversation-level logic that combines the findings (which message answers which, the
ends of the conversation, the evidence) stays in ``signals``; the findings equal what it
computed from the text before (tests/integration/test_autoqa_expected.py).
"""

from __future__ import annotations

from functools import cached_property, lru_cache

from auditkit.autoqa import language
from auditkit.metrics.measures import is_acknowledgement

CACHED_TEXTS = 16384
"""Distinct texts kept per role and process (the least recently used go first), a few
kilobytes each at most, so tens of MB. This is the one per-text cache: ``language``'s
``check_language`` and ``sentiment`` are plain functions, read through it."""


class StaffText:
    """The findings of one staff message's text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lowered = language.hint_text(text)  # for the patterns' hints

    @cached_property
    def phrases(self) -> tuple[bool, bool, bool, bool]:
        """(apology, empathy, next steps, time scale) found in the text."""
        text, lowered = self.text, self.lowered
        return (
            language.phrase_in(language.APOLOGY, text, lowered),
            language.phrase_in(language.EMPATHY, text, lowered),
            language.phrase_in(language.NEXT_STEPS, text, lowered),
            language.phrase_in(language.TIMESCALE, text, lowered),
        )

    @cached_property
    def greeting(self) -> bool:
        """It greets (read for the first two staff messages only)."""
        return language.GREETING.search(self.text) is not None

    @cached_property
    def closing(self) -> bool:
        """It closes politely (read for the last two staff messages only)."""
        return language.phrase_in(language.CLOSING, self.text, self.lowered)

    @cached_property
    def questions(self) -> list[str]:
        """Its questions (``language.questions``)."""
        return language.questions(self.text)

    @cached_property
    def outcome_check(self) -> tuple[bool, bool]:
        """(it checks the outcome, that check is an "anything else?"), from what it asks or
        offers: its questions and its sentences that offer more help ("sorry I couldn't be
        of more help" asks nothing)."""
        if not language.hinted(language.CONFIRMATION_ASK, self.lowered):
            return False, False  # no asked or offered sentence of it can check the outcome
        offers = (
            [s for s in language.sentences(self.text) if language.OFFER.search(s)]
            if language.hinted(language.OFFER, self.lowered)
            else []
        )
        asked = self.questions + offers
        if not any(language.CONFIRMATION_ASK.search(s) for s in asked):
            return False, False
        anything_else = any(language.ANYTHING_ELSE.search(s) for s in asked) or any(
            "any" in s.lower() and ("more" in s.lower() or "further" in s.lower()) for s in asked
        )
        return True, anything_else

    @cached_property
    def acknowledgement(self) -> bool:
        """It is a canned holding reply with no substance (``metrics.is_acknowledgement``)."""
        return is_acknowledgement(self.text)

    @cached_property
    def slots_asked(self) -> tuple[str, ...]:
        """The slots (``language.SLOTS``, in their order) its questions ask for; a message
        without a question asks only when it says "please … provide"."""
        text = self.text
        asked = " ".join(self.questions) or (
            text if "please" in text.lower() and "provide" in text.lower() else ""
        )
        if not asked:
            return ()
        lowered = language.hint_text(asked)
        return tuple(
            slot
            for slot, (ask, _shown) in language.SLOTS.items()
            if language.phrase_in(ask, asked, lowered)
        )

    @cached_property
    def language(self) -> language.LanguageCheck:
        """Spelling, grammar and readability counts (read for human staff only)."""
        return language.check_language(self.text)


class CustomerText:
    """The findings of one customer message's text."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def sentiment(self) -> float:
        """VADER's compound score (read for the first and last customer messages only)."""
        return language.sentiment(self.text)

    @cached_property
    def question_words(self) -> frozenset[str] | None:
        """The content words of its questions; None when it asks nothing."""
        found = language.questions(self.text)
        if not found:
            return None
        return frozenset(language.content_words(" ".join(found)))

    @cached_property
    def slots_shown(self) -> frozenset[str]:
        """The slots whose value it gives (a slot that always holds a digit only when the
        text has one)."""
        text = self.text
        lowered = language.hint_text(text)
        digits = language.DIGIT.search(text) is not None
        return frozenset(
            slot
            for slot, (_ask, shown) in language.SLOTS.items()
            if (digits or slot not in language.DIGIT_SLOTS)
            and language.phrase_in(shown, text, lowered)
        )

    @cached_property
    def reply(self) -> tuple[bool, bool]:
        """As the reply to an outcome check: (it confirms, it confirms that nothing else is
        needed), or neither when it denies ("still not working") or asks for something new
        ("yes, I'd like to ...")."""
        text = self.text
        if language.NOT_RESOLVED.search(text) or language.NEW_REQUEST.search(text):
            return False, False
        return (
            language.AFFIRM.search(text) is not None,
            language.NOTHING_ELSE.search(text) is not None,
        )


@lru_cache(maxsize=CACHED_TEXTS)
def staff_text(text: str) -> StaffText:
    """The (lazily found) findings of a staff message's ``text``, one object per text."""
    return StaffText(text)


@lru_cache(maxsize=CACHED_TEXTS)
def customer_text(text: str) -> CustomerText:
    """The (lazily found) findings of a customer message's ``text``, one object per text."""
    return CustomerText(text)
