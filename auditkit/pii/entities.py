"""The entity types the detector reports: Presidio's built-ins plus auditkit's own."""

from __future__ import annotations

from enum import StrEnum


class EntityType(StrEnum):
    """A kind of personal data; the value is the name stored in findings and placeholders."""

    # Presidio's predefined recognizers (NER-based types need the spaCy mode).
    PERSON = "PERSON"
    LOCATION = "LOCATION"
    NRP = "NRP"
    DATE_TIME = "DATE_TIME"
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    PHONE_NUMBER = "PHONE_NUMBER"
    CREDIT_CARD = "CREDIT_CARD"
    URL = "URL"
    IP_ADDRESS = "IP_ADDRESS"
    IBAN_CODE = "IBAN_CODE"
    US_SSN = "US_SSN"
    US_BANK_NUMBER = "US_BANK_NUMBER"
    US_DRIVER_LICENSE = "US_DRIVER_LICENSE"
    US_ITIN = "US_ITIN"
    US_PASSPORT = "US_PASSPORT"
    UK_NHS = "UK_NHS"
    UK_NINO = "UK_NINO"
    CRYPTO = "CRYPTO"
    MEDICAL_LICENSE = "MEDICAL_LICENSE"
    MAC_ADDRESS = "MAC_ADDRESS"
    UUID = "UUID"
    # auditkit's support-chat recognizers.
    PASSWORD = "PASSWORD"
    ONE_TIME_CODE = "ONE_TIME_CODE"
    PIN = "PIN"
    SECURITY_ANSWER = "SECURITY_ANSWER"
    CARD_CVV = "CARD_CVV"
    CARD_EXPIRY = "CARD_EXPIRY"
    PARTIAL_CARD_NUMBER = "PARTIAL_CARD_NUMBER"
    ACCOUNT_NUMBER = "ACCOUNT_NUMBER"
    ORDER_NUMBER = "ORDER_NUMBER"
    USERNAME = "USERNAME"
    STREET_ADDRESS = "STREET_ADDRESS"


NER_ONLY_TYPES: frozenset[str] = frozenset({EntityType.LOCATION, EntityType.NRP})
"""Types only spaCy's named-entity model finds: absent in the pattern-only mode."""

SECRET_TYPES: frozenset[str] = frozenset(
    {
        EntityType.PASSWORD,
        EntityType.ONE_TIME_CODE,
        EntityType.PIN,
        EntityType.SECURITY_ANSWER,
        EntityType.CARD_CVV,
        EntityType.CARD_EXPIRY,
    }
)
"""Credentials shared in chat: never needed by an agent in clear text."""
