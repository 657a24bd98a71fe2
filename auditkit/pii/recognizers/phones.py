"""Phone numbers in any national format, from the words that introduce them.

Presidio's ``PhoneRecognizer`` validates numbers with libphonenumber for a few regions
(US, UK, DE, FR, IL, IN, CA, BR), so "call me on 21 212 133 2727" or "Mobile:
041-412-293" go unseen. This recognizer takes any run of 7–15 digits in phone
punctuation when a phone word introduces it, or follows it ("(37) 788-063-Office",
"0158836955 fax").
"""

from __future__ import annotations

import re

from auditkit.pii.entities import EntityType
from auditkit.pii.recognizers.base import GroupPattern, GroupPatternRecognizer, pattern

MIN_DIGITS = 7
MAX_DIGITS = 15
_NUMBER = r"(?P<value>\+?\(?\d[\d\s().\-/]{5,22}\d(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?)"


class ChatPhoneRecognizer(GroupPatternRecognizer):
    """Finds a phone number introduced by "call me at", "mobile:", "fax", "phone number is" …"""

    PATTERNS = (
        pattern(
            "phone cue",
            EntityType.PHONE_NUMBER,
            r"\b(?:call(?:\s+(?:me|us|him|her|them|back))?(?:\s+(?:at|on))?|text(?:\s+me)?(?:\s+(?:at|on))?"
            r"|reach(?:\s+me)?(?:\s+(?:at|on))?|phone|mobile|cell|tel|telephone|fax|desk|office|whatsapp"
            r"|home|work|landline|(?:phone|mobile|cell|contact)\s+(?:number|no\.?|#)"
            r"|registered(?:\s+(?:mobile|phone|cell|number|no\.?))*)"
            r"(?:\s*(?:is|:|#|-))*\s*" + _NUMBER,
            0.7,
        ),
        pattern(
            "number then phone word",
            EntityType.PHONE_NUMBER,
            r"(?<![\w+])"
            + _NUMBER
            + r"(?:[ \t]+|[ \t]*[-–][ \t]*)(?:office|mobile|cell|fax|home|work|phone|landline)\b",
            0.6,
        ),
    )

    def __init__(self) -> None:
        super().__init__(name="ChatPhoneRecognizer")

    def accept(self, value: str, pattern: GroupPattern, text: str, start: int) -> bool:
        """Seven to fifteen digits (not counting an extension), not a date."""
        main = re.split(r"\s?(?:x|ext\.?|extension)\s?\d", value, maxsplit=1, flags=re.IGNORECASE)[
            0
        ]
        digits = sum(char.isdigit() for char in main)
        if not MIN_DIGITS <= digits <= MAX_DIGITS:
            return False
        return not re.fullmatch(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}", main.strip())
