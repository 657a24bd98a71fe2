"""The secret recognizer finds credentials from the words that introduce them, and only those."""

from __future__ import annotations

import pytest
from pii_helpers import found

from auditkit.pii.recognizers import SecretRecognizer

RECOGNIZER = SecretRecognizer()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my password is hunter2", [("PASSWORD", "hunter2")]),
        ("My password is: Tr0ub4dor&3.", [("PASSWORD", "Tr0ub4dor&3")]),
        ('the password was "sunshine"', [("PASSWORD", "sunshine")]),
        ("new password Xy7!kq9 please", [("PASSWORD", "Xy7!kq9")]),
        ("pwd = s3cret", [("PASSWORD", "s3cret")]),
        ("my password is incorrect", []),
        ("the password is not working", []),
        ("password is locked after three tries", []),
        ("I forgot my password", []),
        ("password reset link please", []),
        ("the code is 481516", [("ONE_TIME_CODE", "481516")]),
        ("verification code: 123 456", [("ONE_TIME_CODE", "123 456")]),
        ("OTP 9921", [("ONE_TIME_CODE", "9921")]),
        ("481516 is the code", [("ONE_TIME_CODE", "481516")]),
        ("my one-time passcode is A7K2P9", [("ONE_TIME_CODE", "A7K2P9")]),
        ("the promo code SAVE20 did not work", []),
        ("what does the code mean?", []),
        ("my PIN is 4321", [("PIN", "4321")]),
        ("pin number: 998877", [("PIN", "998877")]),
        ("can you pin this chat", []),
        ("CVV 123", [("CARD_CVV", "123")]),
        ("the security code on the back is 4567", [("CARD_CVV", "4567")]),
        ("3-digit code: 321", [("CARD_CVV", "321")]),
        ("expiry 09/27", [("CARD_EXPIRY", "09/27")]),
        ("it expires on 11/2026", [("CARD_EXPIRY", "11/2026")]),
        ("exp date is Jan 28", [("CARD_EXPIRY", "Jan 28")]),
        ("the offer expires soon", []),
        ("my mother's maiden name is Vestergaard", [("SECURITY_ANSWER", "Vestergaard")]),
        ("first pet's name was Rex, a dog", [("SECURITY_ANSWER", "Rex")]),
        ("security answer: blue whale", [("SECURITY_ANSWER", "blue whale")]),
        ("Her maiden name is Vestergaard", []),
        ("how do I reset my security question?", []),
    ],
)
def test_secrets_are_found_from_their_cue(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(RECOGNIZER, text) == expected


def test_the_cue_is_not_part_of_the_finding() -> None:
    (result,) = RECOGNIZER.analyze("my password is hunter2", None)
    assert (result.start, result.end) == (15, 22)
