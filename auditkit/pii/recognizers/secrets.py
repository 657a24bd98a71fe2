"""Secrets shared in chat: passwords, one-time codes, PINs, security answers, CVV, card expiry."""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS

from auditkit.pii.entities import EntityType
from auditkit.pii.recognizers.base import GroupPattern, GroupPatternRecognizer, pattern

# "is", "was", ":", "=" … between a cue and its value; at most two ("is: hunter2").
_IS = r"(?:\s*(?:is|was|will be|would be|should be|=|:|-)){1,2}\s*(?:now\s+|just\s+)?"
_IS_OPTIONAL = r"(?:\s*(?:is|was|=|:|-)){0,2}\s*(?:now\s+|just\s+)?"
# A value ends at whitespace, closing punctuation or the end of the text.
_END = r"(?=[\"'”’)]?(?:[\s,;!?]|\.(?:\s|$)|$))"
_PASSWORD_CUE = r"\b(?:pass\s?words?|passwd|pwd|passphrase)\b"
_CODE_CUE = (
    r"\b(?:one[- ]?time\s+(?:pass\s?(?:word|code)|code|pin)|otp|verification\s+code"
    r"|confirmation\s+code|auth(?:entication|orization)?\s+code|2fa\s+code|sms\s+code"
    r"|login\s+code|access\s+code|security\s+code(?=\s*(?:is|was|:)?\s*\d{5,})|passcode"
    r"|(?:the|my|this|that|your)\s+code)\b"
)
_CODE_VALUE = r"(?P<value>\d{3}[- ]\d{3}|\d{4,8})"
# Letters and digits ("M20IZO") are a booking or order reference after a plain "the code";
# only an explicit one-time-code cue makes them a one-time code.
_OTP_CUE = (
    r"\b(?:one[- ]?time\s+(?:pass\s?(?:word|code)|code|pin)|otp|verification\s+code"
    r"|auth(?:entication|orization)?\s+code|2fa\s+code|sms\s+code|login\s+code|passcode)\b"
)
_ALNUM_CODE_VALUE = r"(?P<value>(?=[a-z-]*\d)[a-z0-9]{5,10})"
_BOOKING = re.compile(
    r"\b(?:booking|reservation|flight|ticket|pnr|itinerary|confirmation|reference|order)\b",
    re.IGNORECASE,
)
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"

PASSWORD_STOP_WORDS = frozenset(
    {
        "incorrect",
        "wrong",
        "invalid",
        "correct",
        "right",
        "expired",
        "reset",
        "change",
        "changed",
        "working",
        "required",
        "again",
        "please",
        "same",
        "different",
        "new",
        "old",
        "too",
        "short",
        "long",
        "weak",
        "strong",
        "secure",
        "case",
        "sensitive",
        "manager",
        "hint",
        "field",
        "policy",
        "requirements",
        "recovery",
        "protected",
        "help",
        "issue",
        "problem",
        "ok",
        "okay",
        "fine",
        "unknown",
        "blank",
        "empty",
        "missing",
        "forgotten",
        "lost",
        "stolen",
        "compromised",
        "updated",
        "update",
        "link",
        "email",
        "sent",
        "set",
        "locked",
        "correctly",
    }
)


def looks_like_secret(value: str) -> bool:
    """A token with a digit, a symbol or inner capitals: shaped like a password, not a word."""
    return bool(re.search(r"\d|[^\w\s]|_|[a-z][A-Z]", value))


