"""Card numbers in a payment context, which Presidio's ``CreditCardRecognizer`` misses.

Presidio only knows card numbers by their issuer prefixes and lengths, so a 12- to
19-digit number that passes the Luhn check but starts otherwise (a Maestro, a private
label card, a 19-digit Visa) goes through unmasked. Here a number of 12 to 19 digits
(spaces or dashes between groups allowed) is a ``CREDIT_CARD``

* when it passes the Luhn check and a payment word (card, credit, debit, visa, charge,
  pay …) stands in the same sentence before it; or
* whatever its checksum, right after "card", "card number", "card no", "cc" or
  "card: " (a number the customer calls a card is masked as one: recall first).
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import RecognizerResult

from auditkit.pii.entities import EntityType
from auditkit.pii.recognizers.base import GroupPattern, GroupPatternRecognizer, pattern

LUHN_SCORE = 0.85
CUE_SCORE = 0.6

_NUMBER = r"(?<![\d-])(?P<value>\d(?:[ -]?\d){11,18})(?![\d-]|\.\d)"
_PAYMENT = re.compile(
    r"\b(?:card|cards|credit|debit|visa|master\s?card|amex|maestro|discover|cc|charge|charged"
    r"|pay|paid|payment|billing|bill|purchase|refund|cardholder)\b",
    re.IGNORECASE,
)
_CUE = re.compile(
    r"\b(?:card|cc)(?:\s*(?:number|no\.?|num|#))?(?:\s*(?:is|:|=))?\s*$", re.IGNORECASE
)


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn (mod 10) check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


class PaymentCardRecognizer(GroupPatternRecognizer):
    """Luhn-valid card numbers in a payment sentence, and numbers right after "card"."""

    PATTERNS = (pattern("card number in context", EntityType.CREDIT_CARD, _NUMBER, LUHN_SCORE),)

    def __init__(self) -> None:
        super().__init__(name="PaymentCardRecognizer")

    def analyze(
        self, text: str, entities: Any, nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """Each accepted number: ``LUHN_SCORE`` when it passes Luhn, else ``CUE_SCORE``."""
        found = super().analyze(text, entities, nlp_artifacts)
        for result in found:
            digits = re.sub(r"\D", "", text[result.start : result.end])
            result.score = LUHN_SCORE if luhn_valid(digits) else CUE_SCORE
        return found

    def accept(self, value: str, pattern: GroupPattern, text: str, start: int) -> bool:
        """A Luhn-valid number after a payment word in its sentence, or any after a card cue."""
        before = text[max(0, start - 30) : start]
        if _CUE.search(before):
            return True
        sentence = re.split(r"[.!?\n]\s", text[max(0, start - 120) : start])[-1]
        return luhn_valid(re.sub(r"\D", "", value)) and bool(_PAYMENT.search(sentence))
