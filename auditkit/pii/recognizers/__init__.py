"""auditkit's recognizers for support chat, beside Presidio's predefined ones."""

from auditkit.pii.recognizers.addresses import StreetAddressRecognizer
from auditkit.pii.recognizers.base import GroupPattern, GroupPatternRecognizer
from auditkit.pii.recognizers.cards import PaymentCardRecognizer
from auditkit.pii.recognizers.lexicon import NameLexiconRecognizer
from auditkit.pii.recognizers.names import PersonContextRecognizer
from auditkit.pii.recognizers.numbers import (
    NumberPattern,
    NumberPatternRecognizer,
    load_number_patterns,
    number_recognizers,
)
from auditkit.pii.recognizers.participants import ParticipantRecognizer
from auditkit.pii.recognizers.phones import ChatPhoneRecognizer
from auditkit.pii.recognizers.places import CountryRecognizer
from auditkit.pii.recognizers.postal import PostalAddressRecognizer
from auditkit.pii.recognizers.secrets import SecretRecognizer

__all__ = [
    "ChatPhoneRecognizer",
    "CountryRecognizer",
    "GroupPattern",
    "GroupPatternRecognizer",
    "NameLexiconRecognizer",
    "NumberPattern",
    "NumberPatternRecognizer",
    "ParticipantRecognizer",
    "PaymentCardRecognizer",
    "PersonContextRecognizer",
    "PostalAddressRecognizer",
    "SecretRecognizer",
    "StreetAddressRecognizer",
    "load_number_patterns",
    "number_recognizers",
]