class SecretRecognizer(GroupPatternRecognizer):
    """Finds credentials a customer types into chat, from the words that introduce them."""

    PATTERNS = (
        pattern(
            "password is",
            EntityType.PASSWORD,
            rf"{_PASSWORD_CUE}{_IS}[\"'“‘]?(?P<value>[^\s\"'“”‘’]{{3,64}}?){_END}",
            0.85,
        ),
        pattern(
            "password (no verb)",
            EntityType.PASSWORD,
            rf"{_PASSWORD_CUE}\s+[\"'“‘]?(?P<value>[^\s\"'“”‘’]{{4,64}}?){_END}",
            0.6,
        ),
        pattern(
            "code is", EntityType.ONE_TIME_CODE, rf"{_CODE_CUE}{_IS_OPTIONAL}{_CODE_VALUE}\b", 0.85
        ),
        pattern(
            "one-time code is",
            EntityType.ONE_TIME_CODE,
            rf"{_OTP_CUE}{_IS_OPTIONAL}{_ALNUM_CODE_VALUE}\b",
            0.85,
        ),
        pattern(
            "value is the code",
            EntityType.ONE_TIME_CODE,
            r"(?<![\w-])(?P<value>\d{4,8})\s+(?:is|was)\s+(?:the|my|your)\s+"
            r"(?:verification\s+|one[- ]?time\s+|otp\s+|login\s+|sms\s+)?(?:code|otp|passcode)\b",
            0.85,
        ),
        pattern(
            "pin is",
            EntityType.PIN,
            rf"\bpin(?:\s*(?:number|code|no\.?|#))?{_IS_OPTIONAL}(?P<value>\d{{4,6}})\b",
            0.85,
        ),
        pattern(
            "cvv is",
            EntityType.CARD_CVV,
            r"\b(?:cvv2?|cvc2?|cv2|cid|csc|card\s+security\s+code|security\s+code"
            r"|(?:3|three)[- ]digit\s+(?:security\s+)?(?:code|number)"
            r"|(?:code|digits|number)\s+on\s+the\s+back)"
            rf"(?:\s+(?:on\s+the\s+back\s+)?of\s+(?:my|the)\s+card)?{_IS_OPTIONAL}(?P<value>\d{{3,4}})\b",
            0.85,
        ),
        pattern(
            "expiry is",
            EntityType.CARD_EXPIRY,
            r"\b(?:exp(?:iry|iration)?\.?(?:\s+date)?|expires?(?:\s+(?:on|in|at|end\s+of))?"
            r"|valid\s+(?:thru|through|until|till)|good\s+(?:thru|through))"
            rf"{_IS_OPTIONAL}(?:on\s+)?(?P<value>(?:0?[1-9]|1[0-2])\s?[/\-.]\s?(?:20)?\d{{2}}"
            rf"|{_MONTHS}\s+(?:20)?\d{{2}})(?![\d/])",
            0.85,
        ),
        pattern(
            "security answer is",
            EntityType.SECURITY_ANSWER,
            r"\b(?:mother'?s\s+maiden\s+name|mum'?s\s+maiden\s+name|first\s+pet(?:'?s)?(?:\s+name)?"
            r"|security\s+(?:question\s+)?answer|answer\s+to\s+(?:my|the|your)\s+security\s+question"
            r"|secret\s+(?:answer|word)|memorable\s+(?:word|answer|information)"
            r"|(?:first|elementary|primary)\s+school|city\s+(?:i|you)\s+(?:was|were)\s+born\s+in"
            r"|favou?rite\s+(?:teacher|colou?r|food|movie|book|sports\s+team)|first\s+car)"
            r"(?:\s*(?:is|was|=|:)){1,2}\s*[\"'“‘]?"
            r"(?P<value>[^\s.,!?;:\"”’]+(?:[ \t]+(?!(?:and|but|so|because|if|then)\b)[^\s.,!?;:\"”’]+){0,3})",
            0.7,
        ),
    )

    def __init__(self) -> None:
        super().__init__(name="SecretRecognizer")

    def accept(self, value: str, pattern: GroupPattern, text: str, start: int) -> bool:
        """Passwords must not be ordinary words that follow "password" ("password is incorrect");
        a "code" in a booking or order sentence is its reference, not a one-time code."""
        if pattern.entity_type == EntityType.ONE_TIME_CODE:
            sentence = re.split(r"[.!?\n]\s", text[max(0, start - 80) : start])[-1]
            return pattern.name != "code is" or not _BOOKING.search(sentence)
        if pattern.entity_type != EntityType.PASSWORD:
            return True
        lowered = value.lower().strip(".,!?")
        if lowered in STOP_WORDS or lowered in PASSWORD_STOP_WORDS:
            return False
        if pattern.name == "password (no verb)":
            return looks_like_secret(value)
        # "password is locked", "is being reset": participles and adverbs are no passwords.
        return not re.fullmatch(r"[a-z]+(?:ed|ing|ly)", lowered) or looks_like_secret(value)
